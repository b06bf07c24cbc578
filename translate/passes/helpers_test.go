package passes

import (
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/translate/diag"
	"github.com/ruleshift/ruleshift/translate/iptables"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// load parses iptables-save text of the given family, failing the test on
// any error.
func load(t testing.TB, fam ir.Family, text string) *ir.Ruleset {
	t.Helper()
	rs := &ir.Ruleset{}
	d := iptables.ParseSave(rs, "rules", []byte(text), iptables.SaveOptions{Family: fam})
	if d.HasErrors() {
		t.Fatalf("parse: %v", d.Err())
	}
	return rs
}

// lines returns the diagnostics as strings, sorted by position.
func lines(d *diag.List) []string {
	d.Sort()
	var out []string
	for _, x := range d.Items {
		out = append(out, x.String())
	}
	return out
}

func joined(d *diag.List) string { return strings.Join(lines(d), "\n") }
