package nftables

import (
	"bytes"
	"testing"

	"github.com/ruleshift/ruleshift/internal/gen"
	"github.com/ruleshift/ruleshift/translate"
)

// TestParallelRenderSame: a long chain rendered on all CPUs gives the text
// and diagnostics of the one-by-one rendering (run with -race too).
func TestParallelRenderSame(t *testing.T) {
	for _, mode := range []gen.Mode{gen.Mixed, gen.Multiport} {
		var in bytes.Buffer
		gen.RulesMode(&in, 20000, false, mode)
		rs, d := translate.Load([]translate.Input{{Name: "gen.v4", Data: in.Bytes()}}, translate.Options{From: translate.Save})
		if d.HasErrors() {
			t.Fatal(d.Err())
		}
		old := parallelRules
		parallelRules = 1 << 30
		want, wd := Render(rs, Options{})
		parallelRules = 1000
		got, gd := Render(rs, Options{})
		parallelRules = old
		if got != want {
			t.Errorf("mode %v: the parallel rendering differs", mode)
		}
		if len(gd.Items) != len(wd.Items) {
			t.Errorf("mode %v: %d diagnostics, want %d", mode, len(gd.Items), len(wd.Items))
		}
	}
}
