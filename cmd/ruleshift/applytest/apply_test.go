// Package applytest holds the kernel tests of ruleshift apply and confirm.
// They run the real binary (built once in TestMain) the way users do,
// inside network namespaces the tests create: ip netns exec NS ruleshift
// apply …. They never touch the host's firewall.
package applytest

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/internal/corpus"
	"github.com/ruleshift/ruleshift/internal/testenv"
	"golang.org/x/tools/txtar"
)

var bin string

func TestMain(m *testing.M) {
	// The machine's own ssh session and sshd stay out of apply's
	// lock-out check: the tests load into namespaces.
	os.Unsetenv("SSH_CONNECTION")
	os.Setenv("RULESHIFT_SSHD_CONFIG", "/nonexistent")
	dir, err := os.MkdirTemp("", "ruleshift-apply-test")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	bin = filepath.Join(dir, "ruleshift")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/ruleshift/ruleshift/cmd/ruleshift").CombinedOutput(); err != nil {
		fmt.Fprintf(os.Stderr, "build ruleshift: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// result is one run of the binary.
type result struct {
	stdout, stderr string
	code           int
}

// rs runs ruleshift in the namespace.
func rs(ns *testenv.Netns, stdin []byte, args ...string) result {
	cmd := exec.Command("ip", append([]string{"netns", "exec", ns.Name, bin}, args...)...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	code := 0
	if x, ok := err.(*exec.ExitError); ok {
		code = x.ExitCode()
	} else if err != nil {
		code = -1
	}
	return result{o.String(), e.String(), code}
}

// translate runs ruleshift translate outside any namespace (it reads only).
func translate(args ...string) (string, bool) {
	out, err := exec.Command(bin, append([]string{"translate"}, args...)...).Output()
	return string(out), err == nil
}

func need(t *testing.T) {
	t.Helper()
	testenv.RequireRoot(t)
	testenv.RequireBinary(t, "ip", "nft", "iptables-nft-restore", "iptables-legacy-restore",
		"ip6tables-nft-restore", "ip6tables-legacy-restore", "iptables-nft-save", "iptables-legacy-save", "setsid")
}

// inputs writes the test data's save-format inputs to files and adds the
// corpus dumps.
func inputs(t *testing.T) []string {
	dir := t.TempDir()
	var out []string
	cases, _ := filepath.Glob("../../../testdata/translate/*.txtar")
	for _, c := range cases {
		a, err := txtar.ParseFile(c)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range a.Files {
			if strings.HasPrefix(f.Name, "in/") {
				p := filepath.Join(dir, strings.TrimSuffix(filepath.Base(c), ".txtar")+"-"+filepath.Base(f.Name))
				os.WriteFile(p, f.Data, 0o644)
				out = append(out, p)
			}
		}
	}
	return append(out, corpus.SaveDumps(t)...)
}

// listing is what a backend holds, in a form two loads can be compared in.
func listing(t *testing.T, ns *testenv.Netns, backend string) string {
	t.Helper()
	if backend == "nftables" {
		out, err := ns.Run(nil, "nft", "list", "ruleset")
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	v := strings.TrimPrefix(backend, "iptables-")
	var b strings.Builder
	for _, tool := range []string{"iptables-" + v + "-save", "ip6tables-" + v + "-save"} {
		out, err := ns.Run(nil, tool)
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString(testenv.StripSave(out))
	}
	return b.String()
}

// reference loads what translate renders with the reference tool.
func reference(t *testing.T, ns *testenv.Netns, backend, input string) bool {
	if backend == "nftables" {
		text, ok := translate(input)
		if !ok {
			return false
		}
		_, err := ns.Run([]byte(text), "nft", "-f", "-")
		return err == nil
	}
	v := strings.TrimPrefix(backend, "iptables-")
	dir := t.TempDir() + "/"
	if _, ok := translate("--to", backend, "-o", dir, input); !ok {
		return false
	}
	for _, fam := range []struct{ file, tool string }{{"rules.v4", "iptables-" + v + "-restore"}, {"rules.v6", "ip6tables-" + v + "-restore"}} {
		text, err := os.ReadFile(dir + fam.file)
		if err != nil || !bytes.Contains(text, []byte("\n*")) {
			continue
		}
		if _, err := ns.Run(text, fam.tool); err != nil {
			return false
		}
	}
	return true
}

var backends = []string{"nftables", "iptables-nft", "iptables-legacy"}

// TestApplyListsWhatWasRendered: every backend loads the test data and the
// corpus dumps, and what the kernel then holds equals what loading the
// rendered output with the reference tool gives.
func TestApplyListsWhatWasRendered(t *testing.T) {
	need(t)
	for _, backend := range backends {
		loaded := 0
		for _, in := range inputs(t) {
			ref := testenv.NewNetns(t, "hAp")
			if !reference(t, ref, backend, in) {
				continue // rendering or the kernel refuses it: covered elsewhere
			}
			ns := testenv.NewNetns(t, "hAp")
			r := rs(ns, nil, "apply", "--backend", backend, in)
			if r.code != 0 {
				t.Errorf("%s %s: exit %d: %s", backend, filepath.Base(in), r.code, r.stderr)
				continue
			}
			if got, want := listing(t, ns, backend), listing(t, ref, backend); got != want {
				t.Errorf("%s %s: the loaded ruleset differs from the rendered one:\n--- rendered\n%s\n--- applied\n%s", backend, filepath.Base(in), want, got)
				continue
			}
			loaded++
		}
		t.Logf("%s: %d inputs applied and listed back as rendered", backend, loaded)
	}
}

const good = `*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:LA - [0:0]
:LB - [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -s 192.0.2.0/24 -p tcp -m tcp --dport 22 -j ACCEPT
-A INPUT -p tcp -m multiport --dports 80,443,8000:8080 -j ACCEPT
-A INPUT -j LA
-A LA -p icmp -m icmp --icmp-type 8 -j ACCEPT
COMMIT
`

// bad is good with one more rule at the end that closes a jump loop,
// which the kernel refuses (ELOOP) although it parses and renders.
var bad = strings.Replace(good, "COMMIT\n", "-A LA -j LB\n-A LB -j LA\nCOMMIT\n", 1)

// other is a different valid ruleset.
var other = strings.Replace(good, "--dport 22", "--dport 2222", 1)

func writeFile(t *testing.T, name, data string) string {
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestApplyBadRuleChangesNothing: an input whose last rule the kernel
// refuses leaves the previously loaded ruleset byte-identical, and the
// error names the source line of that rule, or of its table where the
// kernel does not tell the rule. (The input's jump loop is one ruleshift
// finds before loading; --warn kernel-check lets the kernel decide.)
func TestApplyBadRuleChangesNothing(t *testing.T) {
	need(t)
	g, b := writeFile(t, "good.v4", good), writeFile(t, "bad.v4", bad)
	for _, backend := range backends {
		ns := testenv.NewNetns(t, "hAp")
		if r := rs(ns, nil, "apply", "--backend", backend, g); r.code != 0 {
			t.Fatalf("%s: %s", backend, r.stderr)
		}
		before := listing(t, ns, backend)
		r := rs(ns, nil, "apply", "--warn", "kernel-check", "--backend", backend, b)
		if r.code != 4 {
			t.Errorf("%s: exit %d, want 4: %s", backend, r.code, r.stderr)
		}
		// iptables-legacy's kernel refuses the table as a whole: the
		// error names where the file starts it.
		want := "bad.v4:13:"
		if backend == "iptables-legacy" {
			want = "bad.v4:1:"
		}
		if !strings.Contains(r.stderr, want) {
			t.Errorf("%s: the error does not name %s %s", backend, want, r.stderr)
		}
		if after := listing(t, ns, backend); after != before {
			t.Errorf("%s: the refused apply changed the ruleset:\n--- before\n%s\n--- after\n%s", backend, before, after)
		}
	}
}

// TestApplyKeepsForeignTables: a docker-like nft table and an iptables
// chain of another tool, in a table the input does not define, survive
// apply and re-apply.
func TestApplyKeepsForeignTables(t *testing.T) {
	need(t)
	g, o := writeFile(t, "good.v4", good), writeFile(t, "other.v4", other)
	for _, backend := range backends {
		ns := testenv.NewNetns(t, "hAp")
		docker := "table ip docker_like {\n\tchain DOCKER {\n\t\tip daddr 172.17.0.2 tcp dport 80 accept\n\t}\n}\n"
		if _, err := ns.Run([]byte(docker), "nft", "-f", "-"); err != nil {
			t.Fatal(err)
		}
		v := "nft"
		if backend == "iptables-legacy" {
			v = "legacy"
		}
		for _, args := range [][]string{{"-t", "mangle", "-N", "DOCKER-USER"}, {"-t", "mangle", "-A", "DOCKER-USER", "-s", "10.9.9.9", "-j", "RETURN"}} {
			if _, err := ns.Run(nil, "iptables-"+v, args...); err != nil {
				t.Fatal(err)
			}
		}
		for _, in := range []string{g, o, g} {
			if r := rs(ns, nil, "apply", "--backend", backend, in); r.code != 0 {
				t.Fatalf("%s: %s", backend, r.stderr)
			}
			tables, _ := ns.Run(nil, "nft", "list", "table", "ip", "docker_like")
			if !strings.Contains(tables, "ip daddr 172.17.0.2 tcp dport 80 accept") {
				t.Errorf("%s: the docker-like table is gone or changed:\n%s", backend, tables)
			}
			mangle, _ := ns.Run(nil, "iptables-"+v+"-save", "-t", "mangle")
			if !strings.Contains(mangle, "-A DOCKER-USER -s 10.9.9.9/32 -j RETURN") {
				t.Errorf("%s: DOCKER-USER is gone:\n%s", backend, mangle)
			}
		}
	}
}

// TestApplyWarnUnsupported: by default a rule the backend cannot load
// stops apply before the kernel is touched; with --warn unsupported the
// rest is loaded and that rule is left out, with a warning naming it.
func TestApplyWarnUnsupported(t *testing.T) {
	need(t)
	in := writeFile(t, "w.v6", "*filter\n:INPUT DROP [0:0]\n-A INPUT -p tcp --dport 22 -j ACCEPT\n-A INPUT ! -s ::/0 -j DROP\nCOMMIT\n")
	ns := testenv.NewNetns(t, "hAw")
	if r := rs(ns, nil, "apply", "--backend", "iptables-nft", in); r.code != 1 || !strings.Contains(r.stderr, "w.v6:4:12: ") {
		t.Fatalf("without --warn: exit %d, want 1 naming w.v6:4:12: %s", r.code, r.stderr)
	}
	r := rs(ns, nil, "apply", "--warn", "unsupported", "--backend", "iptables-nft", in)
	if r.code != 0 || !strings.Contains(r.stderr, "w.v6:4:12: warning: ") || !strings.Contains(r.stderr, "the rule is left out") {
		t.Fatalf("with --warn unsupported: exit %d: %s", r.code, r.stderr)
	}
	out, err := ns.Run(nil, "ip6tables-nft-save", "-t", "filter")
	if err != nil {
		t.Fatalf("ip6tables-nft-save: %v: %s", err, out)
	}
	if !strings.Contains(string(out), "-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT") || strings.Contains(string(out), "::/0") {
		t.Errorf("loaded:\n%s\nwant the port 22 rule and not the left-out one", out)
	}
}
