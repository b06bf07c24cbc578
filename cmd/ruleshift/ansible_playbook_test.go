package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/internal/testenv"
)

// The playbook tests run the real ansible-playbook (Debian's ansible-core)
// with the collection ansible/build.sh builds, over a local connection,
// into a fake Debian 12 root: the module as Ansible runs it.

// playbook is the test's play: the module with the variables as its
// parameters.
const playbook = `- hosts: localhost
  gather_facts: false
  tasks:
    - name: ruleshift
      ruleshift.firewall.ruleshift:
        src: "{{ src | default(omit) }}"
        root: "{{ root }}"
        state: "{{ state }}"
`

// collection builds the collection into a temporary directory, as a user
// would with ansible/build.sh DIR.
func collection(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("ansible-playbook"); err != nil {
		testenv.Missing(t, "ansible-playbook on PATH (apt-get install ansible-core)")
	}
	dir := t.TempDir()
	if out, err := exec.Command("sh", "../../ansible/build.sh", dir).CombinedOutput(); err != nil {
		t.Fatalf("ansible/build.sh: %v\n%s", err, out)
	}
	return dir
}

// playResult is the result the minimal callback prints for the one task.
type playResult struct {
	Changed  bool     `json:"changed"`
	Failed   bool     `json:"failed"`
	Msg      string   `json:"msg"`
	Warnings []string `json:"warnings"`
	Method   string   `json:"method"`
	Backend  string   `json:"backend"`
	// Output is all ansible-playbook printed: the diff callback's
	// output is there, not in the result.
	Output string `json:"-"`
}

// play runs ansible-playbook and returns the task's result.
func play(t *testing.T, coll string, extra ...string) playResult {
	t.Helper()
	pb := filepath.Join(coll, "play.yml")
	if err := os.WriteFile(pb, []byte(playbook), 0o644); err != nil {
		t.Fatal(err)
	}
	args := append([]string{"-i", "localhost,", "-c", "local", pb}, extra...)
	cmd := exec.Command("ansible-playbook", args...)
	cmd.Env = append(os.Environ(),
		"ANSIBLE_COLLECTIONS_PATH="+coll,
		// ansible-core 2.14 has no json callback; minimal prints each
		// result as "host | STATUS => {json}".
		"ANSIBLE_STDOUT_CALLBACK=minimal",
		"ANSIBLE_LOCAL_TEMP="+filepath.Join(coll, "tmp"),
		"ANSIBLE_REMOTE_TEMP="+filepath.Join(coll, "tmp"),
		"ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3",
		"ANSIBLE_NOCOLOR=1",
	)
	out, err := cmd.Output()
	_, result, ok := strings.Cut(string(out), "localhost | ")
	var r playResult
	status := ""
	if ok {
		status, result, ok = strings.Cut(result, " => ")
	}
	if !ok {
		t.Fatalf("ansible-playbook %s: %v: no result for localhost\n%s", strings.Join(args, " "), err, out)
	}
	if jerr := json.NewDecoder(strings.NewReader(result)).Decode(&r); jerr != nil {
		t.Fatalf("ansible-playbook %s: the result is not JSON: %v\n%s", strings.Join(args, " "), jerr, out)
	}
	// minimal says FAILED! instead of "failed": true.
	r.Failed = status == "FAILED!"
	r.Output = string(out)
	if r.Failed != (err != nil) {
		t.Fatalf("task failed=%v but ansible-playbook: %v", r.Failed, err)
	}
	return r
}

func TestAnsiblePlaybook(t *testing.T) {
	coll := collection(t)
	root := filepath.Join(t.TempDir(), "root")
	seedRoot(t, root, debian12Seeds...)
	stock := treeOf(t, root)
	present := []string{"-e", "src=" + egressV4, "-e", "root=" + root, "-e", "state=present"}
	absent := []string{"-e", "root=" + root, "-e", "state=absent"}

	r := play(t, coll, append(present, "--check", "--diff")...)
	if r.Failed || !r.Changed {
		t.Fatalf("check mode: changed=%v failed=%v msg=%s, want changed", r.Changed, r.Failed, r.Msg)
	}
	// The diff callback prints each file's before and after.
	for _, want := range []string{"--- before: " + root + "/etc/network/interfaces (0644)", "+++ after: " + root + "/etc/ruleshift/rules.v4 (0600)", "+-A OUTPUT"} {
		if !strings.Contains(r.Output, want) {
			t.Errorf("no %q in the diff:\n%s", want, r.Output)
		}
	}
	if treeOf(t, root) != stock {
		t.Fatal("check mode changed the root")
	}
	if r := play(t, coll, present...); r.Failed || !r.Changed {
		t.Fatalf("first run: changed=%v failed=%v msg=%s", r.Changed, r.Failed, r.Msg)
	}
	installed := treeOf(t, root)
	if installed == stock {
		t.Fatal("the first run changed nothing")
	}
	if r := play(t, coll, present...); r.Failed || r.Changed {
		t.Fatalf("second run: changed=%v failed=%v msg=%s, want unchanged", r.Changed, r.Failed, r.Msg)
	}
	if r := play(t, coll, append(absent, "--check")...); r.Failed || !r.Changed || treeOf(t, root) != installed {
		t.Fatalf("absent in check mode: changed=%v failed=%v, or the root changed", r.Changed, r.Failed)
	}
	if r := play(t, coll, absent...); r.Failed || !r.Changed {
		t.Fatalf("absent: changed=%v failed=%v msg=%s", r.Changed, r.Failed, r.Msg)
	}
	if got := treeOf(t, root); got != stock {
		t.Fatalf("absent did not restore the root:\n%s\nwant\n%s", got, stock)
	}
	if r := play(t, coll, absent...); r.Failed || r.Changed {
		t.Fatalf("absent again: changed=%v, want unchanged", r.Changed)
	}
}

// TestAnsiblePlaybookFailed: an input error fails the task with the
// positioned error as msg.
func TestAnsiblePlaybookFailed(t *testing.T) {
	coll := collection(t)
	root := filepath.Join(t.TempDir(), "root")
	seedRoot(t, root, debian12Seeds...)
	bad := filepath.Join(t.TempDir(), "rules.v4")
	os.WriteFile(bad, []byte("*filter\n-A INPUT -p tcp --dprot 22 -j ACCEPT\nCOMMIT\n"), 0o600)
	r := play(t, coll, "-e", "src="+bad, "-e", "root="+root, "-e", "state=present")
	if !r.Failed || !strings.Contains(r.Msg, bad+":2:") {
		t.Fatalf("failed=%v msg=%q, want failed at %s:2", r.Failed, r.Msg, bad)
	}
}

// TestAnsibleExamplePlaybook checks the shipped example's syntax against
// the collection.
func TestAnsibleExamplePlaybook(t *testing.T) {
	coll := collection(t)
	cmd := exec.Command("ansible-playbook", "--syntax-check", "-i", "localhost,", "../../ansible/examples/fleet.yml")
	cmd.Env = append(os.Environ(), "ANSIBLE_COLLECTIONS_PATH="+coll, "ANSIBLE_NOCOLOR=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("ansible-playbook --syntax-check: %v\n%s", err, out)
	}
}
