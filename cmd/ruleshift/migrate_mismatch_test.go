package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/internal/testenv"
	"github.com/ruleshift/ruleshift/translate/ir"
	"github.com/ruleshift/ruleshift/verify"
)

// acceptInput is the verifySides of ruleshift-verify-differs (TestMain):
// on the new side the IPv4 filter table's INPUT chain accepts by policy,
// on the old side it keeps the imported DROP. The imported ruleset itself
// is not changed: the new side gets copies of the table and the chain.
func acceptInput(old, new *verify.Side) {
	rs := &ir.Ruleset{}
	*rs = *new.Rules
	rs.Tables = nil
	for _, tb := range new.Rules.Tables {
		if tb.Family == ir.IPv4 && tb.Name == "filter" {
			cp := *tb
			cp.Chains = nil
			for _, ch := range tb.Chains {
				if ch.Name == "INPUT" && ch.Base != nil {
					c, b := *ch, *ch.Base
					b.Policy = ir.PolicyAccept
					c.Base = &b
					ch = &c
				}
				cp.Chains = append(cp.Chains, ch)
			}
			tb = &cp
		}
		rs.Tables = append(rs.Tables, tb)
	}
	new.Rules = rs
}

// mismatchSeeds are a Debian 12 root whose netfilter-persistent loads
// iptables-legacy rules (INPUT DROP).
var mismatchSeeds = []string{
	"../../testdata/persist/seeds/os-debian-12.tree", "../../testdata/persist/seeds/usrmerge.tree",
	"../../testdata/persist/seeds/xtables.tree", "../../testdata/persist/seeds/alt-legacy.tree",
	"../../testdata/persist/seeds/nftables-deb.tree", "../../testdata/persist/seeds/ifupdown.tree",
	"../../testdata/persist/seeds/nfp.tree", "../../testdata/persist/seeds/nfp-enabled.tree",
	"../../testdata/migrate/seeds/rules-legacy.tree",
}

func mismatchRoot(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	for _, f := range mismatchSeeds {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		b.Write(data)
	}
	root := t.TempDir()
	testenv.WriteTree(t, root, strings.ReplaceAll(b.String(), "${UNITDIR}", "/lib/systemd/system"))
	return root
}

// TestMigrateVerifyMismatch: when the verification finds the new rules
// behave otherwise than the imported ones, migrate stops with exit 5
// before changing anything: offline the root's files stay as they were;
// live the kernel keeps the old rules, gets no new table, and the boot
// files stay as they were.
func TestMigrateVerifyMismatch(t *testing.T) {
	testenv.RequireRoot(t)
	testenv.RequireBinary(t, "ip", "nft", "iptables-legacy-restore", "ip6tables-legacy-restore", "iptables-legacy-save", "ip6tables-legacy-save")
	differs, err := exec.LookPath("ruleshift-verify-differs")
	if err != nil {
		t.Fatalf("TestMain did not set up ruleshift-verify-differs: %v", err)
	}
	stopped := func(t *testing.T, cmd *exec.Cmd) {
		t.Helper()
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := 0
		if x, ok := err.(*exec.ExitError); ok {
			code = x.ExitCode()
		}
		if code != exitMismatch || !strings.Contains(stderr.String(), "probes differ between the old rules and the new: nothing was changed") {
			t.Fatalf("migrate: exit %d (%v), want %d\n%s%s", code, err, exitMismatch, stdout.String(), stderr.String())
		}
		if strings.Contains(stdout.String(), "step 4") {
			t.Errorf("migrate went on past the verification:\n%s", stdout.String())
		}
		t.Logf("%s%s", stdout.String(), stderr.String())
	}

	t.Run("offline", func(t *testing.T) {
		root := mismatchRoot(t)
		before := testenv.DumpTree(t, root)
		stopped(t, exec.Command(differs, "migrate", "--to", "nftables", "--root", root, "--probes", "100"))
		if got := testenv.DumpTree(t, root); got != before {
			t.Errorf("the root changed:\n%s", testenv.LineDiff(before, got))
		}
	})

	t.Run("live", func(t *testing.T) {
		ns := testenv.NewNetns(t, "rsMis")
		root := mismatchRoot(t)
		for file, tool := range map[string]string{"rules.v4": "iptables-legacy-restore", "rules.v6": "ip6tables-legacy-restore"} {
			data, err := os.ReadFile(filepath.Join(root, "etc/iptables", file))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := ns.Run(data, tool); err != nil {
				t.Fatal(err)
			}
		}
		kernel := func() string {
			var b strings.Builder
			for _, tool := range []string{"iptables-legacy-save", "ip6tables-legacy-save", "iptables-nft-save", "ip6tables-nft-save"} {
				out, err := ns.Run(nil, tool)
				if err != nil {
					t.Fatal(err)
				}
				b.WriteString(testenv.StripSave(out))
			}
			out, err := ns.Run(nil, "nft", "list", "ruleset")
			if err != nil {
				t.Fatal(err)
			}
			return b.String() + out
		}
		before, tree := kernel(), testenv.DumpTree(t, root)
		if !strings.Contains(before, ":INPUT DROP") {
			t.Fatalf("the old rules did not load:\n%s", before)
		}
		state := t.TempDir()
		stopped(t, exec.Command("ip", "netns", "exec", ns.Name, differs, "migrate", "--to", "nftables", "--boot-root", root,
			"--probes", "100", "--confirm", "1m", "--state-dir", state))
		if left, _ := os.ReadDir(state); len(left) > 0 {
			t.Errorf("a rollback was prepared although nothing was applied: %v", left)
		}
		if got := kernel(); got != before {
			t.Errorf("the kernel changed:\n%s", testenv.LineDiff(before, got))
		}
		if got := testenv.DumpTree(t, root); got != tree {
			t.Errorf("the boot files changed:\n%s", testenv.LineDiff(tree, got))
		}
	})
}
