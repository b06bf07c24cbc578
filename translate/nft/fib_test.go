package nft_test

import (
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/translate/ir"
	"github.com/ruleshift/ruleshift/translate/nft"
)

// TestFibOif checks the reverse path tests: "fib saddr [. mark] [. iif]
// oif" against 0 or with exists/missing (firewalld's IPv6_rpfilter rule is
// "fib saddr . mark . iif oif missing drop") read as -m rpfilter, the
// inverse of how the nftables backend writes rpfilter; any other lookup
// or value stays an error at the rule.
func TestFibOif(t *testing.T) {
	chain := `{"chain":{"family":"ip","table":"raw","name":"PREROUTING","handle":1,"type":"filter","hook":"prerouting","prio":-300,"policy":"accept"}}`
	for _, c := range []struct{ flags, op, right, want string }{
		{`"saddr","mark","iif"`, "==", `false`, "-m rpfilter --validmark --invert -j DROP"},
		{`"saddr","iif"`, "==", `true`, "-m rpfilter -j DROP"},
		{`"saddr"`, "!=", `"0"`, "-m rpfilter --loose -j DROP"},
		{`"saddr","iif"`, "==", `"0"`, "-m rpfilter --invert -j DROP"},
		{`"saddr","mark"`, "!=", `false`, "-m rpfilter --loose --validmark -j DROP"},
		{`"saddr","iif"`, "!=", `true`, "-m rpfilter --invert -j DROP"},
		{`"daddr","iif"`, "==", `false`, "cannot read the fib expression"},
		{`"saddr","iif"`, "==", `"2"`, "cannot read the fib expression"},
		{`"mark","iif"`, "==", `false`, "cannot read the fib expression"},
	} {
		js := `{"nftables":[` + chain + `,{"rule":{"family":"ip","table":"raw","chain":"PREROUTING","handle":2,"expr":[{"match":{"op":"` + c.op +
			`","left":{"fib":{"result":"oif","flags":[` + c.flags + `]}},"right":` + c.right + `}},{"drop":null}]}}]}`
		rs := &ir.Ruleset{}
		d := nft.ReadJSON(rs, "f.json", []byte(js))
		if d.HasErrors() {
			if !strings.Contains(d.Err().Error(), c.want) || !strings.Contains(d.Err().Error(), "rule handle 2") {
				t.Errorf("%s %s %s: %v, want %q", c.flags, c.op, c.right, d.Err(), c.want)
			}
			continue
		}
		if out := render(t, rs, ir.IPv4); !strings.Contains(out, "-A PREROUTING "+c.want+"\n") {
			t.Errorf("%s %s %s: got\n%s\nwant %q", c.flags, c.op, c.right, out, c.want)
		}
	}
}
