package iptables

import (
	"testing"

	"github.com/ruleshift/ruleshift/translate/ir"
)

// TestNoFlushDeclarationFlushes: under --noflush, a chain line for a user
// chain that is already there empties it, rules of the same input
// included, as iptables-nft-restore -n and iptables-legacy-restore -n
// 1.8.9 do; built-in chains keep their rules.
func TestNoFlushDeclarationFlushes(t *testing.T) {
	rs := &ir.Ruleset{}
	first := "*filter\n:X - [0:0]\n-A X -j ACCEPT\n-A INPUT -j X\nCOMMIT\n"
	second := "*filter\n-A X -j DROP\n:X - [0:0]\n:INPUT DROP [0:0]\n-A X -j RETURN\nCOMMIT\n"
	for i, text := range []string{first, second} {
		if d := ParseSave(rs, "in", []byte(text), SaveOptions{Family: ir.IPv4, NoFlush: true}); d.HasErrors() {
			t.Fatalf("input %d: %v", i, d.Err())
		}
	}
	tb := rs.Table(ir.IPv4, "filter")
	x, in := tb.Chain("X"), tb.Chain("INPUT")
	if len(x.Rules) != 1 || !ir.Equal(x.Rules[0].Target, &ir.Verdict{Kind: ir.Return}) {
		t.Errorf("chain X: want only -j RETURN, got %d rules:\n%s", len(x.Rules), ir.Dump(rs))
	}
	if len(in.Rules) != 1 || in.PolicyOf() != ir.PolicyDrop {
		t.Errorf("INPUT: want its jump kept and policy DROP:\n%s", ir.Dump(rs))
	}
}
