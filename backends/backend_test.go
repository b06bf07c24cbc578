package backends_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/backends"
	_ "github.com/ruleshift/ruleshift/backends/iptables"
	_ "github.com/ruleshift/ruleshift/backends/nftables"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// TestRegistry: the backends register themselves, once each, and a
// second registration of a name is refused.
func TestRegistry(t *testing.T) {
	if got, want := backends.Names(), []string{"iptables-legacy", "iptables-nft", "nftables"}; !slices.Equal(got, want) {
		t.Fatalf("Names() = %v, want %v", got, want)
	}
	for _, n := range backends.Names() {
		if b := backends.Lookup(n); b == nil || b.Name() != n {
			t.Errorf("Lookup(%q) = %v", n, b)
		}
	}
	if backends.Lookup("ufw") != nil {
		t.Error("Lookup of an unregistered name found a backend")
	}
	if _, err := backends.Get("pf"); err == nil || !strings.Contains(err.Error(), "nftables") {
		t.Errorf("Get of an unknown name: %v, want an error listing the backends", err)
	}
	defer func() {
		if recover() == nil {
			t.Error("registering nftables twice did not panic")
		}
	}()
	backends.Register(backends.Lookup("nftables"))
}

// TestRenderFiles: every backend renders a rules file and a stop file,
// under distinct names, each with a loader; the per-family files of a
// ruleset with both families are IPv4 first.
func TestRenderFiles(t *testing.T) {
	rs := &ir.Ruleset{}
	for _, f := range []ir.Family{ir.IPv4, ir.IPv6} {
		rs.Tables = append(rs.Tables, &ir.Table{Family: f, Name: "filter", Chains: []*ir.Chain{{Name: "INPUT"}}})
	}
	for _, n := range backends.Names() {
		files, d := backends.Lookup(n).Render(rs, backends.RenderOptions{})
		if d.HasErrors() {
			t.Errorf("%s: %v", n, d.Err())
		}
		seen := map[string]bool{}
		for _, f := range files {
			if f.Name == "" || strings.Contains(f.Name, "/") || seen[f.Name] || len(f.Loader) == 0 || f.Text == "" {
				t.Errorf("%s: bad file %+v", n, f)
			}
			seen[f.Name] = true
		}
		if len(files.Of(backends.RoleRules)) == 0 || len(files.Of(backends.RoleStop)) == 0 {
			t.Errorf("%s: want rules and stop files, got %d files", n, len(files))
		}
		if r := files.Of(backends.RoleRules); r[0].Family == ir.IPv6 {
			t.Errorf("%s: IPv6 file first", n)
		}
	}
}
