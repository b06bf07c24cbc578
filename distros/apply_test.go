package distros

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/fstest"
)

// tables reads "family name" pairs; names that start with ruleshift_ are
// ruleshift's own, as the nftables backend names them.
func tables(ids ...string) []KernelTable {
	var out []KernelTable
	for _, id := range ids {
		fam, name, _ := strings.Cut(id, " ")
		out = append(out, KernelTable{Family: fam, Name: name, Own: strings.HasPrefix(name, "ruleshift_")})
	}
	return out
}

func osr(s string, like ...string) OSRelease {
	id, ver, _ := strings.Cut(s, ":")
	return OSRelease{ID: id, VersionID: ver, IDLike: like, Path: "etc/os-release"}
}

var errNoNetlink = errors.New("netlink: permission denied")

func TestDecideApply(t *testing.T) {
	debian12 := osr("debian:12")
	for _, c := range []struct {
		name string
		f    ApplyFacts
		want string
		why  []string // substrings of the reason
	}{
		// Row 0: an active ufw, whose chains hold iptables-nft rules.
		{"ufw", ApplyFacts{UFWActive: true, Tables: tables("ip filter", "ip ruleshift_filter"), IPTNFTRules: true, OS: debian12},
			BackendUFW, []string{"ufw is active (ENABLED=yes in /etc/ufw/ufw.conf, its chains are loaded)"}},
		// Row 1: ruleshift's own tables, whatever else holds rules.
		{"own", ApplyFacts{Tables: tables("ip ruleshift_filter", "ip6 ruleshift_filter"), OS: debian12},
			BackendNFTables, []string{"ruleshift's nftables tables are loaded (ip ruleshift_filter, ip6 ruleshift_filter)"}},
		{"own before legacy", ApplyFacts{Tables: tables("inet docker", "ip ruleshift_nat", "ip filter"), LegacyRules: true, IPTNFTRules: true},
			BackendNFTables, []string{"(ip ruleshift_nat)"}},
		// Row 2: legacy tables with rules.
		{"legacy", ApplyFacts{Tables: tables("ip filter", "inet other"), LegacyRules: true, IPTNFTRules: true, OS: debian12},
			BackendLegacy, []string{"iptables-legacy tables hold rules"}},
		{"legacy without netlink", ApplyFacts{TablesErr: errNoNetlink, LegacyRules: true},
			BackendLegacy, []string{"iptables-legacy tables hold rules"}},
		// Row 3: iptables-nft tables with rules.
		{"iptables-nft", ApplyFacts{Tables: tables("ip filter", "ip6 nat", "inet docker"), IPTNFTRules: true, OS: osr("rhel:9.5")},
			BackendIPTNFT, []string{"iptables-nft tables hold rules (ip filter, ip6 nat)"}},
		{"inet filter is not iptables-nft's", ApplyFacts{Tables: tables("inet filter"), IPTNFTRules: true, OS: debian12},
			BackendNFTables, []string{"nftables tables are in use (inet filter)"}},
		// Row 4: other nft tables.
		{"other", ApplyFacts{Tables: tables("ip filter", "inet firewalld"), OS: debian12, Variant: "nft"},
			BackendNFTables, []string{"nftables tables are in use (inet firewalld)"}},
		// Row 5: the profile's default, with iptables resolved to the variant.
		{"empty iptables-nft tables", ApplyFacts{Tables: tables("ip filter"), OS: debian12, Variant: "nft", VariantFrom: "iptables -V: iptables v1.8.9 (nf_tables)"},
			BackendIPTNFT, []string{"no firewall rules are loaded; debian:12 uses iptables-nft by default (profile debian-12:", "iptables runs iptables-nft: iptables -V"}},
		{"tables unreadable", ApplyFacts{TablesErr: errNoNetlink, Tables: tables("inet x"), OS: osr("rhel:9.5")},
			BackendNFTables, []string{"rhel:9.5 uses nftables by default (profile rhel-9: ID \"rhel\", VERSION_ID \"9.5\" in /etc/os-release)"}},
		{"ubuntu switched to legacy", ApplyFacts{OS: osr("ubuntu:24.04"), Variant: "legacy", VariantFrom: "iptables -V: iptables v1.8.10 (legacy)"},
			BackendLegacy, []string{"profile ubuntu-24.04", "iptables runs iptables-legacy: iptables -V"}},
		{"ubuntu 20.04 variant unknown", ApplyFacts{OS: osr("ubuntu:20.04"), VariantFrom: "no iptables binary under the root"},
			BackendLegacy, []string{"iptables runs iptables-legacy: profile ubuntu-20.04 default (no iptables binary under the root)"}},
		{"debian variant unknown", ApplyFacts{OS: osr("debian:12")},
			BackendIPTNFT, []string{"profile debian-12 default"}},
		{"fedora", ApplyFacts{OS: osr("fedora:42")}, BackendNFTables, []string{"profile fedora-42"}},
		{"derivative", ApplyFacts{OS: osr("linuxmint:22", "ubuntu", "debian"), Variant: "nft", VariantFrom: "x"},
			BackendIPTNFT, []string{"profile ubuntu-24.04: ID \"linuxmint\" is not in the table; ID_LIKE names \"ubuntu\""}},
		// Row 6: nftables.
		{"no profile", ApplyFacts{OS: osr("alpine:3.20")},
			BackendNFTables, []string{"no firewall rules are loaded and distribution alpine:3.20 has no profile: nftables is the default"}},
		{"no os-release", ApplyFacts{OSErr: ErrNoOSRelease},
			BackendNFTables, []string{"no firewall rules are loaded and the distribution is not known: nftables is the default"}},
	} {
		b, why := DecideApply(&c.f)
		if b != c.want {
			t.Errorf("%s: backend %s (%s), want %s", c.name, b, why, c.want)
		}
		for _, w := range c.why {
			if !strings.Contains(why, w) {
				t.Errorf("%s: reason %q lacks %q", c.name, why, w)
			}
		}
	}
}

// TestDefaultBackends: every profile's default is a backend apply loads.
func TestDefaultBackends(t *testing.T) {
	for _, p := range Profiles() {
		for _, v := range []string{"", "nft", "legacy"} {
			b, _ := p.DefaultBackend(v, "test")
			if b != BackendNFTables && b != BackendIPTNFT && b != BackendLegacy {
				t.Errorf("profile %s, variant %q: default backend %q", p.Name, v, b)
			}
		}
	}
}

// fakeKernel answers detectApply's probes and records which ran.
type fakeKernel struct {
	tables  []KernelTable
	xtables bool
	out     map[string]string // save tool output; a missing tool fails
	ran     []string
}

func (k *fakeKernel) probe(name string, args ...string) (string, error) {
	k.ran = append(k.ran, name)
	if out, ok := k.out[name]; ok {
		return out, nil
	}
	return "", errors.New("exec: " + name + ": not found")
}

const saveWithRule = "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j ACCEPT\nCOMMIT\n"
const saveEmpty = "*filter\n:INPUT ACCEPT [0:0]\nCOMMIT\n"

func TestDetectApplyProbes(t *testing.T) {
	root := fstest.MapFS{"etc/os-release": {Data: []byte("ID=ubuntu\nVERSION_ID=24.04\n")}}
	for _, c := range []struct {
		name        string
		k           fakeKernel
		legacy, ipt bool
		ran, notRan []string
	}{
		{name: "own tables: no save tool runs", k: fakeKernel{tables: tables("ip ruleshift_filter", "ip filter"), xtables: true},
			notRan: []string{"iptables-legacy-save", "iptables-nft-save"}},
		{name: "no x_tables: legacy save does not run", k: fakeKernel{tables: tables("ip filter"), out: map[string]string{"iptables-nft-save": saveEmpty, "ip6tables-nft-save": saveWithRule}},
			ipt: true, ran: []string{"iptables-nft-save", "ip6tables-nft-save"}, notRan: []string{"iptables-legacy-save"}},
		{name: "legacy rules: nft save does not run", k: fakeKernel{tables: tables("ip filter"), xtables: true, out: map[string]string{"iptables-legacy-save": saveWithRule}},
			legacy: true, notRan: []string{"iptables-nft-save"}},
		{name: "x_tables without rules", k: fakeKernel{xtables: true, out: map[string]string{"iptables-legacy-save": saveEmpty, "ip6tables-legacy-save": saveEmpty}},
			ran: []string{"iptables-legacy-save", "ip6tables-legacy-save"}, notRan: []string{"iptables-nft-save"}},
		{name: "save tools missing", k: fakeKernel{tables: tables("ip nat"), xtables: true}},
	} {
		k := c.k
		list := func() ([]KernelTable, error) { return k.tables, nil }
		a := detectApply(root, k.probe, list, func() bool { return k.xtables })
		if a.LegacyRules != c.legacy || a.IPTNFTRules != c.ipt {
			t.Errorf("%s: legacy %v, iptables-nft %v; want %v, %v", c.name, a.LegacyRules, a.IPTNFTRules, c.legacy, c.ipt)
		}
		for _, tool := range c.ran {
			if !slices.Contains(k.ran, tool) {
				t.Errorf("%s: %s did not run (ran %v)", c.name, tool, k.ran)
			}
		}
		for _, tool := range c.notRan {
			if slices.Contains(k.ran, tool) {
				t.Errorf("%s: %s ran (ran %v)", c.name, tool, k.ran)
			}
		}
		if a.OS.ID != "ubuntu" || !slices.Contains(k.ran, "iptables") {
			t.Errorf("%s: os-release %+v, variant from %q", c.name, a.OS, a.VariantFrom)
		}
	}
}

// TestApplyBackendOffline: without a probe only the root is read, and the
// decision is the profile's, with the variant from the root's links.
func TestApplyBackendOffline(t *testing.T) {
	root := fstest.MapFS{
		"usr/lib/os-release":            {Data: []byte("ID=ubuntu\nVERSION_ID=\"24.04\"\n")},
		"etc/os-release":                link("../usr/lib/os-release"),
		"usr/sbin/xtables-legacy-multi": {Mode: 0o755},
		"usr/sbin/iptables-legacy":      link("xtables-legacy-multi"),
		"usr/sbin/iptables":             link("/etc/alternatives/iptables"),
		"etc/alternatives/iptables":     link("/usr/sbin/iptables-legacy"),
	}
	b, why := ApplyBackend(root, nil, nil)
	if b != BackendLegacy || !strings.Contains(why, "/usr/sbin/iptables -> /etc/alternatives/iptables -> /usr/sbin/iptables-legacy") {
		t.Errorf("got %s (%s)", b, why)
	}
	if b, why := ApplyBackend(fstest.MapFS{}, nil, nil); b != BackendNFTables || !strings.Contains(why, "not known") {
		t.Errorf("empty root: got %s (%s)", b, why)
	}
}

// TestDetectApplyUFW: ufw counts as active when ufw.conf says ENABLED=yes
// and its chain ufw-user-input is there; with ENABLED=no nothing is asked.
func TestDetectApplyUFW(t *testing.T) {
	conf := func(v string) fstest.MapFS {
		return fstest.MapFS{"etc/ufw/ufw.conf": {Data: []byte("# c\nENABLED=" + v + "\nLOGLEVEL=low\n")}}
	}
	for _, c := range []struct {
		name   string
		root   fstest.MapFS
		chains bool
		want   bool
	}{
		{"enabled, chains loaded", conf("yes"), true, true},
		{"enabled, no chains", conf("yes"), false, false},
		{"disabled", conf("no"), true, false},
		{"not installed", fstest.MapFS{}, true, false},
	} {
		var asked bool
		probe := func(name string, args ...string) (string, error) {
			if name == "iptables" && slices.Contains(args, "ufw-user-input") {
				asked = true
				if c.chains {
					return "Chain ufw-user-input (1 references)\n", nil
				}
			}
			return "", errors.New("no")
		}
		a := detectApply(c.root, probe, nil, func() bool { return false })
		if a.UFWActive != c.want {
			t.Errorf("%s: active %v, want %v", c.name, a.UFWActive, c.want)
		}
		if asked && !ufwEnabled(c.root) {
			t.Errorf("%s: the chains were looked at with ENABLED=no", c.name)
		}
	}
}
