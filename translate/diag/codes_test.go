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

func TestLeaveOut(t *testing.T) {
	keep, drop := &ir.Rule{}, &ir.Rule{}
	rs := &ir.Ruleset{Tables: []*ir.Table{{Name: "filter", Chains: []*ir.Chain{{Name: "INPUT", Rules: []*ir.Rule{keep, drop}}}}}}
	l := &List{}
	l.Report(Unsupported, ir.Pos{}, "cannot")
	l.Items[0].Rule = drop
	if got := LeaveOut(rs, l); got != rs {
		t.Error("an error that is still an error left a rule out")
	}
	p, _ := NewPolicy([]string{"unsupported"}, nil)
	p.Apply(l)
	got := LeaveOut(rs, l)
	if r := got.Tables[0].Chains[0].Rules; len(r) != 1 || r[0] != keep {
		t.Errorf("left %v, want only the kept rule", r)
	}
	if len(rs.Tables[0].Chains[0].Rules) != 2 {
		t.Error("LeaveOut changed its input")
	}
}
