package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/internal/ansible"
)

// egressV4 is the persist tests' iptables-save input.
var egressV4, _ = filepath.Abs("../../testdata/persist/egress.v4")

// module runs ruleshift the way Ansible runs a binary module: one
// argument, the arguments file. It checks the protocol: exit 0 and one
// JSON object on stdout, whatever happened.
func module(t *testing.T, args map[string]any) ansible.Result {
	t.Helper()
	data, err := json.Marshal(args)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "args")
	if err := os.WriteFile(file, data, 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := run(moduleArgs([]string{file}), &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr})
	if code != 0 {
		t.Fatalf("exit %d, want 0 (stderr: %s)", code, stderr.String())
	}
	dec := json.NewDecoder(&stdout)
	dec.DisallowUnknownFields()
	var r ansible.Result
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("stdout is not the result object: %v\n%s", err, stdout.String())
	}
	if dec.More() {
		t.Fatalf("more than one JSON object on stdout")
	}
	return r
}

// moduleArgsFor adds what Ansible always adds to the module's parameters.
func moduleArgsFor(params map[string]any) map[string]any {
	m := map[string]any{"_ansible_check_mode": false, "_ansible_diff": false, "_ansible_verbosity": 0, "_ansible_module_name": "ruleshift.firewall.ruleshift"}
	for k, v := range params {
		m[k] = v
	}
	return m
}

func TestAnsiblePresentAbsent(t *testing.T) {
	root := t.TempDir()
	seedRoot(t, root, debian12Seeds...)
	stock := treeOf(t, root)
	present := moduleArgsFor(map[string]any{"src": egressV4, "root": root})

	check := moduleArgsFor(map[string]any{"src": egressV4, "root": root, "_ansible_check_mode": true})
	if r := module(t, check); r.Failed || !r.Changed {
		t.Fatalf("check mode: changed=%v failed=%v msg=%s, want changed", r.Changed, r.Failed, r.Msg)
	}
	if treeOf(t, root) != stock {
		t.Fatal("check mode changed the root")
	}

	r := module(t, present)
	if r.Failed || !r.Changed {
		t.Fatalf("first run: changed=%v failed=%v msg=%s", r.Changed, r.Failed, r.Msg)
	}
	if r.Method != "ifupdown" || r.Backend != "iptables-nft" {
		t.Errorf("method %q backend %q, want ifupdown and iptables-nft", r.Method, r.Backend)
	}
	installed := treeOf(t, root)
	if installed == stock {
		t.Fatal("first run changed nothing in the root")
	}
	if r := module(t, present); r.Failed || r.Changed {
		t.Fatalf("second run: changed=%v failed=%v msg=%s, want unchanged", r.Changed, r.Failed, r.Msg)
	}
	if r := module(t, check); r.Failed || r.Changed {
		t.Fatalf("check mode after install: changed=%v, want unchanged", r.Changed)
	}

	absent := moduleArgsFor(map[string]any{"state": "absent", "root": root})
	absentCheck := moduleArgsFor(map[string]any{"state": "absent", "root": root, "_ansible_check_mode": true, "_ansible_diff": true})
	r = module(t, absentCheck)
	if r.Failed || !r.Changed || len(r.Diff) == 0 {
		t.Fatalf("absent in check mode: changed=%v failed=%v diffs=%d", r.Changed, r.Failed, len(r.Diff))
	}
	if treeOf(t, root) != installed {
		t.Fatal("absent in check mode changed the root")
	}
	if r := module(t, absent); r.Failed || !r.Changed {
		t.Fatalf("absent: changed=%v failed=%v msg=%s", r.Changed, r.Failed, r.Msg)
	}
	if got := treeOf(t, root); got != stock {
		t.Fatalf("absent did not restore the root:\n%s\nwant\n%s", got, stock)
	}
	if r := module(t, absent); r.Failed || r.Changed {
		t.Fatalf("absent again: changed=%v, want unchanged", r.Changed)
	}
}

// TestAnsibleDiff: the diff list has a before and an after per file, as
// Ansible's diff callback shows them.
func TestAnsibleDiff(t *testing.T) {
	root := t.TempDir()
	seedRoot(t, root, debian12Seeds...)
	stock := treeOf(t, root)
	r := module(t, moduleArgsFor(map[string]any{"src": egressV4, "root": root, "_ansible_check_mode": true, "_ansible_diff": true}))
	if r.Failed || !r.Changed {
		t.Fatalf("changed=%v failed=%v msg=%s", r.Changed, r.Failed, r.Msg)
	}
	if treeOf(t, root) != stock {
		t.Fatal("check mode changed the root")
	}
	byFile := map[string]ansible.Diff{}
	for _, d := range r.Diff {
		byFile[strings.Fields(d.AfterHeader)[0]] = d
	}
	rules := byFile[filepath.Join(root, "etc/ruleshift/rules.v4")]
	if rules.BeforeHeader != filepath.Join(root, "etc/ruleshift/rules.v4")+" (absent)" || rules.Before != "" || !strings.Contains(rules.After, "COMMIT") {
		t.Errorf("rules.v4 diff: %+v", rules)
	}
	ifaces := byFile[filepath.Join(root, "etc/network/interfaces")]
	if !strings.Contains(ifaces.Before, "iface lo inet loopback") || !strings.Contains(ifaces.After, "pre-up") || strings.Contains(ifaces.Before, "pre-up") {
		t.Errorf("interfaces diff: %+v", ifaces)
	}
	if !strings.HasSuffix(ifaces.BeforeHeader, "(0644)") {
		t.Errorf("before header %q, want the mode", ifaces.BeforeHeader)
	}
	// Without _ansible_diff there is no diff.
	if r := module(t, moduleArgsFor(map[string]any{"src": egressV4, "root": root, "_ansible_check_mode": true})); len(r.Diff) != 0 {
		t.Errorf("diff without _ansible_diff: %d entries", len(r.Diff))
	}
}

// TestAnsibleFailed: errors come back as failed with the positioned
// diagnostics as msg, and exit 0; nothing is written.
func TestAnsibleFailed(t *testing.T) {
	root := t.TempDir()
	seedRoot(t, root, debian12Seeds...)
	stock := treeOf(t, root)
	bad := filepath.Join(t.TempDir(), "rules.v4")
	os.WriteFile(bad, []byte("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp --dprot 22 -j ACCEPT\nCOMMIT\n"), 0o600)

	cases := []struct {
		name   string
		params map[string]any
		want   string
	}{
		{"positioned", map[string]any{"src": bad, "root": root}, bad + ":3:"},
		{"unknown parameter", map[string]any{"src": egressV4, "root": root, "bogus": 1, "also": "x"}, "unsupported parameters: also, bogus"},
		{"bad choice", map[string]any{"src": egressV4, "root": root, "state": "gone"}, "value of state must be one of: present, absent, got: gone"},
		{"bad method", map[string]any{"src": egressV4, "root": root, "method": "cron"}, "value of method must be one of"},
		{"src missing", map[string]any{"root": root}, "required parameter src is missing"},
		{"src unreadable", map[string]any{"src": filepath.Join(root, "nope"), "root": root}, "no such file"},
		{"wrong type", map[string]any{"src": egressV4, "root": root, "force": "maybe"}, "value of force must be a boolean"},
		{"refused method", map[string]any{"src": egressV4, "root": root, "method": "iptables-services"}, "iptables-services cannot work on debian-12"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := module(t, moduleArgsFor(c.params))
			if !r.Failed || r.Changed || !strings.Contains(r.Msg, c.want) {
				t.Fatalf("failed=%v changed=%v msg=%q, want failed with %q", r.Failed, r.Changed, r.Msg, c.want)
			}
			if treeOf(t, root) != stock {
				t.Fatal("a failed run changed the root")
			}
		})
	}
}

func TestAnsibleBadArgsFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "args")
	os.WriteFile(file, []byte("{not json"), 0o600)
	var stdout bytes.Buffer
	if code := run([]string{"ansible", file}, &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &bytes.Buffer{}}); code != 0 {
		t.Fatalf("exit %d, want 0", code)
	}
	var r ansible.Result
	if err := json.Unmarshal(stdout.Bytes(), &r); err != nil || !r.Failed || !strings.Contains(r.Msg, "not a JSON object") {
		t.Fatalf("result %+v (%v)", r, err)
	}
	// A file without Ansible's keys is not taken for an arguments file.
	os.WriteFile(file, []byte(`{"src": "x"}`), 0o600)
	if got := moduleArgs([]string{file}); got[0] == "ansible" {
		t.Errorf("moduleArgs took a plain JSON file for Ansible's")
	}
}
