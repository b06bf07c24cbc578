package iptables

import (
	"errors"
	"testing"

	"github.com/ruleshift/ruleshift/translate/ir"
)

// TestLineError: each way iptables 1.8.9's restore tools name a failing
// line becomes an error at the position that line was rendered from.
func TestLineError(t *testing.T) {
	rs := &ir.Ruleset{Tables: []*ir.Table{{Family: ir.IPv4, Name: "filter", Src: ir.Pos{File: "r.sh", Line: 1, Col: 1}, Chains: []*ir.Chain{
		{Name: "INPUT", Base: &ir.BaseChain{Hook: ir.HookInput, Policy: ir.PolicyAccept}, Src: ir.Pos{File: "r.sh", Line: 2, Col: 1}, Rules: []*ir.Rule{
			{Target: &ir.Verdict{Kind: ir.Accept}, Src: ir.Pos{File: "r.sh", Line: 7, Col: 3}},
		}},
	}}}}
	text, lines, d := RenderMapped(rs, ir.IPv4, NFT, Options{Header: true})
	if d.HasErrors() {
		t.Fatal(d.Err())
	}
	// 1 header, 2 *filter, 3 :INPUT, 4 -A INPUT, 5 COMMIT
	if len(lines) != 5 {
		t.Fatalf("%d lines mapped for:\n%s", len(lines), text)
	}
	for _, c := range []struct{ stderr, want string }{
		{"iptables-nft-restore v1.8.9 (nf_tables): \nline 4: RULE_APPEND failed (Too many links): rule in chain INPUT\niptables-nft-restore: line 5 failed\n",
			"r.sh:7:3: RULE_APPEND failed (Too many links): rule in chain INPUT (refused by T; table filter, chain INPUT); nothing was changed"},
		{"iptables-restore v1.8.9 (legacy): Couldn't load target `FOO':No such file or directory\n\nError occurred at line: 4\nTry `iptables-restore -h' or 'iptables-restore --help' for more information.\n",
			"r.sh:7:3: Couldn't load target `FOO':No such file or directory (refused by T; table filter, chain INPUT); nothing was changed"},
		{"iptables-restore: line 5 failed\n",
			"r.sh:1:1: the kernel refused table filter as a whole at COMMIT (T: line 5 failed; the legacy tools cannot say which rule); nothing was changed"},
	} {
		err := lineError("T", lines, &toolError{name: "T", err: errors.New("exit status 1"), stderr: c.stderr})
		if err.Error() != c.want {
			t.Errorf("stderr %q:\n got %s\nwant %s", c.stderr, err, c.want)
		}
	}
}
