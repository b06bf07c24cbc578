package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/internal/testenv"
)

// TestImportFirewalldTable loads firewalld's inet table natively, imports
// the namespace (a native nftables table, both families, kept: firewalld
// is a firewall to move, not a foreign table), loads what import wrote
// into a second namespace and imports that: the two imports render the
// same ruleset. iptables has no table of that name, so writing it for
// iptables is an error, not a file iptables-restore refuses. The table is
// one written by hand in firewalld's style, with a zone bound to an
// interface (iifname "eth0" jump …), which the real listing below lacks.
func TestImportFirewalldTable(t *testing.T) {
	importRoundTrip(t, "../../testdata/import-live/firewalld.nft", "rs-fw",
		"chain filter_IN_public_allow", "tcp dport 9090", "ip6 daddr fe80::/64 udp dport 546")
}

// TestImportFirewalldReal is the same round trip on the ruleset a real
// firewalld 1.3.3 wrote on Debian 12 (public zone with ssh, dhcpv6-client,
// http, cockpit, 8080/tcp and a rich rule), as nft 1.0.6 lists it; the
// file's header says how it was made. Besides the zone's allow chain it
// has what only the real one writes: the IPv6 reverse path filter (fib
// saddr . mark . iif oif missing), gotos to the zone chains, nat and
// mangle chains and the RFC 3964 reject with an address set.
func TestImportFirewalldReal(t *testing.T) {
	text := importRoundTrip(t, "../../testdata/import-live/firewalld-real.nft", "rs-fwr",
		"chain filter_IN_public_allow {",
		"tcp dport 22 counter accept",                        // ssh
		"tcp dport 9090 counter accept",                      // cockpit
		"tcp dport 8080 counter accept",                      // --add-port=8080/tcp
		"ip saddr 192.0.2.0/24 tcp dport 443 counter accept", // the rich rule
		"ip6 daddr fe80::/64 udp dport 546 counter accept",   // dhcpv6-client
		"goto filter_IN_public",
		"fib saddr . mark . iif oif 0 counter drop",
		"ip6 daddr 2002::/24 counter reject with icmpv6 type addr-unreachable")
	// The reverse path filter is IPv6's only (meta nfproto ipv6): once,
	// in the ip6 table.
	if _, v6, ok := strings.Cut(text, "table ip6 "); !ok || strings.Count(text, "fib saddr") != 1 || !strings.Contains(v6, "fib saddr") {
		t.Errorf("the reverse path filter is not once, in the ip6 table:\n%s", text)
	}
}

// importRoundTrip loads conf into a namespace, imports it, checks that the
// import holds every want, loads the import into a second namespace,
// imports that and compares; it returns what the first import wrote.
func importRoundTrip(t *testing.T, conf, ns string, wants ...string) string {
	t.Helper()
	testenv.RequireRoot(t)
	testenv.RequireBinary(t, "ip", "nft")
	data, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	a, b := testenv.NewNetns(t, ns+"a"), testenv.NewNetns(t, ns+"b")
	if out, err := a.Run(data, "nft", "-f", "-"); err != nil {
		t.Fatalf("nft -f: %v\n%s", err, out)
	}
	dir := t.TempDir()
	first := filepath.Join(dir, "first") + "/"
	runCLI(t, "import", "--netns", a.Name, "--root", t.TempDir(), "--to", "nftables", "-o", first)
	text, err := os.ReadFile(filepath.Join(first, "ruleset.nft"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range wants {
		if !strings.Contains(string(text), want) {
			t.Errorf("the import lacks %q:\n%s", want, text)
		}
	}
	if out, err := b.Run(text, "nft", "-f", "-"); err != nil {
		t.Fatalf("nft -f of the import: %v\n%s", err, out)
	}
	second := filepath.Join(dir, "second") + "/"
	runCLI(t, "import", "--netns", b.Name, "--root", t.TempDir(), "--to", "nftables", "-o", second)
	again, err := os.ReadFile(filepath.Join(second, "ruleset.nft"))
	if err != nil {
		t.Fatal(err)
	}
	if string(again) != string(text) {
		t.Errorf("importing the import gives another ruleset:\n--- first\n%s\n--- second\n%s", text, again)
	}
	var stdout, stderr strings.Builder
	if code := run([]string{"translate", "--from", "nft", "--to", "iptables-legacy", conf}, &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr}); code != exitRules || !strings.Contains(stderr.String(), "cannot be written for iptables") {
		t.Errorf("translate to iptables: exit %d\n%s", code, stderr.String())
	}
	return string(text)
}
