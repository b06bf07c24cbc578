package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/ruleshift/ruleshift/internal/testenv"
)

// caseSections reads a golden case's sections by name.
func caseSections(t *testing.T, file string) map[string]string {
	a, err := txtar.ParseFile(file)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, f := range a.Files {
		out[f.Name] = string(f.Data)
	}
	return out
}

// TestImportNativeConf loads the Debian-style nftables.conf of the
// debian-nftables-conf case (stock file, includes written in place, a
// named set, log then drop, icmpx reject, a user chain, a nat table) into
// a namespace natively with nft -f, imports the live namespace, and
// checks that it reads what the root import of the same files reads (the
// golden rules.v4 and rules.v6), and that `verify` finds the file and
// each family of the import alike on real packets.
func TestImportNativeConf(t *testing.T) {
	testenv.RequireRoot(t)
	testenv.RequireBinary(t, "ip", "nft", "iptables-legacy-restore", "ip6tables-legacy-restore")
	sec := caseSections(t, "../../testdata/import/debian-nftables-conf.txtar")
	conf := strings.Replace(sec["in/etc/nftables.conf"], `include "/etc/nftables.d/*.nft"`+"\n",
		sec["in/etc/nftables.d/10-host.nft"]+sec["in/etc/nftables.d/20-nat.nft"], 1)
	dir := t.TempDir()
	confFile := filepath.Join(dir, "nftables.conf")
	os.WriteFile(confFile, []byte(conf), 0o644)
	ns := testenv.NewNetns(t, "rs-impc")
	if _, err := ns.Run([]byte(conf), "nft", "-f", "-"); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out") + "/"
	runCLI(t, "import", "--netns", ns.Name, "--root", t.TempDir(), "-o", out)
	for _, f := range []string{"rules.v4", "rules.v6"} {
		got, _ := os.ReadFile(filepath.Join(out, f))
		if want := sec["out/"+f]; string(got) != want {
			t.Errorf("%s: the live import differs from the root import:\n--- root\n%s\n--- live\n%s", f, want, got)
		}
		var stdout, stderr bytes.Buffer
		args := []string{"verify", "--new-backend", "iptables-legacy", confFile, filepath.Join(out, f)}
		if code := run(args, &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr}); code != 0 {
			t.Errorf("%s: verify exit %d\n%s%s", f, code, stdout.String(), stderr.String())
		}
	}
}

// TestDriftKernel runs drift against a namespace's kernel and a root
// whose netfilter-persistent loads the same rules.v4: exit 0; then a rule
// added by hand in the namespace is drift, exit 6, and the report names
// it.
func TestDriftKernel(t *testing.T) {
	testenv.RequireRoot(t)
	testenv.RequireBinary(t, "ip", "nft", "iptables-legacy-restore", "iptables-legacy", "iptables-legacy-save")
	sec := caseSections(t, "../../testdata/drift/agree.txtar")
	root := t.TempDir()
	for name, data := range sec {
		if p, ok := strings.CutPrefix(name, "in/"); ok {
			os.MkdirAll(filepath.Join(root, filepath.Dir(p)), 0o755)
			os.WriteFile(filepath.Join(root, p), []byte(data), 0o644)
		}
	}
	os.MkdirAll(filepath.Join(root, "etc/alternatives"), 0o755)
	os.Symlink("/usr/sbin/iptables-legacy", filepath.Join(root, "etc/alternatives/iptables"))
	os.Symlink("/etc/alternatives/iptables", filepath.Join(root, "usr/sbin/iptables"))
	ns := testenv.NewNetns(t, "rs-drift")
	if _, err := ns.Run([]byte(sec["in/etc/iptables/rules.v4"]), "iptables-legacy-restore"); err != nil {
		t.Fatal(err)
	}
	drift := func() (int, string) {
		var stdout, stderr bytes.Buffer
		code := run([]string{"drift", "--netns", ns.Name, "--root", root}, &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr})
		return code, stdout.String() + stderr.String()
	}
	if code, out := drift(); code != 0 {
		t.Fatalf("drift after loading the boot file: exit %d, want 0\n%s", code, out)
	}
	if _, err := ns.Run(nil, "iptables-legacy", "-I", "INPUT", "2", "-p", "udp", "--dport", "53", "-j", "ACCEPT"); err != nil {
		t.Fatal(err)
	}
	code, out := drift()
	if code != exitDrift || !strings.Contains(out, "+\t-A INPUT -p udp -m udp --dport 53 -j ACCEPT") {
		t.Errorf("drift after iptables -I: exit %d, want %d and the rule\n%s", code, exitDrift, out)
	}
}
