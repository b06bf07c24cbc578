package passes

import (
	"bytes"
	"runtime"
	"strconv"
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

const wide = 20000

// BenchmarkGraphWide is one chain jumping to 20000 chains, as a large
// Kubernetes service table does.
func BenchmarkGraphWide(b *testing.B) {
	t := &ir.Table{Family: ir.IPv4, Name: "nat"}
	top := &ir.Chain{Name: "PREROUTING", Base: &ir.BaseChain{Type: ir.TypeNAT, Hook: ir.HookPrerouting}}
	t.Chains = append(t.Chains, top)
	for i := range wide {
		name := "svc" + strconv.Itoa(i)
		t.Chains = append(t.Chains, &ir.Chain{Name: name, Rules: []*ir.Rule{{Target: &ir.DNAT{}}}})
		top.Rules = append(top.Rules, &ir.Rule{Matches: []ir.Match{&ir.Protocol{Num: 6}}, Target: &ir.Jump{Chain: name}})
	}
	for b.Loop() {
		Run(&ir.Ruleset{Tables: []*ir.Table{t}}, Options{})
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(2*wide), "ns/rule")
}
