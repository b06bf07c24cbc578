package lint_test

import (
	"path/filepath"
	"testing"

	"github.com/ruleshift/ruleshift/internal/corpus"
	"github.com/ruleshift/ruleshift/translate/lint"
)

// BenchmarkLint5000 lints the largest IPv4 dump of the corpus (TUM's
// 2015-09-03 firewall: 4,973 rules, one chain of 2,700): every check,
// the pairwise cover scan included. The load is not timed; the README
// gives the figure of both.
func BenchmarkLint5000(b *testing.B) {
	rs, ok := loadDump(b, filepath.Join(corpus.Dir(b), "iptables-save", "isem_tum-i8-fw_2015-09-03.v4"))
	if !ok {
		b.Fatal("the dump does not load")
	}
	b.ReportMetric(float64(rs.RuleCount()), "rules")
	for b.Loop() {
		lint.Run(rs, lint.Options{})
	}
}

// BenchmarkLoadAndLint5000 is the same with the load, as ruleshift lint
// runs it.
func BenchmarkLoadAndLint5000(b *testing.B) {
	path := filepath.Join(corpus.Dir(b), "iptables-save", "isem_tum-i8-fw_2015-09-03.v4")
	for b.Loop() {
		rs, _ := loadDump(b, path)
		lint.Run(rs, lint.Options{})
	}
}
