package iptables_test

import (
	"testing"

	"github.com/ruleshift/ruleshift/backends/iptables"
	"github.com/ruleshift/ruleshift/internal/testenv"
	"github.com/ruleshift/ruleshift/translate"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// kernelRoundTrip loads the save dump data as it is into one fresh
// namespace and as ruleshift renders it for v into another, with v's
// restore tool, and fails the test unless v's save tool lists both alike.
// name is the dump's name in diagnostics; the namespaces are named
// prefix-<random>. The conntrack, packet and target tests share it.
func kernelRoundTrip(t *testing.T, v *iptables.Variant, fam ir.Family, name string, data []byte, prefix string) {
	t.Helper()
	testenv.RequireBinary(t, v.RestoreCommand(fam), v.SaveCommand(fam))
	rs, d := translate.Load([]translate.Input{{Name: name, Data: data}}, translate.Options{From: translate.Save, Family: fam})
	if d.HasErrors() {
		t.Fatalf("%s: %v", name, d.Err())
	}
	text, rd := iptables.Render(rs, fam, v, iptables.Options{})
	if rd.HasErrors() {
		t.Fatalf("%s %s %s: %v", name, v.Name, fam, rd.Err())
	}
	orig := testenv.NewNetns(t, prefix)
	if _, err := orig.Run(data, v.RestoreCommand(fam)); err != nil {
		t.Fatalf("%s %s %s: the original does not load: %v", name, v.Name, fam, err)
	}
	ours := testenv.NewNetns(t, prefix)
	if _, err := ours.Run([]byte(text), v.RestoreCommand(fam)); err != nil {
		t.Fatalf("%s %s %s: ours does not load: %v\n%s", name, v.Name, fam, err, text)
	}
	want, _ := orig.Run(nil, v.SaveCommand(fam))
	got, _ := ours.Run(nil, v.SaveCommand(fam))
	if w, g := testenv.StripSave(want), testenv.StripSave(got); w != g {
		t.Errorf("%s %s %s: listings differ:\n%s", name, v.Name, fam, lineDiff(w, g))
	}
}
