package applytest

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/internal/testenv"
	"github.com/ruleshift/ruleshift/schema"
	"golang.org/x/tools/txtar"
)

// hostsPolicy uses a host-name set, a literal prefix beside a host name,
// and a single host name.
const hostsPolicy = `[policy]
output = "drop"
[sets]
mirrors = ["archive.example.org", "security.example.org"]
[[output]]
proto = "tcp"
port = 80
to = "@mirrors"
[[output]]
proto = "tcp"
port = 443
to = ["203.0.113.0/24", "cdn.example.org"]
[[input]]
proto = "tcp"
port = 22
`

const hostsV1 = `192.0.2.10 archive.example.org
2001:db8::10 archive.example.org
192.0.2.11 security.example.org
198.51.100.7 cdn.example.org
`

// handles maps each rule of the output chain (without counters and
// handle) to its handle, and lists the set elements, from nft -a.
func rulesAndHandles(t *testing.T, ns *testenv.Netns) (string, string) {
	out, err := ns.Run(nil, "nft", "-a", "list", "ruleset")
	if err != nil {
		t.Fatal(err)
	}
	var rules, sets strings.Builder
	inSet := false
	for _, l := range strings.Split(out, "\n") {
		l = strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(l, "set "):
			inSet = true
			sets.WriteString(l + "\n")
		case inSet && l == "}":
			inSet = false
		case inSet:
			sets.WriteString(l + "\n")
		case strings.Contains(l, "# handle") && !strings.HasPrefix(l, "table") && !strings.HasPrefix(l, "chain"):
			rules.WriteString(regexp.MustCompile(`counter packets \d+ bytes \d+ `).ReplaceAllString(l, "") + "\n")
		}
	}
	return rules.String(), sets.String()
}

// TestHostSetsRefresh: apply fills the host-name sets from a hosts file
// standing in for DNS and records them; after the file changes, refresh
// replaces only the elements (every rule keeps its handle); a name that
// no longer resolves keeps its old addresses, with a warning; the cache
// refresh writes loads with nft -f.
func TestHostSetsRefresh(t *testing.T) {
	need(t)
	dir := t.TempDir()
	pol := writeFile(t, "hosts.toml", hostsPolicy)
	hosts := filepath.Join(dir, "hosts")
	os.WriteFile(hosts, []byte(hostsV1), 0o644)
	ns := testenv.NewNetns(t, "hHs")
	if r := rs(ns, nil, "apply", "--backend", "nftables", "--hosts", hosts, "--root", dir, pol); r.code != 0 {
		t.Fatalf("apply: exit %d\n%s", r.code, r.stderr)
	}
	rules1, sets1 := rulesAndHandles(t, ns)
	for _, want := range []string{"192.0.2.10", "192.0.2.11", "2001:db8::10", "203.0.113.0/24", "198.51.100.7"} {
		if !strings.Contains(sets1, want) {
			t.Errorf("after apply the sets lack %s:\n%s", want, sets1)
		}
	}
	if !strings.Contains(rules1, "ip daddr @mirrors_v4 tcp dport 80") {
		t.Fatalf("no lookup in @mirrors_v4:\n%s", rules1)
	}
	state := filepath.Join(dir, "var/lib/ruleshift/hosts.json")
	if _, err := os.Stat(state); err != nil {
		t.Fatalf("apply recorded no state: %v", err)
	}

	// The mirror moves; cdn gets a second address.
	os.WriteFile(hosts, []byte(strings.ReplaceAll(hostsV1, "192.0.2.11", "192.0.2.99")+"198.51.100.8 cdn.example.org\n"), 0o644)
	r := rs(ns, nil, "refresh", "--state-root", dir, "--hosts", hosts)
	if r.code != 0 {
		t.Fatalf("refresh: exit %d\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "mirrors_v4: +192.0.2.99 -192.0.2.11") {
		t.Errorf("refresh did not report the change:\n%s", r.stdout)
	}
	rules2, sets2 := rulesAndHandles(t, ns)
	if rules2 != rules1 {
		t.Errorf("refresh changed rules or handles:\nbefore:\n%s\nafter:\n%s", rules1, rules2)
	}
	if strings.Contains(sets2, "192.0.2.11") || !strings.Contains(sets2, "192.0.2.99") || !strings.Contains(sets2, "198.51.100.8") || !strings.Contains(sets2, "203.0.113.0/24") {
		t.Errorf("sets after refresh:\n%s", sets2)
	}

	// The resolver loses a name: its addresses stay.
	os.WriteFile(hosts, []byte("192.0.2.10 archive.example.org\n2001:db8::10 archive.example.org\n"), 0o644)
	r = rs(ns, nil, "refresh", "--state-root", dir, "--hosts", hosts)
	if r.code != 0 || !strings.Contains(r.stderr, "keeping 192.0.2.99") {
		t.Errorf("refresh with a failing lookup: exit %d\n%s", r.code, r.stderr)
	}
	if _, sets3 := rulesAndHandles(t, ns); sets3 != sets2 {
		t.Errorf("a failed lookup changed the sets:\n%s\nthen:\n%s", sets2, sets3)
	}
	// The cache loads on its own, as the persisted rules include it.
	if out, err := ns.Run(nil, "nft", "-f", filepath.Join(dir, "var/lib/ruleshift/hosts/sets.nft")); err != nil {
		t.Errorf("nft -f the cache: %v\n%s", err, out)
	}
	if _, sets4 := rulesAndHandles(t, ns); sets4 != sets2 {
		t.Errorf("loading the cache changed the sets:\n%s\nthen:\n%s", sets2, sets4)
	}
}

// TestPolicyLoadsLikeNft: for the host-name policy and every policy of
// testdata/policy, the inet table and sets apply loads over netlink list
// exactly as nft -f lists the translate output.
func TestPolicyLoadsLikeNft(t *testing.T) {
	need(t)
	dir := t.TempDir()
	hosts := filepath.Join(dir, "hosts")
	os.WriteFile(hosts, []byte(hostsV1+"198.51.100.8 cdn.example.org\n"), 0o644)
	pols := []string{writeFile(t, "hosts.toml", hostsPolicy)}
	cases, _ := filepath.Glob("../../../testdata/policy/*.txtar")
	for _, c := range cases {
		a, err := txtar.ParseFile(c)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range a.Files {
			if strings.HasSuffix(f.Name, ".toml") {
				pols = append(pols, writeFile(t, strings.TrimSuffix(filepath.Base(c), ".txtar")+".toml", string(f.Data)))
			}
		}
	}
	n := 0
	for _, pol := range pols {
		text, ok := translate("--hosts", hosts, "--allow-lockout", pol)
		if !ok {
			continue // an error case
		}
		n++
		a, b := testenv.NewNetns(t, "hPa"), testenv.NewNetns(t, "hPb")
		if r := rs(a, nil, "apply", "--backend", "nftables", "--hosts", hosts, "--allow-lockout", "--root", dir, pol); r.code != 0 {
			t.Fatalf("%s: apply: exit %d\n%s", pol, r.code, r.stderr)
		}
		if out, err := b.Run([]byte(text), "nft", "-f", "-"); err != nil {
			t.Fatalf("%s: nft -f: %v\n%s", pol, err, out)
		}
		if la, lb := listing(t, a, "nftables"), listing(t, b, "nftables"); la != lb {
			t.Errorf("%s: netlink load:\n%s\nnft -f:\n%s", pol, la, lb)
		}
	}
	if n < 5 {
		t.Errorf("only %d policies loaded", n)
	}
}

// TestApplyDryRunJSON: apply --dry-run --json matches its schema before
// and after the rules are loaded, and says whether anything would change.
func TestApplyDryRunJSON(t *testing.T) {
	need(t)
	dir := t.TempDir()
	pol := writeFile(t, "hosts.toml", hostsPolicy)
	hosts := filepath.Join(dir, "hosts")
	os.WriteFile(hosts, []byte(hostsV1), 0o644)
	ns := testenv.NewNetns(t, "hDj")
	args := []string{"apply", "--dry-run", "--json", "--backend", "nftables", "--hosts", hosts, "--root", dir, pol}
	for i, want := range []string{`"changed": true`, `"changed": false`} {
		r := rs(ns, nil, args...)
		if r.code != 0 {
			t.Fatalf("apply --dry-run --json: exit %d\n%s", r.code, r.stderr)
		}
		if err := schema.Validate("apply-dry-run.v1.json", []byte(r.stdout)); err != nil {
			t.Errorf("output does not match the schema: %v\n%s", err, r.stdout)
		}
		if !strings.Contains(r.stdout, want) {
			t.Errorf("run %d: want %s:\n%s", i, want, r.stdout)
		}
		if i == 0 {
			if r := rs(ns, nil, "apply", "--backend", "nftables", "--hosts", hosts, "--root", dir, pol); r.code != 0 {
				t.Fatalf("apply: exit %d\n%s", r.code, r.stderr)
			}
		}
	}
}
