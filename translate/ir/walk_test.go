package ir

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"
)

func sample() *Ruleset {
	p := func(col int) Pos { return Pos{File: "f", Line: 1, Col: col} }
	tcp := &TCP{At: At{Src: p(12)}, DstPorts: &PortRange{Lo: 22, Hi: 22}}
	return &Ruleset{Tables: []*Table{{
		Family: IPv4, Name: "filter",
		Sets: []*Set{{Name: "admins", Key: SetKeyIPv4, Flags: SetInterval | SetConstant, Elements: []SetElem{
			{Prefix: netip.MustParsePrefix("192.0.2.0/24")}, {Prefix: netip.MustParsePrefix("198.51.100.7/32")},
			{Range: &AddrRange{From: netip.MustParseAddr("10.0.0.1"), To: netip.MustParseAddr("10.0.0.9")}},
		}}},
		Chains: []*Chain{
			{Name: "INPUT", Base: &BaseChain{Type: TypeFilter, Hook: HookInput, Policy: PolicyDrop}, Rules: []*Rule{
				{Src: p(1), Matches: []Match{&Protocol{At: At{Src: p(4)}, Num: 6}, tcp}, Target: &Verdict{At: At{Src: p(25)}, Kind: Accept}, Counters: &Counters{Packets: 3}},
				{Src: Pos{File: "f", Line: 2, Col: 1}, Matches: []Match{&SetRef{Name: "admins", Dir: Src}}, Target: &Jump{Chain: "admin"}},
			}},
			{Name: "admin", Rules: []*Rule{{Target: &Log{Level: LogWarning}}}},
		},
	}}}
}

func TestWalk(t *testing.T) {
	var seen []string
	Walk(sample(), func(n any) bool {
		seen = append(seen, fmt.Sprintf("%T", n))
		_, isChain := n.(*Chain)
		return !isChain || n.(*Chain).Name != "admin" // skip admin's rules
	})
	got := strings.Join(seen, " ")
	want := "*ir.Table *ir.Set *ir.Chain *ir.Rule *ir.Protocol *ir.TCP *ir.Verdict *ir.Rule *ir.SetRef *ir.Jump *ir.Chain"
	if got != want {
		t.Errorf("Walk visited\n%s\nwant\n%s", got, want)
	}
	n := 0
	Walk(sample(), func(n2 any) bool { n++; _, isTable := n2.(*Table); return !isTable })
	if n != 1 {
		t.Errorf("false for a table visited %d nodes, want 1", n)
	}
	Walk(nil, func(any) bool { t.Fatal("visited a nil ruleset"); return true })
}

func TestRewrite(t *testing.T) {
	rs := sample()
	in := rs.Tables[0].Chain("INPUT")
	first, second := in.Rules[0], in.Rules[1]
	// Split the first rule in two, delete the second, keep admin's.
	n := Rewrite(rs, func(_ *Table, c *Chain, r *Rule) ([]*Rule, bool) {
		switch r {
		case first:
			return []*Rule{{Target: &Verdict{Kind: Drop}}, r}, true
		case second:
			return nil, true
		}
		return nil, false
	})
	if n != 2 {
		t.Errorf("Rewrite replaced %d rules, want 2", n)
	}
	if len(in.Rules) != 2 || in.Rules[1] != first || in.Rules[0].Target.(*Verdict).Kind != Drop {
		t.Errorf("INPUT after Rewrite: %s", Dump(rs))
	}
	admin := rs.Tables[0].Chain("admin")
	before := &admin.Rules[0]
	if Rewrite(rs, func(*Table, *Chain, *Rule) ([]*Rule, bool) { return nil, false }) != 0 || &admin.Rules[0] != before {
		t.Error("a Rewrite that keeps every rule copied a chain")
	}
}

func TestEqual(t *testing.T) {
	a, b := sample(), sample()
	if !Equal(a, b) {
		t.Fatal("two samples differ")
	}
	// Positions and counters do not count.
	r := b.Tables[0].Chains[0].Rules[0]
	r.Src, r.Counters = Pos{File: "other"}, nil
	r.Matches[1].SetPos(Pos{Line: 99})
	r.Target.SetPos(Pos{})
	b.Tables[0].Sets[0].Src = Pos{Line: 7}
	if !Equal(a, b) {
		t.Error("positions or counters made two rulesets differ")
	}
	if !Equal(a.Tables[0].Chains[0].Rules[0].Matches[1], r.Matches[1]) {
		t.Error("matches that differ only in position differ")
	}
	// Values do.
	for name, change := range map[string]func(rs *Ruleset){
		"port":     func(rs *Ruleset) { rs.Tables[0].Chains[0].Rules[0].Matches[1].(*TCP).DstPorts.Hi = 23 },
		"kind":     func(rs *Ruleset) { rs.Tables[0].Chains[0].Rules[0].Matches[1] = &UDP{} },
		"target":   func(rs *Ruleset) { rs.Tables[0].Chains[0].Rules[1].Target = nil },
		"policy":   func(rs *Ruleset) { rs.Tables[0].Chains[0].Base.Policy = PolicyAccept },
		"element":  func(rs *Ruleset) { rs.Tables[0].Sets[0].Elements[1].Prefix = netip.MustParsePrefix("198.51.100.8/32") },
		"level":    func(rs *Ruleset) { rs.Tables[0].Chains[1].Rules[0].Target.(*Log).Level = LogLevelUnset },
		"no rules": func(rs *Ruleset) { rs.Tables[0].Chains[1].Rules = nil },
	} {
		c := sample()
		change(c)
		if Equal(a, c) {
			t.Errorf("%s: a changed ruleset equals the sample", name)
		}
	}
	if !Equal(&Chain{Name: "x"}, &Chain{Name: "x", Rules: []*Rule{}}) {
		t.Error("a nil rule list differs from an empty one")
	}
	if Equal(&TCP{}, &UDP{}) || !Equal(nil, nil) || Equal(&TCP{}, nil) {
		t.Error("Equal of different kinds or nil is wrong")
	}
}

func TestDumpSets(t *testing.T) {
	got := Dump(sample())
	want := `table ip filter
  set admins ipv4_addr flags constant,interval {192.0.2.0/24,198.51.100.7,10.0.0.1-10.0.0.9}
  chain INPUT (filter input 0 policy DROP)
    f:1:1: protocol{Num:6} tcp{DstPorts:22} -> verdict{Kind:ACCEPT} [3:0]
    f:2:1: setref{Name:"admins" Dir:src} -> jump{Chain:"admin"}
  chain admin (user)
    -: -> log{Level:warning}
`
	if got != want {
		t.Errorf("Dump:\n%s\nwant:\n%s", got, want)
	}
}

func TestLogLevel(t *testing.T) {
	if LogLevelUnset.IsSet() || LogLevelUnset.Num() != -1 {
		t.Error("an unset level is set")
	}
	for n := 0; n <= 7; n++ {
		if l := LogLevelOf(n); !l.IsSet() || l.Num() != n {
			t.Errorf("LogLevelOf(%d) = %v, Num %d", n, l, l.Num())
		}
	}
	if LogLevelOf(8) != LogLevelUnset || LogLevelOf(4).String() != "warning" {
		t.Error("LogLevelOf out of range or names wrong")
	}
	if s := (CtEventNew | CtEventAssured | CtEventSecmark).String(); s != "new,assured,secmark" {
		t.Errorf("CtEvents.String = %q", s)
	}
}
