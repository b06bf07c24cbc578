package migratetest

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ruleshift/ruleshift/internal/testenv"
	"github.com/ruleshift/ruleshift/internal/ufwenv"
)

// The live migrations of ufw: ufw's own boot script loads its rules into
// a namespace (internal/ufwenv, on private copies of the host's stock
// files with rules added by the ufw command), and a seeded root with
// those files, ufw enabled, stands in for the machine's boot files.

// ufwRules are typed with the ufw command after ufw-init start.
var ufwRules = []string{
	"ufw allow 22/tcp",
	"ufw deny 23",
	"ufw allow from 192.0.2.0/24 to any port 80 proto tcp",
}

// loadUFW starts ufw with ufwRules in ns and returns what it wrote and
// loaded.
func loadUFW(t *testing.T, ns *testenv.Netns) *ufwenv.Result {
	t.Helper()
	if why := ufwenv.Available(); why != "" {
		testenv.Missing(t, "%s", why)
	}
	r, err := ufwenv.Start(ns.Name, ufwenv.Config{}, ufwRules...)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(r.Save4, "-A ufw-user-input -p tcp -m tcp --dport 22 -j ACCEPT") {
		t.Fatalf("ufw did not load its rules:\n%s", r.Save4)
	}
	return r
}

// ufwRoot is a Debian 12 root where ufw is active with r's files (as the
// ufw command left them, ENABLED=yes).
func ufwRoot(t *testing.T, r *ufwenv.Result) string {
	t.Helper()
	root := seedRoot(t, append(debian12, "alt-nft", "nftables-deb", "ifupdown", "ufw-active", "ufw-files")...)
	for name, text := range r.Etc {
		if err := os.WriteFile(filepath.Join(root, "etc/ufw", name), []byte(text), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "etc/default/ufw"), []byte(r.Default), 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

// ufwState is what the namespace runs: iptables-nft's listing (ufw's
// chains) and the nf_tables tables.
func ufwState(t *testing.T, ns *testenv.Netns) string {
	t.Helper()
	return listing(t, ns, "nft") + "nft tables: " + strings.Join(nftTables(t, ns), ",") + "\n"
}

// TestLiveUFWConfirmKilled: a live migration of ufw's rules with
// --confirm whose session is SIGKILLed after the switch: ufw's rules come
// back as they were, ruleshift's tables go, and ufw stays enabled in the
// boot files.
func TestLiveUFWConfirmKilled(t *testing.T) {
	need(t)
	ns := testenv.NewNetns(t, "rsMigU")
	r := loadUFW(t, ns)
	before := ufwState(t, ns)
	root := ufwRoot(t, r)
	tree := dumpTree(t, root)
	killAfterSwitch(t, ns, root, func() {
		if got := listing(t, ns, "nft"); strings.Contains(got, "ufw") {
			t.Fatalf("ufw's chains are still loaded after the switch:\n%s", got)
		}
	})
	back := false
	for i := 0; i < 150 && !back; i++ {
		time.Sleep(100 * time.Millisecond)
		back = ufwState(t, ns) == before
	}
	if got := ufwState(t, ns); !back {
		t.Errorf("no rollback after migrate was killed:\n%s", lineDiff(before, got))
	}
	if dumpTree(t, root) != tree {
		t.Errorf("the boot files changed although the migration was not confirmed")
	}
}

// TestLiveUFWConfirmed: a live migration of ufw's rules, confirmed with
// ruleshift confirm: the kernel holds ruleshift's nftables tables only
// (no ufw chain, no xt table), verify finds them alike with what ufw
// loaded, and ufw is off in the boot files (ENABLED=no, ufw.service
// disabled) with nftables.service loading the new rules.
func TestLiveUFWConfirmed(t *testing.T) {
	need(t)
	ns := testenv.NewNetns(t, "rsMigU")
	r := loadUFW(t, ns)
	root := ufwRoot(t, r)
	state := t.TempDir()
	cmd := exec.Command("ip", "netns", "exec", ns.Name, bin, "migrate", "--to", "nftables", "--boot-root", root,
		"--probes", "300", "--confirm", "30s", "--state-dir", state)
	outp, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	sc := bufio.NewScanner(outp)
	var out strings.Builder
	for sc.Scan() {
		out.WriteString(sc.Text() + "\n")
		if strings.HasPrefix(sc.Text(), "migrate: old tables removed") {
			break
		}
	}
	if c := rs(ns, "confirm", "--state-dir", state); c.code != 0 {
		cmd.Process.Kill()
		t.Fatalf("confirm: exit %d: %s\nmigrate so far:\n%s%s", c.code, c.stderr, out.String(), stderr.String())
	}
	for sc.Scan() {
		out.WriteString(sc.Text() + "\n")
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("migrate: %v\n%s%s", err, out.String(), stderr.String())
	}
	t.Log(out.String())

	if got := listing(t, ns, "nft"); got != "" {
		t.Errorf("iptables-nft still lists tables:\n%s", got)
	}
	newFile := onlyRuleshift(t, ns)
	dir := filepath.Dir(newFile)
	for family, save := range map[string]string{"ipv4": r.Save4, "ipv6": r.Save6} {
		old := filepath.Join(dir, "ufw."+family)
		os.WriteFile(old, []byte(save), 0o644)
		if v := rs(nil, "verify", "--old-backend", "iptables-nft", "--family", family, "--probes", "1000", old, newFile); v.code != 0 {
			t.Errorf("verify of ufw's %s rules against the migrated kernel: exit %d\n%s%s", family, v.code, v.stdout, v.stderr)
		}
	}
	if conf, _ := os.ReadFile(filepath.Join(root, "etc/ufw/ufw.conf")); !strings.Contains(string(conf), "\nENABLED=no\n") {
		t.Errorf("ufw.conf after the migration:\n%s", conf)
	}
	if _, err := os.Lstat(filepath.Join(root, "etc/systemd/system/multi-user.target.wants/ufw.service")); err == nil {
		t.Errorf("ufw.service is still enabled after the migration")
	}
	if conf, _ := os.ReadFile(filepath.Join(root, "etc/nftables.conf")); !strings.Contains(string(conf), "include ") {
		t.Errorf("nftables.conf does not include ruleshift's rules:\n%s", conf)
	}
}
