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

// BenchmarkParseSaveDetect is BenchmarkParseSave with the family detected
// from the contents, as translate does without --family.
func BenchmarkParseSaveDetect(b *testing.B) {
	var buf bytes.Buffer
	gen.Rules(&buf, 10000, false)
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		rs := &ir.Ruleset{}
		if d := ParseSave(rs, "bench", data, SaveOptions{}); d.HasErrors() {
			b.Fatal(d.Err())
		}
	}
}

// BenchmarkDetectFamily is the detection alone.
func BenchmarkDetectFamily(b *testing.B) {
	var buf bytes.Buffer
	gen.Rules(&buf, 10000, false)
	text := buf.String()
	b.SetBytes(int64(len(text)))
	b.ReportAllocs()
	for b.Loop() {
		detectFamily("bench", text)
	}
}
