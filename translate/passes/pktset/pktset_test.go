package pktset

import (
	"net/netip"
	"testing"

	"github.com/ruleshift/ruleshift/translate/ir"
)

func rule(t ir.Target, ms ...ir.Match) *ir.Rule { return &ir.Rule{Matches: ms, Target: t} }

var (
	accept = &ir.Verdict{Kind: ir.Accept}
	drop   = &ir.Verdict{Kind: ir.Drop}
)

func src(p string) ir.Match { return &ir.Addr{Dir: ir.Src, Net: netip.MustParsePrefix(p)} }

func chain(rules ...*ir.Rule) *Chain {
	c := &ir.Chain{Name: "INPUT", Base: &ir.BaseChain{Hook: ir.HookInput, Policy: ir.PolicyDrop}, Rules: rules}
	return NewTable(&ir.Table{Family: ir.IPv4, Name: "filter", Chains: []*ir.Chain{c}}).Chain(c)
}

// TestCoveredByTwo is the completeness case: a rule covered only by two
// earlier rules together, with different verdicts.
func TestCoveredByTwo(t *testing.T) {
	ch := chain(
		rule(accept, src("10.0.0.0/9")),
		rule(drop, src("10.128.0.0/9")),
		rule(accept, src("10.0.0.0/8"), &ir.Protocol{Num: 6}),
		rule(accept, src("10.0.0.0/7")),
	)
	if ok, by := ch.CoveredBy(2); !ok || len(by) != 2 || by[0] != 0 || by[1] != 1 {
		t.Errorf("rule 2: covered %v by %v, want by [0 1]", ok, by)
	}
	if ok, _ := ch.CoveredBy(3); ok {
		t.Error("rule 3 (11.0.0.0/8 is not covered) said covered")
	}
	if ch.Overlap(0, 1) != No || ch.Overlap(0, 3) != Yes {
		t.Errorf("overlaps: %v %v", ch.Overlap(0, 1), ch.Overlap(0, 3))
	}
	if !ch.Commute(0, 1) || ch.Commute(1, 3) {
		t.Error("disjoint rules commute; overlapping ones of different verdicts do not")
	}
}

// TestOpaque: a rule with a match the engine does not model never covers
// another, and overlaps only "maybe".
func TestOpaque(t *testing.T) {
	lim := &ir.Limit{}
	ch := chain(rule(accept, &ir.Protocol{Num: 1}, lim), rule(accept, &ir.Protocol{Num: 1}), rule(accept, &ir.Protocol{Num: 1}, lim))
	if ok, _ := ch.CoveredBy(1); ok {
		t.Error("covered by a limited rule")
	}
	if ok, _ := ch.CoveredBy(2); !ok {
		t.Error("a limited rule after the same unlimited one is covered")
	}
	if ch.Overlap(0, 1) != Maybe {
		t.Errorf("overlap with an opaque rule: %v", ch.Overlap(0, 1))
	}
}

// TestModifierResets: after a rule that sets the mark, earlier rules say
// nothing of what later ones see.
func TestModifierResets(t *testing.T) {
	mark := &ir.Mark{Value: 1, Mask: 0xffffffff}
	ch := chain(rule(drop, mark), rule(&ir.MarkTarget{Value: 1, Mask: 0xffffffff}), rule(accept, mark))
	if ok, _ := ch.CoveredBy(2); ok {
		t.Error("covered across a MARK rule")
	}
}

func TestFate(t *testing.T) {
	c := &ir.Chain{Name: "INPUT", Base: &ir.BaseChain{Hook: ir.HookInput, Policy: ir.PolicyDrop}}
	u := &ir.Chain{Name: "lo"}
	tb := NewTable(&ir.Table{Family: ir.IPv4, Name: "filter", Chains: []*ir.Chain{c, u}})
	u.Rules = []*ir.Rule{rule(accept, &ir.Iface{Dir: ir.Src, Name: "lo"})}
	c.Rules = []*ir.Rule{rule(&ir.Jump{Chain: "lo"}), rule(&ir.Reject{}, &ir.Protocol{Num: 6})}
	var lo, tcp Box
	lo.Constrain(InIf, Point(IfaceValue("lo")))
	tcp.Constrain(Proto, Point(U64(6)))
	if f := tb.Fate(c, lo); !f.Accepted || len(f.Via) != 1 {
		t.Errorf("loopback: %+v", f)
	}
	if f := tb.Fate(c, tcp); !f.Denied || f.By != 1 {
		t.Errorf("tcp: %+v", f)
	}
}

func TestISet(t *testing.T) {
	max := ISet{{ones128, ones128}}
	all := ISet{{U128{}, ones128}}
	if d := Diff(all, max); len(d) != 1 || d[0].Hi != ones128.dec() {
		t.Errorf("all minus max: %v", d)
	}
	if u := Union(Diff(all, max), max); len(u) != 1 || !Subset(all, u) {
		t.Errorf("union back: %v", u)
	}
	if !Subset(Point(U64(5)), Range(U64(1), U64(9))) || Subset(Range(U64(1), U64(10)), Range(U64(1), U64(9))) {
		t.Error("subset")
	}
	if len(Range(U64(9), U64(1))) != 0 {
		t.Error("a reversed range is empty")
	}
}

func TestIfaceSet(t *testing.T) {
	for _, c := range []struct {
		pat, name string
		in        bool
	}{
		{"eth+", "eth0", true}, {"eth+", "eth", true}, {"eth+", "et", false}, {"eth+", "wlan0", false},
		{"+", "anything", true}, {"eth0", "eth0", true}, {"eth0", "eth00", false},
		{"abcdefghijklmno+", "abcdefghijklmno", true},
	} {
		if got := IfaceSet(c.pat).Contains(IfaceValue(c.name)); got != c.in {
			t.Errorf("%s contains %s: %v", c.pat, c.name, got)
		}
	}
}

// TestNoPanic feeds malformed model values.
func TestNoPanic(t *testing.T) {
	ch := chain(
		rule(accept, &ir.Addr{Dir: ir.Src}),
		rule(accept, &ir.IPRange{Src: &ir.AddrRange{}}),
		rule(accept, &ir.Addr{Dir: ir.Dst, Net: netip.MustParsePrefix("2001:db8::/32")}),
		rule(accept, &ir.Multiport{Dir: ir.Both}),
		rule(&ir.Jump{Chain: "missing"}),
	)
	for i := range ch.Rules {
		ch.CoveredBy(i)
		ch.RedundantBelow(i, nil)
	}
	ch.Removable()
}
