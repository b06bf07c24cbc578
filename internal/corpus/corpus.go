// Package corpus finds the shared test corpus (../shared/corpus from the
// repository root) for tests in any package.
package corpus

import (
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/ruleshift/ruleshift/internal/testenv"
)

// Dir returns the corpus directory, skipping the test when it is absent
// (failing under CI).
func Dir(t testing.TB) string {
	t.Helper()
	wd, _ := os.Getwd()
	for d := wd; d != "/"; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			c := filepath.Join(d, "..", "shared", "corpus")
			if _, err := os.Stat(c); err != nil {
				testenv.Missing(t, "shared corpus not found at %s", c)
			}
			return c
		}
	}
	testenv.Missing(t, "repository root not found from %s", wd)
	return ""
}

// SaveDumps lists the iptables-save dumps (*.v4 and *.v6).
func SaveDumps(t testing.TB) []string {
	d := filepath.Join(Dir(t), "iptables-save")
	var out []string
	for _, pat := range []string{"*.v4", "*.v6"} {
		m, _ := filepath.Glob(filepath.Join(d, pat))
		out = append(out, m...)
	}
	sort.Strings(out)
	return out
}
