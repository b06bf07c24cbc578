package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ruleshift/ruleshift/internal/ansible"
	"github.com/ruleshift/ruleshift/internal/pending"
	"github.com/ruleshift/ruleshift/internal/testenv"
)

// The live tests run the module binary in a scratch network namespace
// with apply: true, so that it loads into that namespace's kernel; the
// files go to a fake root (root: DIR), never the host's /etc.

func buildModule(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "ruleshift")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// moduleIn runs the module binary in ns as Ansible would.
func moduleIn(t *testing.T, ns *testenv.Netns, bin string, params map[string]any) ansible.Result {
	t.Helper()
	data, _ := json.Marshal(moduleArgsFor(params))
	file := filepath.Join(t.TempDir(), "args")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := ns.Run(nil, bin, file)
	if err != nil {
		t.Fatalf("module: %v\n%s", err, out)
	}
	var r ansible.Result
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("not a result: %v\n%s", err, out)
	}
	return r
}

// holds reports whether ns holds the egress rules: the 10.0.0.0/8 ssh
// rule, as the backend's tool lists it.
func holds(t *testing.T, ns *testenv.Netns, backend string) bool {
	t.Helper()
	if backend == "nftables" {
		out, err := ns.Run(nil, "nft", "list", "ruleset")
		if err != nil {
			t.Fatal(err)
		}
		return strings.Contains(out, "ruleshift_") && strings.Contains(out, "10.0.0.0/8")
	}
	out, err := ns.Run(nil, "iptables-nft-save")
	if err != nil {
		t.Fatal(err)
	}
	return strings.Contains(out, "-A OUTPUT -d 10.0.0.0/8")
}

func needLive(t *testing.T) {
	t.Helper()
	testenv.RequireRoot(t)
	testenv.RequireBinary(t, "ip", "nft", "iptables-nft-save", "iptables-nft-restore")
}

func TestAnsibleLive(t *testing.T) {
	needLive(t)
	bin := buildModule(t)
	for _, c := range []struct{ backend, param string }{{"iptables-nft", "auto"}, {"nftables", "nftables"}} {
		t.Run(c.backend, func(t *testing.T) {
			ns := testenv.NewNetns(t, "rsans")
			root := t.TempDir()
			seedRoot(t, root, debian12Seeds...)
			p := map[string]any{"src": egressV4, "root": root, "apply": true, "backend": c.param}
			check := map[string]any{"_ansible_check_mode": true, "_ansible_diff": true}
			for k, v := range p {
				check[k] = v
			}
			r := moduleIn(t, ns, bin, check)
			if r.Failed || !r.Changed || r.Backend != c.backend {
				t.Fatalf("check mode: %+v", r)
			}
			var rules *ansible.Diff
			for i := range r.Diff {
				if strings.HasPrefix(r.Diff[i].AfterHeader, "loaded by ruleshift") {
					rules = &r.Diff[i]
				}
			}
			if rules == nil || !strings.Contains(rules.After, "10.0.0.0/8") || strings.Contains(rules.Before, "10.0.0.0/8") {
				t.Errorf("no rule diff: %+v", r.Diff)
			}
			if holds(t, ns, c.backend) {
				t.Fatal("check mode loaded the rules")
			}
			if r := moduleIn(t, ns, bin, p); r.Failed || !r.Changed || !strings.Contains(r.Msg, "; loaded") {
				t.Fatalf("first run: %+v", r)
			}
			if !holds(t, ns, c.backend) {
				t.Fatal("the first run did not load the rules")
			}
			if r := moduleIn(t, ns, bin, p); r.Failed || r.Changed {
				t.Fatalf("second run: %+v, want unchanged", r)
			}
			if r := moduleIn(t, ns, bin, check); r.Failed || r.Changed || len(r.Diff) != 0 {
				t.Fatalf("check mode after: %+v, want unchanged", r)
			}
		})
	}
}

// TestAnsibleConfirm: with confirm, the next run of the module confirms;
// without one, the watcher rolls back.
func TestAnsibleConfirm(t *testing.T) {
	needLive(t)
	bin := buildModule(t)

	ns := testenv.NewNetns(t, "rsans")
	root := t.TempDir()
	seedRoot(t, root, debian12Seeds...)
	stock := treeOf(t, root)
	p := map[string]any{"src": egressV4, "root": root, "apply": true, "confirm": "60s"}
	r := moduleIn(t, ns, bin, p)
	if r.Failed || !r.Changed || !strings.Contains(r.Msg, "roll back in 1m0s unless") || !strings.Contains(r.Msg, "change when the load is confirmed") {
		t.Fatalf("first run: %+v", r)
	}
	// The files wait for the confirmation: a rollback must not leave
	// the new rules to load at the next boot.
	if !sameFiles(t, root, stock) {
		t.Fatal("the run with confirm wrote files before the confirmation")
	}
	key := netnsKey(t, ns)
	paths := pending.For(filepath.Join(root, "run/ruleshift"), key)
	if _, err := os.Stat(paths.State); err != nil {
		t.Fatalf("no pending apply: %v", err)
	}
	r = moduleIn(t, ns, bin, p)
	if r.Failed || !r.Changed || !strings.Contains(r.Msg, "confirmed the apply") {
		t.Fatalf("second run: %+v, want the confirmation", r)
	}
	if _, err := os.Stat(paths.State); err == nil {
		t.Fatal("still pending after the confirmation")
	}
	if sameFiles(t, root, stock) {
		t.Fatal("the confirming run did not persist")
	}
	if r := moduleIn(t, ns, bin, p); r.Failed || r.Changed {
		t.Fatalf("third run: %+v, want unchanged", r)
	}
	waitFor(t, "the watcher's result", func() bool { return pending.Result(paths) != "" })
	if !holds(t, ns, "iptables-nft") {
		t.Fatal("the confirmed rules are gone")
	}

	// Not confirmed: the watcher puts the empty ruleset back.
	ns2 := testenv.NewNetns(t, "rsans")
	root2 := t.TempDir()
	seedRoot(t, root2, debian12Seeds...)
	stock2 := treeOf(t, root2)
	if r := moduleIn(t, ns2, bin, map[string]any{"src": egressV4, "root": root2, "apply": true, "confirm": "1s"}); r.Failed || !r.Changed {
		t.Fatalf("run with confirm 1s: %+v", r)
	}
	waitFor(t, "the rollback", func() bool { return !holds(t, ns2, "iptables-nft") })
	if !sameFiles(t, root2, stock2) {
		t.Error("files written although the load was rolled back")
	}
	if r := moduleIn(t, ns, bin, map[string]any{"src": egressV4, "root": root, "confirm": "1m"}); !r.Failed || !strings.Contains(r.Msg, "live load") {
		t.Errorf("confirm offline: %+v, want failed", r)
	}
}

// sameFiles compares the root with a tree taken before, leaving out
// run/, where the pending load's state lives as on a real system.
func sameFiles(t *testing.T, root, before string) bool {
	t.Helper()
	var kept strings.Builder
	skip := false
	for _, l := range strings.SplitAfter(treeOf(t, root), "\n") {
		if strings.HasPrefix(l, "-- ") && strings.HasSuffix(l, " --\n") {
			// An entry of apply's pending state under run/ is left out.
			skip = strings.HasPrefix(l, "-- run/")
		}
		if !skip {
			kept.WriteString(l)
		}
	}
	return kept.String() == before
}

// netnsKey is pending.Key as seen inside ns.
func netnsKey(t *testing.T, ns *testenv.Netns) string {
	t.Helper()
	out, err := ns.Run(nil, "stat", "-L", "-c", "%i", "/proc/self/ns/net")
	if err != nil {
		t.Fatal(err)
	}
	return "netns-" + strings.TrimSpace(out)
}

// waitFor polls cond, failing after three minutes; it asserts no
// duration, only that the event comes (the watcher of a 60 s confirm may
// report only near its deadline, later still on a loaded machine).
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(3 * time.Minute); time.Now().Before(end); time.Sleep(200 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("%s did not happen within three minutes", what)
}
