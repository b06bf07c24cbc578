package diag

import (
	"os"
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/translate/ir"
)

func TestPolicy(t *testing.T) {
	pos := ir.Pos{File: "r.sh", Line: 3, Col: 5}
	l := &List{}
	l.Report(Unsupported, pos, "-m string cannot be translated to nftables")
	l.Report(HostName, pos, "host name resolved")
	l.Errorf(pos, "unknown option")
	p, err := NewPolicy([]string{"unsupported"}, []string{"hostname"})
	if err != nil {
		t.Fatal(err)
	}
	p.Apply(l)
	p.Apply(l) // report may run twice on one list
	want := []string{
		"r.sh:3:5: warning: -m string cannot be translated to nftables; the rule is left out (--warn unsupported) [unsupported]",
		"r.sh:3:5: host name resolved [hostname]",
		"r.sh:3:5: unknown option",
	}
	for i, d := range l.Items {
		if d.String() != want[i] {
			t.Errorf("item %d:\n got %s\nwant %s", i, d, want[i])
		}
	}
}

func TestPolicyRefusesUnknownAndNonDowngradable(t *testing.T) {
	for _, c := range []struct{ warn, errs []string }{
		{warn: []string{"error"}},
		{warn: []string{"nonsense"}},
		{errs: []string{"unsupported"}},
		{errs: []string{"nonsense"}},
	} {
		if _, err := NewPolicy(c.warn, c.errs); err == nil {
			t.Errorf("NewPolicy(%v, %v) accepted", c.warn, c.errs)
		}
	}
	p, err := NewPolicy(nil, []string{"all"})
	if err != nil {
		t.Fatal(err)
	}
	l := &List{}
	l.Warnf(ir.Pos{}, "x")
	p.Apply(l)
	if !l.HasErrors() {
		t.Error("--error all left a warning")
	}
}

func TestCodesAreUniqueAndDocumented(t *testing.T) {
	seen := map[Code]bool{}
	for _, i := range Codes {
		if seen[i.Code] || i.Summary == "" || strings.ToLower(string(i.Code)) != string(i.Code) {
			t.Errorf("code %q: duplicate, undocumented or not lower case", i.Code)
		}
		seen[i.Code] = true
	}
}

// The README documents every class; this keeps the table complete.
func TestCodesInREADME(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, i := range Codes {
		if !strings.Contains(string(readme), "| `"+string(i.Code)+"` |") {
			t.Errorf("README.md has no row for code %q", i.Code)
		}
	}
}
