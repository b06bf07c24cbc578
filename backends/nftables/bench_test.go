package nftables_test

import (
	"bytes"
	"testing"

	"github.com/ruleshift/ruleshift/backends/nftables"
	"github.com/ruleshift/ruleshift/internal/gen"
	"github.com/ruleshift/ruleshift/translate/iptables"
	"github.com/ruleshift/ruleshift/translate/ir"
)

func benchRuleset(b *testing.B, n int) *ir.Ruleset {
	var buf bytes.Buffer
	gen.Rules(&buf, n, false)
	rs := &ir.Ruleset{}
	if d := iptables.ParseSave(rs, "bench", buf.Bytes(), iptables.SaveOptions{Family: ir.IPv4}); d.HasErrors() {
		b.Fatal(d.Err())
	}
	return rs
}

func BenchmarkRender(b *testing.B) {
	rs := benchRuleset(b, 10000)
	b.ReportAllocs()
	for b.Loop() {
		if _, d := nftables.Render(rs, nftables.Options{}); d.HasErrors() {
			b.Fatal(d.Err())
		}
	}
}
