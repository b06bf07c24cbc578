package iptables_test

import (
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/backends/iptables"
	"github.com/ruleshift/ruleshift/internal/testenv"
	"github.com/ruleshift/ruleshift/translate"
	"github.com/ruleshift/ruleshift/translate/ir"
)

const negPorts = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -p tcp -m tcp ! --sport 22 ! --dport 23 -j DROP
-A INPUT -p udp -m udp ! --sport 53 ! --dport 54 -j DROP
COMMIT
`

// TestNegatedPortsNotMerged: iptables-nft 1.8.9 loads "! --sport A !
// --dport B" of one tcp or udp match as one 4-byte "!=", true when either
// port differs. ruleshift writes the two in separate matches for it, and
// the kernel then holds two comparisons.
func TestNegatedPortsNotMerged(t *testing.T) {
	rs, d := translate.Load([]translate.Input{{Name: "n", Data: []byte(negPorts)}}, translate.Options{From: translate.Save, Family: ir.IPv4})
	if d.HasErrors() {
		t.Fatal(d.Err())
	}
	for _, v := range []*iptables.Variant{iptables.Legacy, iptables.NFT} {
		text, rd := iptables.Render(rs, ir.IPv4, v, iptables.Options{})
		if rd.HasErrors() {
			t.Fatal(rd.Err())
		}
		split := strings.Contains(text, "-m tcp ! --sport 22 -m tcp ! --dport 23") && strings.Contains(text, "-m udp ! --sport 53 -m udp ! --dport 54")
		if split != (v == iptables.NFT) {
			t.Errorf("%s: split %v:\n%s", v.Name, split, text)
		}
	}
	testenv.RequireBinary(t, "iptables-nft-restore", "nft")
	ns := testenv.NewNetns(t, "rs-negp")
	text, _ := iptables.Render(rs, ir.IPv4, iptables.NFT, iptables.Options{})
	if _, err := ns.Run([]byte(text), "iptables-nft-restore"); err != nil {
		t.Fatal(err)
	}
	out, err := ns.Run(nil, "nft", "--debug=netlink", "list", "ruleset")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "4b @ transport header + 0") {
		t.Errorf("the kernel holds a merged port comparison:\n%s", out)
	}
	if n := strings.Count(out, "cmp neq"); n != 4 {
		t.Errorf("%d negated comparisons in the kernel, want 4:\n%s", n, out)
	}
}
