package main

import (
	"slices"
	"testing"

	"github.com/alecthomas/kong"

	"github.com/ruleshift/ruleshift/backends"
)

// TestBackendEnums checks that every flag naming a backend offers exactly
// the registered backends (after "auto", and persist's "iptables", which
// the distribution resolves to a variant), and that each of them
// registered: the enums are filled from the registry, so a backend whose
// package cmd does not import is in no flag.
func TestBackendEnums(t *testing.T) {
	names := backends.Names()
	load := backends.Loadable()
	if slices.Contains(load, "policy") || !slices.Contains(names, "policy") {
		t.Errorf("the policy backend must be offered by translate --to only: loadable %v", load)
	}
	for _, want := range []string{"nftables", "iptables-legacy", "iptables-nft"} {
		if !slices.Contains(names, want) {
			t.Errorf("backend %s is not registered: %v", want, names)
		}
	}
	parser, err := kong.New(&cli{}, kong.Vars{"version": "test"}, backendVars())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"translate --to":       names,
		"apply --backend":      append([]string{"auto"}, load...),
		"persist --backend":    append([]string{"auto", "iptables"}, load...),
		"verify --old-backend": load,
		"verify --new-backend": load,
	}
	found := map[string]bool{}
	for _, cmd := range parser.Model.Children {
		for _, f := range cmd.Flags {
			key := cmd.Name + " --" + f.Name
			w, ok := want[key]
			if !ok {
				continue
			}
			found[key] = true
			if got := f.EnumSlice(); !slices.Equal(got, w) {
				t.Errorf("%s: enum %v, registered backends give %v", key, got, w)
			}
			if d := f.Default; d != "auto" && !slices.Contains(names, d) {
				t.Errorf("%s: default %q is no registered backend", key, d)
			}
		}
	}
	for key := range want {
		if !found[key] {
			t.Errorf("no flag %s", key)
		}
	}
}
