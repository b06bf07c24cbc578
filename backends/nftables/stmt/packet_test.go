package stmt

import (
	"net/netip"
	"testing"

	"github.com/google/nftables/expr"
)

// TestAppendPacket checks the text of the packet and target statements
// against what nft 1.0.6 takes; the golden files cover them in context.
func TestAppendPacket(t *testing.T) {
	u16 := func(v uint16) *uint16 { return &v }
	cases := []struct {
		s    Stmt
		want string
	}{
		{&Cmp{Field: MetaPktType, Neg: true, Value: []byte{1}}, "pkttype != broadcast"},
		{&Cmp{Field: MetaLength, Value: Host32(100), To: Host32(200)}, "meta length 100-200"},
		{&Cmp{Field: IifGroup, Mask: Host32(0xff), Value: Host32(5)}, "iifgroup and 0xff == 0x5"},
		{&Cmp{Field: IPDSCP, Neg: true, Value: []byte{0x0a}}, "ip dscp != 0x0a"},
		{&Cmp{Field: IP6ECN, Value: []byte{3}}, "ip6 ecn ce"},
		{&Cmp{Field: IPTOS, Mask: []byte{0x0f}, Value: []byte{0x02}}, "@nh,8,8 & 0x0f == 0x02"},
		{&Cmp{Field: &Fib{Text: "fib daddr type", Dt: FibAddrTypeDt}, Set: &Set{Key: FibAddrTypeDt, Elems: []Elem{{From: Host32(2)}, {From: Host32(9)}}}}, "fib daddr type { local, 9 }"},
		{&Cmp{Field: FragID, Neg: true, Value: []byte{0, 0, 0, 5}, To: []byte{0, 0, 0, 9}}, "frag id != 5-9"},
		{&Cmp{Field: SCTPChunkFlags("data", 0), Mask: []byte{3}, Value: []byte{1}}, "sctp chunk data flags & 0x3 == 0x1"},
		{&Cmp{Field: SocketWildcard, Op: expr.CmpOpLte, Value: []byte{1}}, "socket wildcard le 1"},
		{&Present{Text: "exthdr frag", Missing: true}, "exthdr frag missing"},
		{&TCPBit{Name: "cwr", Bit: 0x80, Clear: true}, "tcp flags & cwr == 0"},
		{&Concat{Fields: []Field{Port(6, false), Port(6, true)}, Neg: true, Elems: [][]Elem{{{From: []byte{0, 0}, To: []byte{255, 255}}, {From: []byte{0, 25}}}}}, "tcp sport . tcp dport != { 0-65535 . 25 }"},
		{&PayloadSet{Text: "ip ecn", Dt: ECNDt, Value: 2}, "ip ecn set ect0"},
		{&MSSSet{ClampPMTU: true}, "tcp option maxseg size set rt mtu"},
		{&Priority{Major: 0x10, Minor: 0xff}, "meta priority set 10:ff"},
		{&Queue{Num: 3, Last: 5, Bypass: true, Fanout: true}, "queue num 3-5 bypass,fanout"},
		{&Synproxy{MSS: u16(1460), SACKPerm: true}, "synproxy mss 1460 sack-perm"},
		{&TProxy{Addr: mustAddr("::1"), Port: 80}, "tproxy to [::1]:80"},
		{&TProxy{Port: 0}, "tproxy to :0"},
		{&Dup{Addr: mustAddr("10.0.0.1"), Dev: "eth0"}, `dup to 10.0.0.1 device "eth0"`},
		{&Netmap{V6: true, Net: netip.MustParsePrefix("2001:db8::/64")}, "snat ip6 prefix to 2001:db8::/64"},
	}
	for _, c := range cases {
		if got := string(AppendRule(nil, &Rule{Stmts: []Stmt{c.s}})); got != c.want {
			t.Errorf("%T: got %q, want %q", c.s, got, c.want)
		}
	}
}
