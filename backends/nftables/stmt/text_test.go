package stmt

import (
	"encoding/binary"
	"net/netip"
	"testing"

	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// TestAppendRule checks the text of each statement kind against what nft
// 1.0.6 lists; the golden files of the backend cover them in context.
func TestAppendRule(t *testing.T) {
	cases := []struct {
		s    Stmt
		want string
	}{
		{&Cmp{Field: IifName, Value: []byte("eth")}, `iifname "eth*"`},
		{&Cmp{Field: OifName, Neg: true, Value: []byte("ppp*\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00")}, `oifname != "ppp\*"`},
		{&Cmp{Field: IPSaddr, Neg: true, Value: []byte{10, 0, 0, 0}, Prefix: true, Bits: 8}, "ip saddr != 10.0.0.0/8"},
		{&Cmp{Field: IPDaddr, Mask: []byte{255, 255, 0, 255}, Value: []byte{10, 1, 0, 1}}, "ip daddr & 255.255.0.255 == 10.1.0.1"},
		{&Cmp{Field: IPFragOff, Neg: true, Mask: []byte{0x1f, 0xff}, Value: []byte{0, 0}}, "ip frag-off & 0x1fff != 0"},
		{&Cmp{Field: MetaL4Proto, Value: []byte{58}}, "meta l4proto ipv6-icmp"},
		{&Cmp{Field: IPProtocol, Value: []byte{200}}, "ip protocol 200"},
		{&Cmp{Field: Port(6, true), Value: []byte{0, 22}, To: []byte{0, 25}}, "tcp dport 22-25"},
		{&Cmp{Field: Port(17, false), Neg: true, Set: &Set{Key: InetService, Elems: []Elem{{From: []byte{0, 53}}, {From: []byte{1, 0}, To: []byte{1, 255}}}}}, "udp sport != { 53, 256-511 }"},
		{&Cmp{Field: ICMPType, Value: []byte{8}}, "icmp type echo-request"},
		{&Cmp{Field: MetaMark, Mask: host32(0xff), Value: host32(1)}, "mark and 0xff == 0x1"},
		{&Flags{Field: CtState, Bits: 2 | 4}, "ct state related,established"},
		{&Flags{Field: CtStatus, None: true, Bits: 0x10}, "ct status ! snat"},
		{&Limit{expr.Limit{Rate: 5, Unit: expr.LimitTimeMinute, Burst: 10}}, "limit rate 5/minute burst 10 packets"},
		{&Log{expr.Log{Key: 1<<unix.NFTA_LOG_PREFIX | 1<<unix.NFTA_LOG_LEVEL | 1<<unix.NFTA_LOG_FLAGS, Data: []byte("x: "), Level: 4, Flags: LogTCPSeq | LogTCPOpt | LogUID}}, `log prefix "x: " level warn flags tcp sequence,options flags skuid`},
		{&Reject{Reject: expr.Reject{Type: unix.NFT_REJECT_ICMP_UNREACH, Code: 4}, V6: true}, "reject"},
		{&Reject{Reject: expr.Reject{Type: unix.NFT_REJECT_ICMP_UNREACH, Code: 13}}, "reject with icmp type admin-prohibited"},
		{&NAT{Kind: SNAT, MinAddr: mustAddr("fec0::1"), MaxAddr: mustAddr("fec0::9"), HasPorts: true, PortMin: 80, PortMax: 80, Flags: NATRandom | NATPersistent}, "snat to [fec0::1]-[fec0::9]:80 random,persistent"},
		{&NAT{Kind: Masquerade, HasPorts: true, PortMin: 1024, PortMax: 2048}, "masquerade to :1024-2048"},
		{&Verdict{Kind: expr.VerdictGoto, Chain: "web"}, "goto web"},
		{&Cmp{Field: TCPFlags, Mask: []byte{0x02}, Value: []byte{0x02}}, "tcp flags & syn == syn"},
		{&Cmp{Field: TCPFlags, Neg: true, Mask: []byte{0x17}, Value: []byte{0x02}}, "tcp flags != syn / fin,syn,rst,ack"},
		{&Cmp{Field: EtherSaddr, Neg: true, Value: []byte{0, 0x11, 0x22, 0x33, 0x44, 0xaa}}, "ether saddr != 00:11:22:33:44:aa"},
		{&Cmp{Field: IPTTL, Op: expr.CmpOpLt, Value: []byte{5}}, "ip ttl lt 5"},
		{&Cmp{Field: IPSaddr, Value: []byte{10, 0, 0, 1}, To: []byte{10, 0, 0, 9}}, "ip saddr 10.0.0.1-10.0.0.9"},
	}
	for _, c := range cases {
		if got := string(AppendRule(nil, &Rule{Stmts: []Stmt{c.s}})); got != c.want {
			t.Errorf("got %q, want %q", got, c.want)
		}
	}
	r := &Rule{Stmts: []Stmt{&Counter{}, &Verdict{Kind: expr.VerdictAccept}}, Comment: "ssh"}
	if got := string(AppendRule([]byte("x "), r)); got != `x counter accept comment "ssh"` {
		t.Errorf("rule: got %q", got)
	}
}

func host32(v uint32) []byte {
	b := make([]byte, 4)
	binary.NativeEndian.PutUint32(b, v)
	return b
}

func mustAddr(s string) netip.Addr { return netip.MustParseAddr(s) }
