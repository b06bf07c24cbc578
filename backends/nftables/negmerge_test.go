package nftables

import (
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/internal/testenv"
	"github.com/ruleshift/ruleshift/translate"
	"github.com/ruleshift/ruleshift/translate/ir"
)

const negMerge = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -p tcp -m tcp ! --sport 22 ! --dport 23 -j DROP
-A INPUT ! -p tcp -m ttl ! --ttl-eq 64 -j DROP
-A INPUT -p udp ! --sport 53 --dport 53 -j DROP
-A INPUT ! -s 192.0.2.1 ! -d 192.0.2.2 -j DROP
COMMIT
`

// TestNegatedNotMerged: nft 1.0.6 joins "!=" tests of adjacent header
// fields into one "!=" of both, which is true when either differs. The
// second of such a pair is written as a one-value range, which nft keeps
// apart; the others stay as they were.
func TestNegatedNotMerged(t *testing.T) {
	rs, d := translate.Load([]translate.Input{{Name: "n", Data: []byte(negMerge)}}, translate.Options{From: translate.Save, Family: ir.IPv4})
	if d.HasErrors() {
		t.Fatal(d.Err())
	}
	text, rd := Render(rs, Options{})
	if rd.HasErrors() {
		t.Fatal(rd.Err())
	}
	for _, want := range []string{
		"tcp sport != 22 tcp dport != 23-23 counter drop",
		"ip protocol != 6-6 ip ttl != 64 counter drop",
		"udp sport != 53 udp dport 53 counter drop",
		"ip saddr != 192.0.2.1 ip daddr != 192.0.2.2 counter drop",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
	testenv.RequireBinary(t, "nft")
	ns := testenv.NewNetns(t, "rs-negm")
	if _, err := ns.Run([]byte(text), "nft", "-f", "-"); err != nil {
		t.Fatal(err)
	}
	out, err := ns.Run(nil, "nft", "--debug=netlink", "list", "ruleset")
	if err != nil {
		t.Fatal(err)
	}
	for _, merged := range []string{"4b @ transport header + 0", "2b @ network header + 8"} {
		if strings.Contains(out, merged) {
			t.Errorf("nft -f merged negated comparisons (%s):\n%s", merged, out)
		}
	}
}
