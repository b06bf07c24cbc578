package ufw_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/internal/testenv"
	"github.com/ruleshift/ruleshift/translate"
	"github.com/ruleshift/ruleshift/translate/diag"
	"github.com/ruleshift/ruleshift/translate/ir"
	"github.com/ruleshift/ruleshift/translate/ufw"
)

// Small configurations of our own, written as ufw lays them out; the
// kernel oracle (kernel_test.go) covers the installed files.
const (
	before = "*filter\n:ufw-before-input - [0:0]\n:ufw-before-output - [0:0]\n:ufw-before-forward - [0:0]\n:ufw-not-local - [0:0]\n" +
		"-A ufw-before-input -i lo -j ACCEPT\nCOMMIT\n"
	before6 = "*filter\n:ufw6-before-input - [0:0]\n:ufw6-before-output - [0:0]\n:ufw6-before-forward - [0:0]\nCOMMIT\n"
	after   = "*filter\n:ufw-after-input - [0:0]\n:ufw-after-output - [0:0]\n:ufw-after-forward - [0:0]\n" +
		"-A ufw-after-input -p udp --dport 137 -j ufw-skip-to-policy-input\nCOMMIT\n"
	after6 = "*filter\n:ufw6-after-input - [0:0]\n:ufw6-after-output - [0:0]\n:ufw6-after-forward - [0:0]\nCOMMIT\n"
	user   = "*filter\n:ufw-user-input - [0:0]\n:ufw-user-output - [0:0]\n:ufw-user-forward - [0:0]\n### RULES ###\n\n" +
		"### tuple ### allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in\n-A ufw-user-input -p tcp --dport 22 -j ACCEPT\n### END RULES ###\nCOMMIT\n"
	user6    = "*filter\n:ufw6-user-input - [0:0]\n:ufw6-user-output - [0:0]\n:ufw6-user-forward - [0:0]\nCOMMIT\n"
	defaults = "# policies\nIPV6=yes\nDEFAULT_INPUT_POLICY=\"REJECT\"\nDEFAULT_OUTPUT_POLICY='ACCEPT'\nDEFAULT_FORWARD_POLICY=DROP\nMANAGE_BUILTINS=no\n"
	conf     = "ENABLED=yes\nLOGLEVEL=low\n"
)

// root writes a ufw machine under a temporary root; files maps a path
// under the root to its text ("" removes a stock one).
func root(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	all := map[string]string{
		"etc/ufw/before.rules": before, "etc/ufw/before6.rules": before6, "etc/ufw/after.rules": after,
		"etc/ufw/after6.rules": after6, "etc/ufw/user.rules": user, "etc/ufw/user6.rules": user6,
		"etc/ufw/ufw.conf": conf, "etc/default/ufw": defaults,
	}
	for k, v := range files {
		all[k] = v
	}
	for p, text := range all {
		if text == "" {
			continue
		}
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(text), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func load(t *testing.T, dir string) (*ir.Ruleset, *diag.List) {
	t.Helper()
	src, err := ufw.Locate(dir)
	if err != nil {
		t.Fatal(err)
	}
	rs := &ir.Ruleset{}
	return rs, ufw.Load(rs, src, ufw.Options{})
}

func rulesOf(t *testing.T, rs *ir.Ruleset, f ir.Family, chain string) []*ir.Rule {
	t.Helper()
	tb := rs.Table(f, "filter")
	if tb == nil || tb.Chain(chain) == nil {
		t.Fatalf("no chain %s in %s filter:\n%s", chain, f, ir.Dump(rs))
	}
	return tb.Chain(chain).Rules
}

func TestLoadOrderAndPositions(t *testing.T) {
	dir := root(t, nil)
	rs, d := load(t, dir)
	if d.HasErrors() {
		t.Fatal(d.Err())
	}
	// INPUT: ufw-init's six jumps, at their lines of ufw-init-functions;
	// REJECT is a DROP policy plus ufw-reject-input.
	in := rulesOf(t, rs, ir.IPv4, "INPUT")
	if len(in) != 6 || in[0].Src.File != ufw.InitFunctions || in[0].Src.Line != 197 {
		t.Errorf("INPUT: %d rules, first at %v", len(in), in[0].Src)
	}
	if p := rs.Table(ir.IPv4, "filter").Chain("INPUT").PolicyOf(); p != ir.PolicyDrop {
		t.Errorf("INPUT policy %v, want drop (REJECT)", p)
	}
	if r := rulesOf(t, rs, ir.IPv4, "ufw-reject-input"); len(r) != 1 || !isReject(r[0]) {
		t.Errorf("ufw-reject-input: %d rules", len(r))
	}
	if r := rulesOf(t, rs, ir.IPv4, "ufw-skip-to-policy-input"); len(r) != 1 || !isReject(r[0]) {
		t.Errorf("ufw-skip-to-policy-input should be -j REJECT")
	}
	// OUTPUT ACCEPT: the track chain accepts new tcp and udp.
	if r := rulesOf(t, rs, ir.IPv4, "ufw-track-output"); len(r) != 2 {
		t.Errorf("ufw-track-output: %d rules, want 2", len(r))
	}
	// before.rules first, then the hook into the user chain, last.
	bi := rulesOf(t, rs, ir.IPv4, "ufw-before-input")
	if len(bi) != 2 || bi[0].Src.File != filepath.Join(dir, "etc/ufw/before.rules") || bi[0].Src.Line != 6 || bi[1].Src.Line != 350 {
		t.Errorf("ufw-before-input: %d rules at %v, %v", len(bi), bi[0].Src, bi[len(bi)-1].Src)
	}
	ui := rulesOf(t, rs, ir.IPv4, "ufw-user-input")
	if len(ui) != 1 || ui[0].Src.Line != 8 {
		t.Errorf("ufw-user-input: %v", ui)
	}
	// Chains ufw-init creates that no file declares.
	for _, c := range []string{"ufw-user-limit", "ufw-user-logging-input", "ufw-logging-deny", "ufw6-user-limit-accept"} {
		f := ir.IPv4
		if strings.HasPrefix(c, "ufw6") {
			f = ir.IPv6
		}
		rulesOf(t, rs, f, c)
	}
}

func TestIPv6Off(t *testing.T) {
	rs, d := load(t, root(t, map[string]string{"etc/default/ufw": strings.Replace(defaults, "IPV6=yes", "IPV6=no", 1)}))
	if d.HasErrors() {
		t.Fatal(d.Err())
	}
	tb := rs.Table(ir.IPv6, "filter")
	if len(tb.Chains) != 3 {
		t.Fatalf("ip6 filter: %d chains, want INPUT FORWARD OUTPUT only:\n%s", len(tb.Chains), ir.Dump(rs))
	}
	for _, c := range tb.Chains {
		if c.PolicyOf() != ir.PolicyDrop {
			t.Errorf("%s policy %v, want drop", c.Name, c.PolicyOf())
		}
	}
	if r := rulesOf(t, rs, ir.IPv6, "INPUT"); len(r) != 1 || r[0].Src.Line != 151 {
		t.Errorf("ip6 INPUT: want the lo accept of ufw-init-functions:151")
	}
}

func TestLoadDiagnostics(t *testing.T) {
	for _, c := range []struct {
		name  string
		files map[string]string
		want  string // in the first diagnostic
		code  diag.Code
		error bool
	}{
		{"bad policy", map[string]string{"etc/default/ufw": "IPV6=yes\nDEFAULT_INPUT_POLICY=reject\nDEFAULT_OUTPUT_POLICY=ACCEPT\nDEFAULT_FORWARD_POLICY=DROP\n"},
			"default/ufw:2:1: DEFAULT_INPUT_POLICY=\"reject\"", diag.CodeError, true},
		{"unset policy", map[string]string{"etc/default/ufw": "IPV6=yes\nDEFAULT_INPUT_POLICY=DROP\nDEFAULT_OUTPUT_POLICY=ACCEPT\n"},
			"DEFAULT_FORWARD_POLICY is not set", diag.CodeError, true},
		{"disabled", map[string]string{"etc/ufw/ufw.conf": "ENABLED=no\n"}, "ufw.conf:1:1: warning: ufw is not enabled", diag.Semantics, false},
		{"missing after", map[string]string{"etc/ufw/after.rules": ""}, "after.rules: open", diag.CodeError, true},
		{"undeclared chain", map[string]string{"etc/ufw/before.rules": before + "*filter\n-A ufw-nope -j ACCEPT\nCOMMIT\n"}, "before.rules:9:4: chain \"ufw-nope\" does not exist", diag.CodeError, true},
		{"shell line", map[string]string{"etc/ufw/ufw.conf": "ENABLED=yes\n. /etc/other\n"}, "ufw.conf:2:1: warning: a line that is not a plain", diag.Script, false},
		{"modules", map[string]string{"etc/default/ufw": defaults + "IPT_MODULES=\"nf_conntrack_ftp\"\n"}, "loads the kernel modules", diag.Semantics, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, d := load(t, root(t, c.files))
			d.Sort()
			if len(d.Items) == 0 {
				t.Fatal("no diagnostic")
			}
			first := d.Items[0]
			if !strings.Contains(first.String(), c.want) || first.Code != c.code || d.HasErrors() != c.error {
				t.Errorf("got %v (code %s, errors %v), want %q", d.Err(), first.Code, d.HasErrors(), c.want)
				for _, it := range d.Items {
					t.Log(it.String())
				}
			}
		})
	}
}

func TestExecutableInitScript(t *testing.T) {
	dir := root(t, nil)
	p := filepath.Join(dir, "etc/ufw/after.init")
	if err := os.WriteFile(p, []byte("#!/bin/sh\niptables -A INPUT -j ACCEPT\n"), 0o750); err != nil {
		t.Fatal(err)
	}
	_, d := load(t, dir)
	if !d.HasErrors() || d.Errors()[0].Code != diag.Unsupported || d.Errors()[0].Pos.File != p {
		t.Errorf("an executable after.init must be an unsupported error at it: %v", d.Err())
	}
}

func TestLocateAndDetect(t *testing.T) {
	dir := root(t, nil)
	etc := filepath.Join(dir, "etc", "ufw")
	for _, in := range []string{dir, etc} {
		s, err := ufw.Locate(in)
		if err != nil || s.Etc != etc || s.Default != filepath.Join(dir, "etc", "default", "ufw") {
			t.Errorf("Locate(%s) = %+v, %v", in, s, err)
		}
		if f, why := translate.Detect(translate.Input{Name: in, IsDir: true}); f != translate.UFW {
			t.Errorf("Detect(%s) = %q (%s)", in, f, why)
		}
	}
	if _, err := ufw.Locate(filepath.Join(dir, "etc")); err == nil {
		t.Errorf("etc is not a ufw configuration")
	}
	bare := t.TempDir()
	os.WriteFile(filepath.Join(bare, "ufw.conf"), []byte(conf), 0o644)
	if _, err := ufw.Locate(bare); err == nil || !strings.Contains(err.Error(), "default/ufw is missing") {
		t.Errorf("a copy of /etc/ufw without its defaults: %v", err)
	}
	// Through translate.Load: a directory that is not ufw is refused.
	_, d := translate.Load([]translate.Input{{Name: bare + "/..", IsDir: true}}, translate.Options{})
	if !d.HasErrors() {
		t.Errorf("a directory that is no ufw configuration must be refused")
	}
}

// TestInstalled reads the installed configuration: the stock rules keep
// their lines in /etc/ufw.
func TestInstalled(t *testing.T) {
	if _, err := os.Stat("/etc/ufw/before.rules"); err != nil {
		testenv.Missing(t, "ufw is not installed (apt-get install ufw)")
	}
	rs := &ir.Ruleset{}
	d := ufw.Load(rs, ufw.Source{Etc: "/etc/ufw", Default: "/etc/default/ufw"}, ufw.Options{})
	if d.HasErrors() {
		t.Fatal(d.Err())
	}
	data, _ := os.ReadFile("/etc/ufw/before.rules")
	line := 0
	for i, l := range strings.Split(string(data), "\n") {
		if l == "-A ufw-before-input -i lo -j ACCEPT" {
			line = i + 1
		}
	}
	bi := rulesOf(t, rs, ir.IPv4, "ufw-before-input")
	if bi[0].Src.File != "/etc/ufw/before.rules" || bi[0].Src.Line != line {
		t.Errorf("first rule of ufw-before-input at %v, want /etc/ufw/before.rules:%d", bi[0].Src, line)
	}
}

func isReject(r *ir.Rule) bool {
	_, ok := r.Target.(*ir.Reject)
	return ok
}
