package iptables

import (
	"math"
	"net/netip"
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/translate/ir"
)

func parseCT(t *testing.T, line string, f ir.Family) (*Command, string) {
	t.Helper()
	toks, _, ok := SplitLine(line, ir.Pos{File: "t", Line: 1, Col: 1})
	if !ok {
		t.Fatalf("cannot split %q", line)
	}
	cmd, d := ParseCommand(toks, ParseOptions{Family: f})
	if d.HasErrors() {
		return cmd, d.Err().Error()
	}
	return cmd, ""
}

func TestConntrackParse(t *testing.T) {
	a := netip.MustParseAddr("10.100.2.131")
	cases := []struct {
		line string
		fam  ir.Family
		want any
	}{
		{"-A INPUT -m state ! --state n,e", ir.IPv4, &ir.State{Neg: true, States: ir.CtNew | ir.CtEstablished}},
		{"-A INPUT -m conntrack --ctstate S,d", ir.IPv4, &ir.Conntrack{State: &ir.State{States: ir.CtSNAT | ir.CtDNAT}}},
		{"-A INPUT -m conntrack ! --ctproto udp --ctorigsrc 10.100.2.131/255.255.0.0", ir.IPv4,
			&ir.Conntrack{Proto: &ir.CtProto{Neg: true, Num: 17}, OrigSrc: &ir.CtAddr{Addr: a, Bits: 16}}},
		{"-A INPUT -m conntrack --ctorigdstport 5:3 --ctreplsrcport 7: --ctrepldstport :9", ir.IPv4,
			&ir.Conntrack{OrigDstPort: &ir.CtPorts{Lo: 5, Hi: 3}, ReplSrcPort: &ir.CtPorts{Lo: 7, Hi: 65535}, ReplDstPort: &ir.CtPorts{Lo: 0, Hi: 9}}},
		{"-A INPUT -m conntrack ! --ctstatus none,se --ctexpire 5: --ctdir reply", ir.IPv4,
			&ir.Conntrack{Status: ir.CtSeenReply, StatusSet: true, NegStatus: true, Expire: &ir.CtExpire{Min: 5, Max: math.MaxUint32}, Dir: ir.CtReply}},
		{"-A INPUT -m mark ! --mark 0xa/012", ir.IPv4, &ir.Mark{Neg: true, Value: 10, Mask: 10}},
		{"-A INPUT -m connmark --mark 2", ir.IPv6, &ir.ConnMark{Value: 2, Mask: math.MaxUint32}},
		{"-A INPUT -m helper ! --helper ftp", ir.IPv4, &ir.Helper{Neg: true, Name: "ftp"}},
		{"-A INPUT -m connlimit ! --connlimit-above 3 --connlimit-mask 64 --connlimit-daddr", ir.IPv6, &ir.ConnLimit{Limit: 3, Upto: true, Bits: 64, DAddr: true}},
		{"-A INPUT -m connlimit --connlimit-above 3", ir.IPv4, &ir.ConnLimit{Limit: 3, Bits: 32}},
		{"-A INPUT -m connbytes ! --connbytes 10 --connbytes-dir both --connbytes-mode bytes", ir.IPv4,
			&ir.ConnBytes{Neg: true, From: 10, To: math.MaxUint64, Dir: ir.ConnBytesBoth, Mode: ir.ConnBytesBytes}},
		{"-A INPUT -m connlabel ! --label 0x7f --set", ir.IPv4, &ir.ConnLabel{Neg: true, Bit: 127, Set: true}},
	}
	for _, c := range cases {
		cmd, err := parseCT(t, c.line, c.fam)
		if err != "" {
			t.Errorf("%s: %s", c.line, err)
			continue
		}
		if got := cmd.Rules[0].Matches[len(cmd.Rules[0].Matches)-1]; !ir.Equal(got, c.want) {
			t.Errorf("%s:\n got %s\nwant %s", c.line, dumpOne(got), dumpOne(c.want))
		}
	}
}

func TestConntrackTargetsParse(t *testing.T) {
	cases := []struct {
		line string
		want any
	}{
		{"-t mangle -A OUTPUT -j MARK --set-mark 5/0xf0", &ir.MarkTarget{Op: ir.MarkSet, Value: 5, Mask: 0xf5}},
		{"-A OUTPUT -j MARK --and-mark 5", &ir.MarkTarget{Op: ir.MarkAnd, Value: 0, Mask: 0xfffffffa}},
		{"-A OUTPUT -j MARK --or-mark 5", &ir.MarkTarget{Op: ir.MarkOr, Value: 5, Mask: 5}},
		{"-A OUTPUT -j MARK --xor-mark 5", &ir.MarkTarget{Op: ir.MarkXor, Value: 5}},
		{"-A OUTPUT -j CONNMARK --set-mark 0x23/0x42 --right-shift-mark 5",
			&ir.ConnMarkTarget{Mode: ir.ConnMarkSet, Op: ir.MarkSet, Value: 0x23, CtMask: 0x63, NfMask: math.MaxUint32, Shift: 5, ShiftRight: true}},
		{"-A OUTPUT -j CONNMARK --save-mark --mask 0xff", &ir.ConnMarkTarget{Mode: ir.ConnMarkSave, CtMask: 0xff, NfMask: 0xff}},
		{"-A OUTPUT -j CONNMARK --restore-mark --ctmask 0xff", &ir.ConnMarkTarget{Mode: ir.ConnMarkRestore, CtMask: 0xff, NfMask: math.MaxUint32}},
		{"-t raw -A PREROUTING -j CT --notrack --zone-orig 5 --zone-reply mark --ctevents related,new --expevents new",
			&ir.CtTarget{NoTrack: true, ZoneMark: true, ZoneOrig: true, ZoneReply: true, CtEvents: ir.CtEventNew | ir.CtEventRelated, ExpEvents: ir.ExpEventNew}},
		{"-t raw -A PREROUTING -p tcp -j CT --helper ftp --timeout t1", &ir.CtTarget{Helper: "ftp", Timeout: "t1"}},
		{"-t raw -A PREROUTING -j NOTRACK", &ir.CtTarget{Alias: true, NoTrack: true}},
	}
	for _, c := range cases {
		cmd, err := parseCT(t, c.line, ir.IPv4)
		if err != "" {
			t.Errorf("%s: %s", c.line, err)
			continue
		}
		if got := cmd.Rules[0].Target; !ir.Equal(got, c.want) {
			t.Errorf("%s:\n got %s\nwant %s", c.line, dumpOne(got), dumpOne(c.want))
		}
	}
}

func TestConntrackErrors(t *testing.T) {
	cases := []struct{ line, want string }{
		{"-A INPUT -m state", "state: --state is required"},
		{"-A INPUT -m state --state NEW,", `state: bad state ""`},
		{"-A INPUT -m state --state SNAT", `state: bad state "SNAT"`},
		{"-A INPUT -m state --state NEW --state NEW", "can only be used once"},
		{"-A INPUT -m conntrack", "at least one option is required"},
		{"-A INPUT -m conntrack --ctstate FOO", `conntrack: bad ctstate "FOO"`},
		{"-A INPUT -m conntrack --ctstatus FOO", `conntrack: bad ctstatus "FOO"`},
		{"-A INPUT -m conntrack --ctproto nope", "unknown protocol"},
		{"-A INPUT -m conntrack --ctorigsrc example.com", "host names are not resolved"},
		{"-A INPUT -m conntrack --ctorigsrc ::1", "needs an IPv4"},
		{"-A INPUT -m conntrack --ctorigsrc 10.0.0.1/255.0.255.0", "bad mask"},
		{"-A INPUT -m conntrack --ctorigsrcport 1:2:3", "too many components"},
		{"-A INPUT -m conntrack --ctorigsrcport nope", "does not resolve to anything"},
		{"-A INPUT -m conntrack --ctexpire x", "bad --ctexpire"},
		{"-A INPUT -m conntrack --ctdir sideways", "bad --ctdir"},
		{"-A INPUT -m conntrack ! --ctdir REPLY", "cannot be negated"},
		{"-A INPUT -m mark", "mark: --mark is required"},
		{"-A INPUT -m mark --mark 0x100000000", "mark: bad mark"},
		{"-A INPUT -m connmark --mark 1/x", "connmark: bad mark"},
		{"-A INPUT -m helper", "--helper is required"},
		{"-A INPUT -m connlimit --connlimit-mask 24", "--connlimit-above or --connlimit-upto is required"},
		{"-A INPUT -m connlimit --connlimit-upto 1 --connlimit-above 2", "cannot be used together"},
		{"-A INPUT -m connlimit --connlimit-upto 1 --connlimit-saddr --connlimit-daddr", "cannot be used together"},
		{"-A INPUT -m connlimit --connlimit-upto 1 --connlimit-mask 129", "bad --connlimit-mask"},
		{"-A INPUT -m connlimit --connlimit-upto -1", "bad --connlimit-upto"},
		{"-A INPUT -m connbytes --connbytes 5:3 --connbytes-dir both --connbytes-mode bytes", "5 should be less than 3"},
		{"-A INPUT -m connbytes --connbytes 5 --connbytes-dir up --connbytes-mode bytes", "unknown --connbytes-dir"},
		{"-A INPUT -m connbytes --connbytes 5 --connbytes-dir both --connbytes-mode bits", "unknown --connbytes-mode"},
		{"-A INPUT -m connbytes --connbytes 5", "--connbytes-dir is required"},
		{"-A INPUT -m connbytes --connbytes x --connbytes-dir both --connbytes-mode bytes", "bad --connbytes"},
		{"-A INPUT -m connlabel --label 128", "not a bit number"},
		{"-A INPUT -m connlabel --set", "--label is required"},
		{"-A INPUT -j MARK", "MARK: one of the"},
		{"-A INPUT -j MARK --set-mark 1 --or-mark 2", "only one of"},
		{"-A INPUT -j MARK --set-xmark 1/z", "bad --set-xmark"},
		{"-A INPUT -j MARK --and-mark z", "bad --and-mark"},
		{"-A INPUT -j CONNMARK", "no operation specified"},
		{"-A INPUT -j CONNMARK --save-mark --mask 1 --ctmask 2", "cannot be used together"},
		{"-A INPUT -j CONNMARK --save-mark --restore-mark", "only one of"},
		{"-A INPUT -j CONNMARK --save-mark --left-shift-mark 33", "bad --left-shift-mark"},
		{"-A INPUT -j CONNMARK --save-mark --nfmask x", "bad --nfmask"},
		{"-A PREROUTING -j CT --notrack", "only valid in the raw table"},
		{"-A PREROUTING -j NOTRACK", "only valid in the raw table"},
		{"-t raw -A PREROUTING -j CT --helper ftp", "need a layer 4 protocol"},
		{"-t raw -A PREROUTING -p tcp -j CT --helper " + strings.Repeat("x", 16), "longer than 15"},
		{"-t raw -A PREROUTING -p tcp -j CT --timeout " + strings.Repeat("x", 32), "longer than 31"},
		{"-t raw -A PREROUTING -j CT --ctevents new,bogus", `unknown event type "bogus"`},
		{"-t raw -A PREROUTING -j CT --expevents related", `unknown event type "related"`},
		{"-t raw -A PREROUTING -j CT --zone 65536", "cannot parse"},
	}
	for _, c := range cases {
		_, err := parseCT(t, c.line, ir.IPv4)
		if err == "" {
			t.Errorf("%s: no error, want %q", c.line, c.want)
			continue
		}
		if !strings.Contains(err, c.want) || !strings.HasPrefix(err, "t:1:") {
			t.Errorf("%s: got %q, want %q with a position", c.line, err, c.want)
		}
	}
}

func TestCUint(t *testing.T) {
	for s, want := range map[string]uint64{"0": 0, "10": 10, "0x1F": 31, "010": 8} {
		if n, ok := cUint(s, math.MaxUint32); !ok || n != want {
			t.Errorf("cUint(%q) = %d, %v", s, n, ok)
		}
	}
	for _, s := range []string{"", "0x", "1_0", "-1", " -1", "08", "4294967296"} {
		if _, ok := cUint(s, math.MaxUint32); ok {
			t.Errorf("cUint(%q) accepted", s)
		}
	}
}

func dumpOne(x any) string {
	rs := &ir.Ruleset{Tables: []*ir.Table{{Family: ir.IPv4, Name: "t", Chains: []*ir.Chain{{Name: "c", Rules: []*ir.Rule{{}}}}}}}
	if m, ok := x.(ir.Match); ok {
		rs.Tables[0].Chains[0].Rules[0].Matches = []ir.Match{m}
	} else if tg, ok := x.(ir.Target); ok {
		rs.Tables[0].Chains[0].Rules[0].Target = tg
	}
	d := ir.Dump(rs)
	return d[strings.LastIndex(d, "\n    ")+1:]
}
