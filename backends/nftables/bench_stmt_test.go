package nftables

import (
	"bytes"
	"runtime"
	"testing"

	"github.com/ruleshift/ruleshift/backends/nftables/stmt"
	"github.com/ruleshift/ruleshift/internal/gen"
	"github.com/ruleshift/ruleshift/translate/diag"
	"github.com/ruleshift/ruleshift/translate/iptables"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// The three stages of a 100,000-rule ruleset of internal/gen: lowering to
// stmt, printing nft text, encoding netlink messages. Each reports ns and
// allocations per rule.

const benchRules = 100000

func genRuleset(b *testing.B) *ir.Ruleset {
	var buf bytes.Buffer
	gen.Rules(&buf, benchRules, false)
	rs := &ir.Ruleset{}
	if d := iptables.ParseSave(rs, "bench", buf.Bytes(), iptables.SaveOptions{Family: ir.IPv4}); d.HasErrors() {
		b.Fatal(d.Err())
	}
	return rs
}

// lowerAll lowers every rule of the ruleset as Render does.
func lowerAll(rs *ir.Ruleset, diags *diag.List) []*stmt.Rule {
	out := make([]*stmt.Rule, 0, rs.RuleCount())
	meters := planMeters(rs)
	for _, t := range rs.Tables {
		names := ChainNames(t, diags)
		decls := &Decls{}
		meters.declare(decls, t)
		for _, c := range t.Chains {
			ctx := RuleContext{Family: t.Family, Table: t.Name, Chain: c.Name, Base: c.Base, ChainNames: names, Decls: decls, meters: meters}
			for _, r := range c.Rules {
				out = append(out, lowerRule(r, ctx, diags))
			}
		}
	}
	return out
}

// perRule runs f under the benchmark loop and reports per-rule figures.
func perRule(b *testing.B, n int, f func()) {
	var m0, m1 runtime.MemStats
	runtime.ReadMemStats(&m0)
	iters := 0
	for b.Loop() {
		f()
		iters++
	}
	runtime.ReadMemStats(&m1)
	rules := float64(iters * n)
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/rules, "ns/rule")
	b.ReportMetric(float64(m1.Mallocs-m0.Mallocs)/rules, "allocs/rule")
}

func BenchmarkLower100k(b *testing.B) {
	rs := genRuleset(b)
	perRule(b, rs.RuleCount(), func() {
		diags := &diag.List{}
		lowerAll(rs, diags)
		if diags.HasErrors() {
			b.Fatal(diags.Err())
		}
	})
}

func BenchmarkPrint100k(b *testing.B) {
	rs := genRuleset(b)
	rules := lowerAll(rs, &diag.List{})
	buf := make([]byte, 0, 80*len(rules))
	perRule(b, len(rules), func() {
		buf = buf[:0]
		for _, r := range rules {
			buf = stmt.AppendRule(buf, r)
			buf = append(buf, '\n')
		}
	})
}

func BenchmarkEncode100k(b *testing.B) {
	rs := genRuleset(b)
	perRule(b, rs.RuleCount(), func() {
		bt := &batch{}
		if diags, u := bt.compile(rs, rs.Families(), false); diags.HasErrors() || u != nil {
			b.Fatalf("%v %v", diags.Err(), u)
		}
	})
}
