package stmt

import "testing"

// TestAppendRest checks the statements of rest.go against the text the
// renderer wrote for them before they had types, which nft 1.0.6 loads.
func TestAppendRest(t *testing.T) {
	ports := &Cmp{Field: AnyPort(136, true), Neg: true, Set: &Set{Key: InetService, Elems: []Elem{{From: []byte{0, 5}}, {From: []byte{0, 7}, To: []byte{0, 9}}}}}
	both := &Concat{Fields: []Field{AnyPort(33, false), AnyPort(33, true)}, Elems: [][]Elem{{{From: []byte{0, 0}, To: []byte{255, 255}}, {From: []byte{0, 5}}}}}
	cases := []struct {
		s    Stmt
		want string
	}{
		{ports, "udplite dport != { 5, 7-9 }"},
		{both, "dccp sport . dccp dport { 0-65535 . 5 }"},
		{&TrafficClass{Mask: 0x3f, Value: 0x10}, "@nh,0,16 & 0x3f0 == 0x100"},
		{&TrafficClass{Neg: true, Mask: 0xff, Value: 0x04}, "@nh,0,16 & 0xff0 != 0x40"},
		{&SocketCgroup{Level: 2, Path: "a/b"}, `socket cgroupv2 level 2 "a/b"`},
		{&SocketCgroup{Level: 1, Neg: true, Path: "a"}, `socket cgroupv2 level 1 != "a"`},
		{&SocketMarkRestore{}, "meta mark set socket mark"},
		{&JHash{Mod: 2, Seed: 0xdeadbeef, Vals: []uint32{0}}, "jhash ct original ip saddr mod 2 seed 0xdeadbeef eq 0"},
		{&JHash{V6: true, Mod: 4, Seed: 1, Vals: []uint32{0, 2}}, "jhash ct original ip6 saddr mod 4 seed 0x1 { 0, 2 }"},
		{&JHash{Mod: 4, Neg: true, Vals: []uint32{3}}, "jhash ct original ip saddr mod 4 seed 0x0 != 3"},
		{&PktTypeHost{}, "meta pkttype set host"},
		{&DCCPTypes{Types: 3}, "dccp type { request, response }"},
		{&DCCPTypes{Neg: true, Types: 1<<2 | 1<<3 | DCCPReserved}, "dccp type != { data, ack, 10-15 }"},
		{&DCCPTypes{Types: DCCPReserved}, "dccp type 10-15"},
		{&TProxyMark{Mark: 1, Mask: 0xffffffff}, "meta mark set 0x1"},
		{&TProxyMark{Mark: 1, Mask: 0xff}, "meta mark set meta mark & 0xffffff00 xor 0x1"},
		{&TProxyMark{Mark: 0x10, Mask: 0xffff0000}, "meta mark set meta mark & 0x0000ffff xor 0x10"},
	}
	for _, c := range cases {
		if got := string(AppendRule(nil, &Rule{Stmts: []Stmt{c.s}})); got != c.want {
			t.Errorf("%T: got %q, want %q", c.s, got, c.want)
		}
	}
}
