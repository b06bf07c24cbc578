package iptables_test

import (
	"testing"

	"github.com/ruleshift/ruleshift/backends/iptables"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// TestErrorsAtTheMatch: a problem of one match or target is reported at
// that node's position, and at the rule's when the node has none.
func TestErrorsAtTheMatch(t *testing.T) {
	rulePos := ir.Pos{File: "f", Line: 3, Col: 1}
	icmpPos := ir.Pos{File: "f", Line: 3, Col: 17}
	bad := &ir.ICMP{At: ir.At{Src: icmpPos}, Type: 3, CodeMin: 1, CodeMax: 2}
	r := &ir.Rule{Src: rulePos, Matches: []ir.Match{&ir.Protocol{Num: 1}, bad}, Target: &ir.Verdict{Kind: ir.Accept}}
	_, d := iptables.RuleArgs(r, ir.IPv4, iptables.Legacy)
	if !d.HasErrors() || d.Items[0].Pos != icmpPos {
		t.Errorf("ICMP code range: %v, want an error at %s", d.Err(), icmpPos)
	}
	bad.SetPos(ir.Pos{})
	_, d = iptables.RuleArgs(r, ir.IPv4, iptables.Legacy)
	if !d.HasErrors() || d.Items[0].Pos != rulePos {
		t.Errorf("without a match position: %v, want an error at %s", d.Err(), rulePos)
	}
	setRef := &ir.Rule{Src: rulePos, Matches: []ir.Match{&ir.SetRef{At: ir.At{Src: icmpPos}, Name: "s"}}}
	if _, d = iptables.RuleArgs(setRef, ir.IPv4, iptables.NFT); !d.HasErrors() || d.Items[0].Pos != icmpPos {
		t.Errorf("a set lookup: %v, want an error at %s", d.Err(), icmpPos)
	}
}
