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
// iptables is an error, not a file iptables-restore refuses.
func TestImportFirewalldTable(t *testing.T) {
	testenv.RequireRoot(t)
	testenv.RequireBinary(t, "ip", "nft")
	const conf = "../../testdata/import-live/firewalld.nft"
	data, err := os.ReadFile(conf)
	if err != nil {
		t.Fatal(err)
	}
	a, b := testenv.NewNetns(t, "rs-fwa"), testenv.NewNetns(t, "rs-fwb")
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
	for _, want := range []string{"chain filter_IN_public_allow", "tcp dport 9090", "ip6 daddr fe80::/64 udp dport 546"} {
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
}
