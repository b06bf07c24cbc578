package stmt

import (
	"net/netip"
	"testing"

	"github.com/google/nftables/expr"
)

// TestAppendCt checks the text of the conntrack, mark, stateful and set
// statements and of the declarations; the golden files of the backend
// cover them in context.
func TestAppendCt(t *testing.T) {
	cases := []struct {
		s    Stmt
		want string
	}{
		{&CtMatch{Kind: CtDirection, Dir: CtReply}, "ct direction reply"},
		{&CtMatch{Kind: CtProtocol, Dir: CtOriginal, Op: CtNeq, Lo: 6, Hi: 6}, "ct original protocol != 6"},
		{&CtMatch{Kind: CtAddr, Dir: CtReply, Dst: true, V6: true, Addr: netip.MustParsePrefix("fec0::/16")}, "ct reply ip6 daddr fec0::/16"},
		{&CtMatch{Kind: CtAddr, Dir: CtOriginal, Op: CtNeq, Addr: netip.MustParsePrefix("10.0.0.1/32")}, "ct original ip saddr != 10.0.0.1"},
		{&CtMatch{Kind: CtPort, Dir: CtOriginal, Dst: true, Lo: 20, Hi: 21}, "ct original proto-dst 20-21"},
		{&CtMatch{Kind: CtExpiration, Op: CtLt, Lo: 30, Hi: 30}, "ct expiration < 30s"},
		{&CtMatch{Kind: CtExpiration, Op: CtNeq, Lo: 5, Hi: 9}, "ct expiration != 5-9"},
		{&CtMatch{Kind: CtBytes, Dir: CtReply, Op: CtGe, Lo: 100, Hi: 100}, "ct reply bytes ge 100"},
		{&CtMatch{Kind: CtAvgpkt, Lo: 1, Hi: 2}, "ct avgpkt 1-2"},
		{&CtMatch{Kind: CtHelper, Op: CtNeq, Name: "ftp"}, `ct helper != "ftp"`},
		{&CtMatch{Kind: CtLabel, Op: CtNeq, Lo: 3, Hi: 3}, "ct label and 3 != 3"},
		{&CtLabelSet{Bit: 3}, "ct label set 3"},
		{&MarkSet{Src: MarkImm, Value: 0x10}, "meta mark set 0x10"},
		{&MarkSet{Ct: true, Src: MarkCt, Ops: []MarkOp{{'&', 0xff00}, {'^', 1}}}, "ct mark set ct mark and 0xff00 xor 0x1"},
		{&MarkSet{Ct: true, Src: MarkMeta, Shift: 8, ShiftRight: true}, "ct mark set ( meta mark ) >> 8"},
		{&Notrack{}, "notrack"},
		{&CtZoneSet{Dir: CtOriginal, Zone: 3}, "ct original zone set 3"},
		{&CtHelperSet{Obj: "ftp_tcp"}, `ct helper set "ftp_tcp"`},
		{&CtEventSet{Events: []string{"new", "mark"}}, `ct event set "new","mark"`},
		{&Quota{Bytes: 500, Over: true}, "quota over 500 bytes"},
		{&Random{Prob: 100, Neg: true}, "meta random & 2147483647 >= 100"},
		{&Numgen{Mod: 3, Packet: 1}, "numgen inc mod 3 1"},
		{&MetaTime{From: 0, To: 86400}, `meta time "1970-01-01 00:00:00"-"1970-01-02 00:00:00"`},
		{&MetaHour{From: 8 * 3600, To: 17*3600 + 61}, `meta hour "08:00:00"-"17:01:01"`},
		{&MetaDay{Days: []uint8{1, 0}}, "meta day { 1, 0 }"},
		{&Secpath{Out: true, Exists: true}, "rt ipsec exists"},
		{&SkID{Gid: true, Neg: true, Min: 1, Max: 5}, "meta skgid != 1-5"},
		{&SkID{Name: "nobody"}, "meta skuid nobody"},
		{&ConnCount{Set: "connlimit0", Mask: netip.MustParseAddr("255.255.255.0"), Over: true, Limit: 2}, "add @connlimit0 { ip saddr and 255.255.255.0 ct count over 2 }"},
		{&Meter{Name: "m", Keys: []MeterKey{{Dst: true, Bits: 24}, {Proto: 6, Dst: true}}, Timeout: 1500, Limit: expr.Limit{Rate: 5, Unit: expr.LimitTimeSecond}, Burst: 5}, "meter m { ip daddr and 255.255.255.0 . tcp dport timeout 1s500ms limit rate 5/second burst 5 packets }"},
		{&Meter{Name: "s", Shared: true, Keys: []MeterKey{{V6: true, Bits: 64}}, Limit: expr.Limit{Over: true, Rate: 1, Unit: expr.LimitTimeMinute}, Burst: 1}, "add @s { ip6 saddr and ffff:ffff:ffff:ffff:0:0:0:0 limit rate over 1/minute burst 1 packets }"},
	}
	for _, c := range cases {
		if got := string(AppendRule(nil, &Rule{Stmts: []Stmt{c.s}})); got != c.want {
			t.Errorf("%#v:\n got %s\nwant %s", c.s, got, c.want)
		}
	}
	decls := []struct {
		d    Decl
		want string
	}{
		{&SetDecl{Name: "connlimit0", Keys: []Datatype{IPv6Addr}}, "{ type ipv6_addr; flags dynamic; }"},
		{&SetDecl{Name: "x", Keys: []Datatype{IPv4Addr, InetService}, Size: 65535, Timeout: true}, "{ type ipv4_addr . inet_service; size 65535; flags dynamic,timeout; }"},
		{&CtHelperObj{Name: "ftp_tcp", Helper: "ftp", L4: 6}, `{ type "ftp" protocol tcp; l3proto ip; }`},
	}
	for _, c := range decls {
		if got := string(AppendDeclBody(nil, c.d)); got != c.want {
			t.Errorf("%#v:\n got %s\nwant %s", c.d, got, c.want)
		}
	}
}
