package iptables

import (
	"bytes"
	"testing"

	"github.com/ruleshift/ruleshift/internal/gen"
	"github.com/ruleshift/ruleshift/translate/ir"
)

func BenchmarkParseSave(b *testing.B) {
	var buf bytes.Buffer
	gen.Rules(&buf, 10000, false)
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		rs := &ir.Ruleset{}
		if d := ParseSave(rs, "bench", data, SaveOptions{Family: ir.IPv4}); d.HasErrors() {
			b.Fatal(d.Err())
		}
	}
}
