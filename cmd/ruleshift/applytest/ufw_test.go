package applytest

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/internal/testenv"
	"github.com/ruleshift/ruleshift/internal/ufwenv"
)

// The ufw tests run ruleshift as on a ufw machine, but in a namespace of
// their own: a network namespace, and a private mount namespace in which
// copies of /etc/ufw and /etc/default/ufw are mounted over the host's
// (the recipe of internal/ufwenv). apply, its rollback watcher and ufw
// itself see only the copies.

const ufwGood = `*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -p tcp --dport 22 -j ACCEPT
-A INPUT -p udp --dport 53 -j ACCEPT
COMMIT
`

var ufwOther = strings.Replace(ufwGood, "--dport 22", "--dport 2222", 1)

// ufwRoot copies the host's ufw files into a root with ENABLED=yes and no
// kernel modules to load. /etc/default is copied whole: apply replaces
// /etc/default/ufw by a rename, which a file mounted over cannot take.
func ufwRoot(t *testing.T) string {
	t.Helper()
	testenv.RequireRoot(t)
	if why := ufwenv.Available(); why != "" {
		testenv.Missing(t, "%s", why)
	}
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "etc"), 0o755)
	for _, d := range []string{"ufw", "default"} {
		if out, err := exec.Command("cp", "-a", "/etc/"+d, filepath.Join(root, "etc", d)).CombinedOutput(); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
	}
	def, _ := os.ReadFile("/etc/default/ufw")
	os.WriteFile(filepath.Join(root, "etc/default/ufw"), []byte(ufwenv.SetKey(string(def), "IPT_MODULES", `""`)), 0o644)
	conf, _ := os.ReadFile(filepath.Join(root, "etc/ufw/ufw.conf"))
	os.WriteFile(filepath.Join(root, "etc/ufw/ufw.conf"), []byte(ufwenv.SetKey(string(conf), "ENABLED", "yes")), 0o644)
	return root
}

// inUFW runs a shell script in ns with root's ufw files mounted; $RS is
// ruleshift. It returns the combined output and the exit status.
func inUFW(t *testing.T, ns *testenv.Netns, root, script string) (string, int) {
	t.Helper()
	pre := `mount --bind "$ROOT/etc/ufw" /etc/ufw && mount --bind "$ROOT/etc/default" /etc/default && mount -t tmpfs rs-ufw /run || exit 90
ip link set lo up
`
	cmd := exec.Command("ip", "netns", "exec", ns.Name, "unshare", "--mount", "--propagation", "private", "sh", "-c", pre+script)
	cmd.Env = append(os.Environ(), "ROOT="+root, "RS="+bin)
	out, err := cmd.CombinedOutput()
	code := 0
	if x, ok := err.(*exec.ExitError); ok {
		code = x.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return string(out), code
}

var userInput = regexp.MustCompile(`(?m)^-A ufw-user-input .*$`)

func userRules(t *testing.T, ns *testenv.Netns) string {
	t.Helper()
	out, err := ns.Run(nil, "iptables-save", "-t", "filter")
	if err != nil {
		t.Fatal(err)
	}
	return strings.Join(userInput.FindAllString(out, -1), "\n")
}

// TestUFWApplyAuto: where ufw is active, apply --backend auto chooses it,
// says why and that its reload is not atomic, and ufw runs the rules.
func TestUFWApplyAuto(t *testing.T) {
	root := ufwRoot(t)
	ns := testenv.NewNetns(t, "hAu")
	g := writeFile(t, "good.v4", ufwGood)
	out, code := inUFW(t, ns, root, ufwenv.Init+" start >/dev/null && \"$RS\" apply --backend auto "+g)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	for _, want := range []string{"backend: ufw (ufw is active", "note: a ufw reload is not atomic", "ufw reloaded"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if got := userRules(t, ns); !strings.Contains(got, "--dport 22 -j ACCEPT") || !strings.Contains(got, "--dport 53 -j ACCEPT") {
		t.Errorf("ufw-user-input:\n%s", got)
	}
	if user, _ := os.ReadFile(filepath.Join(root, "etc/ufw/user.rules")); !strings.Contains(string(user), "### tuple ### allow tcp 22 0.0.0.0/0 any 0.0.0.0/0 in") {
		t.Errorf("user.rules:\n%s", user)
	}
}

// TestUFWConfirmRollback: apply --backend ufw --confirm 2s without a
// confirmation puts ufw's previous files back and reloads them.
func TestUFWConfirmRollback(t *testing.T) {
	root := ufwRoot(t)
	ns := testenv.NewNetns(t, "hAr")
	g, o := writeFile(t, "good.v4", ufwGood), writeFile(t, "other.v4", ufwOther)
	out, code := inUFW(t, ns, root, ufwenv.Init+" start >/dev/null && \"$RS\" apply --backend ufw "+g)
	if code != 0 {
		t.Fatalf("exit %d:\n%s", code, out)
	}
	before := userRules(t, ns)
	files := map[string]string{}
	for _, n := range []string{"etc/ufw/user.rules", "etc/ufw/before.rules", "etc/default/ufw"} {
		b, _ := os.ReadFile(filepath.Join(root, n))
		files[n] = string(b)
	}
	out, code = inUFW(t, ns, root, "\"$RS\" apply --backend ufw --confirm 2s "+o+" </dev/null")
	if code != 4 || !strings.Contains(out, "previous ruleset was restored") {
		t.Errorf("exit %d:\n%s", code, out)
	}
	if after := userRules(t, ns); after != before {
		t.Errorf("ufw's rules were not rolled back:\n--- before\n%s\n--- after\n%s", before, after)
	}
	for n, want := range files {
		if got, _ := os.ReadFile(filepath.Join(root, n)); string(got) != want {
			t.Errorf("%s was not put back:\n%s", n, got)
		}
	}
}
