package iptables_test

import (
	"bytes"
	"testing"

	"github.com/ruleshift/ruleshift/backends/iptables"
	"github.com/ruleshift/ruleshift/internal/gen"
	ipt "github.com/ruleshift/ruleshift/translate/iptables"
	"github.com/ruleshift/ruleshift/translate/ir"
)

func BenchmarkRender(b *testing.B) {
	var buf bytes.Buffer
	gen.Rules(&buf, 10000, false)
	rs := &ir.Ruleset{}
	if d := ipt.ParseSave(rs, "bench", buf.Bytes(), ipt.SaveOptions{Family: ir.IPv4}); d.HasErrors() {
		b.Fatal(d.Err())
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, d := iptables.Render(rs, ir.IPv4, iptables.Legacy, iptables.Options{}); d.HasErrors() {
			b.Fatal(d.Err())
		}
	}
}
