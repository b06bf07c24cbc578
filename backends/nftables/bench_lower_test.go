package nftables

import (
	"bytes"
	"testing"

	"github.com/ruleshift/ruleshift/internal/gen"
	"github.com/ruleshift/ruleshift/translate/diag"
	"github.com/ruleshift/ruleshift/translate/iptables"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// Lowering and netlink encoding alone, per rule, over 10,000 rules of
// each mode of internal/gen (bench/gensave writes the same rulesets).

func genModes(b *testing.B, f func(b *testing.B, rs *ir.Ruleset)) {
	for _, m := range []struct {
		name string
		mode gen.Mode
	}{{"Mixed", gen.Mixed}, {"Multiport", gen.Multiport}} {
		b.Run(m.name, func(b *testing.B) {
			var buf bytes.Buffer
			if err := gen.RulesMode(&buf, 10000, false, m.mode); err != nil {
				b.Fatal(err)
			}
			rs := &ir.Ruleset{}
			if d := iptables.ParseSave(rs, "bench", buf.Bytes(), iptables.SaveOptions{Family: ir.IPv4}); d.HasErrors() {
				b.Fatal(d.Err())
			}
			f(b, rs)
		})
	}
}

// BenchmarkLower lowers every rule into stmt statements.
func BenchmarkLower(b *testing.B) {
	genModes(b, func(b *testing.B, rs *ir.Ruleset) {
		perRule(b, rs.RuleCount(), func() {
			diags := &diag.List{}
			lowerAll(rs, diags)
			if diags.HasErrors() {
				b.Fatal(diags.Err())
			}
		})
	})
}

// BenchmarkEncode encodes lowered rules into nf_tables expressions and
// their anonymous sets, without the batch messages.
func BenchmarkEncode(b *testing.B) {
	genModes(b, func(b *testing.B, rs *ir.Ruleset) {
		rules := lowerAll(rs, &diag.List{})
		perRule(b, len(rules), func() {
			for _, r := range rules {
				if _, err := encodeRule(r, ir.IPv4, false); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
}
