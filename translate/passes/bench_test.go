package passes

import (
	"bytes"
	"runtime"
	"testing"

	"github.com/ruleshift/ruleshift/internal/gen"
	"github.com/ruleshift/ruleshift/translate/ir"
)

func bench100k(b *testing.B, pass func(rs *ir.Ruleset)) {
	var buf bytes.Buffer
	if err := gen.Rules(&buf, 100000, false); err != nil {
		b.Fatal(err)
	}
	rs := load(b, ir.IPv4, buf.String())
	n := rs.RuleCount()
	// Collect the parser's garbage now, not during the timed loop.
	runtime.GC()
	b.ResetTimer()
	for b.Loop() {
		pass(rs)
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/rule")
}

func BenchmarkRun100k(b *testing.B) {
	bench100k(b, func(rs *ir.Ruleset) { Run(rs, Options{}) })
}

func BenchmarkGraph100k(b *testing.B) {
	bench100k(b, func(rs *ir.Ruleset) { Graph(rs.Tables[0]) })
}

func BenchmarkNormalize100k(b *testing.B) {
	bench100k(b, func(rs *ir.Ruleset) { Normalize(rs) })
}
