package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/internal/bootroot"
)

// TestAnsibleBoot runs the playbook into a real Debian 12 root (the
// persist boot tests' debootstrap root, internal/bootroot) and boots it
// with systemd-nspawn: after state present the booted machine holds the
// rules, after state absent it does not, and the root's /etc is as it was.
// It runs with RULESHIFT_BOOT_TESTS=1 or under CI=true.
func TestAnsibleBoot(t *testing.T) {
	bootroot.Require(t)
	coll := collection(t)
	tar := bootroot.Tarball(t, "bookworm", false)
	root := filepath.Join(t.TempDir(), "root")
	bootroot.Unpack(t, tar, root)
	bootroot.InstallDump(t, root)
	etc := filepath.Join(root, "etc")
	stock := treeOf(t, etc)
	present := []string{"-e", "src=" + egressV4, "-e", "root=" + root, "-e", "state=present"}
	absent := []string{"-e", "root=" + root, "-e", "state=absent"}

	if r := play(t, coll, append(present, "--check")...); r.Failed || !r.Changed || treeOf(t, etc) != stock {
		t.Fatalf("check mode: changed=%v failed=%v msg=%s, or /etc changed", r.Changed, r.Failed, r.Msg)
	}
	r := play(t, coll, present...)
	if r.Failed || !r.Changed {
		t.Fatalf("first run: changed=%v failed=%v msg=%s", r.Changed, r.Failed, r.Msg)
	}
	t.Logf("persist chose %s with %s", r.Method, r.Backend)
	if r := play(t, coll, present...); r.Failed || r.Changed {
		t.Fatalf("second run: changed=%v msg=%s, want unchanged", r.Changed, r.Msg)
	}
	if r := play(t, coll, absent...); r.Failed || !r.Changed {
		t.Fatalf("absent: changed=%v failed=%v msg=%s", r.Changed, r.Failed, r.Msg)
	}
	if treeOf(t, etc) != stock {
		t.Fatal("state absent did not restore /etc")
	}

	if r := play(t, coll, present...); r.Failed || !r.Changed {
		t.Fatalf("present again: changed=%v failed=%v msg=%s", r.Changed, r.Failed, r.Msg)
	}
	if dump := bootroot.Boot(t, root); !holdsEgress(dump) {
		t.Fatalf("after state present the booted machine lacks the rules:\n%s", dump)
	}
	if r := play(t, coll, absent...); r.Failed || !r.Changed {
		t.Fatalf("absent after boot: changed=%v failed=%v msg=%s", r.Changed, r.Failed, r.Msg)
	}
	if dump := bootroot.Boot(t, root); holdsEgress(dump) {
		t.Fatalf("after state absent the booted machine still holds the rules:\n%s", dump)
	}
}

// holdsEgress: a booted machine's dump has egress.v4's ssh rule, in
// whichever tool's form the chosen backend loads it.
func holdsEgress(dump string) bool {
	for name, text := range bootroot.Sections(dump) {
		if strings.HasPrefix(name, "iptables") && strings.Contains(text, "-A OUTPUT -d 10.0.0.0/8") {
			return true
		}
		if name == "nft" && strings.Contains(text, "10.0.0.0/8") {
			return true
		}
	}
	return false
}
