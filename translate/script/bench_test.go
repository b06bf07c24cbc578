package script_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ruleshift/ruleshift/translate/ir"
	"github.com/ruleshift/ruleshift/translate/script"
)

// genScript writes n `iptables -A` lines of the kind a generated blocklist
// script holds. bench/script.sh generates the same script to time it
// against iptables-legacy in a namespace.
func genScript(n int) []byte {
	var b strings.Builder
	b.WriteString("#!/bin/sh\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "iptables -A INPUT -s 10.%d.%d.0/24 -p tcp --dport %d -j ACCEPT\n", i/256%256, i%256, 1024+i%60000)
	}
	return []byte(b.String())
}

func BenchmarkScript10k(b *testing.B) {
	src := genScript(10000)
	dir := b.TempDir()
	b.SetBytes(int64(len(src)))
	for b.Loop() {
		rs := &ir.Ruleset{}
		d := script.Load(rs, src, script.Options{Name: "gen.sh", Dir: dir})
		if d.HasErrors() || rs.RuleCount() != 10000 {
			b.Fatalf("rules %d, diagnostics %v", rs.RuleCount(), d.Err())
		}
	}
}

// TestScript10k checks that a 10,000-line script translates whole. How
// fast is measured by BenchmarkScript10k and bench/script.sh, not here: a
// test must not depend on the machine's load.
func TestScript10k(t *testing.T) {
	if testing.Short() {
		t.Skip("-short")
	}
	src := genScript(10000)
	start := time.Now()
	rs := &ir.Ruleset{}
	d := script.Load(rs, src, script.Options{Name: "gen.sh", Dir: t.TempDir()})
	el := time.Since(start)
	if d.HasErrors() || rs.RuleCount() != 10000 {
		t.Fatalf("rules %d, diagnostics %v", rs.RuleCount(), d.Err())
	}
	t.Logf("10,000 iptables -A lines in %v", el)
}
