package script_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/ruleshift/ruleshift/internal/testenv"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// The kernel oracle runs each test script for real in a fresh network
// namespace, with iptables pointing at iptables-legacy, and compares what
// the kernel then holds with ruleshift's translation with --as-run loaded
// into another fresh namespace: refused commands and all, the two must
// agree. Only network namespaces the test creates are touched.

// oracleTools are the programs the oracle needs.
var oracleTools = []string{"ip", "unshare", "mount", "sh", "bash",
	"iptables-legacy", "ip6tables-legacy", "iptables-legacy-save", "ip6tables-legacy-save",
	"iptables-legacy-restore", "ip6tables-legacy-restore"}

// stubs are commands a test script may call that would reach outside the
// namespace (packages, downloads, persistence, modules, sysctls). They do
// nothing; they come first on PATH.
var stubs = []string{"apt-get", "apt", "yum", "dnf", "curl", "wget", "modprobe", "sysctl", "systemctl",
	"service", "netfilter-persistent", "iptables-apply", "ipset", "nft", "ufw", "logger", "tee", "ebtables"}

// legacyNames maps each iptables tool name to the legacy tool it runs.
var legacyNames = map[string]string{
	"iptables": "iptables-legacy", "iptables-nft": "iptables-legacy", "iptables-legacy": "iptables-legacy",
	"ip6tables": "ip6tables-legacy", "ip6tables-nft": "ip6tables-legacy", "ip6tables-legacy": "ip6tables-legacy",
	"iptables-restore": "iptables-legacy-restore", "iptables-nft-restore": "iptables-legacy-restore",
	"iptables-legacy-restore": "iptables-legacy-restore",
	"ip6tables-restore":       "ip6tables-legacy-restore", "ip6tables-nft-restore": "ip6tables-legacy-restore",
	"ip6tables-legacy-restore": "ip6tables-legacy-restore",
	"iptables-save":            "iptables-legacy-save", "iptables-nft-save": "iptables-legacy-save",
	"ip6tables-save": "ip6tables-legacy-save", "ip6tables-nft-save": "ip6tables-legacy-save",
}

// runScript is run inside the namespace under `unshare -m`: in that
// private mount namespace /usr/sbin (and so /sbin) becomes a tmpfs of
// links to the real programs, except that every iptables name runs the
// legacy tool; /etc/hosts is the test's hosts file. The host's mounts and
// files are not changed.
const runScript = `set -e
T=$1 DIR=$2 SCRIPT=$3 SHELLPROG=$4
mount --bind /usr/sbin "$T/real"
mount -t tmpfs ruleshift-test /usr/sbin
for f in "$T"/real/*; do ln -s "$f" "/usr/sbin/${f##*/}"; done
for f in "$T"/wrap/*; do rm -f "/usr/sbin/${f##*/}"; cp "$f" /usr/sbin/; done
mount --bind "$T/hosts" /etc/hosts
cd "$DIR"
echo "` + setupDone + `" >&2
exec env -i PATH="$T/stub:/usr/sbin:/usr/bin" HOME=/root LANG=C.UTF-8 "$SHELLPROG" "$SCRIPT"
`

// oracleDir prepares the wrappers, stubs and hosts file.
func oracleDir(t *testing.T) string {
	t.Helper()
	T := t.TempDir()
	for _, d := range []string{"real", "wrap", "stub"} {
		if err := os.Mkdir(filepath.Join(T, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(p, text string) {
		if err := os.WriteFile(p, []byte(text), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, legacy := range legacyNames {
		write(filepath.Join(T, "wrap", name), fmt.Sprintf("#!/bin/sh\nexec %s/real/%s \"$@\"\n", T, legacy))
	}
	for _, name := range stubs {
		write(filepath.Join(T, "stub", name), "#!/bin/sh\nexit 0\n")
	}
	// sudo runs what follows its options; -E, -u root and the like do not
	// matter to a root shell.
	write(filepath.Join(T, "stub", "sudo"), `#!/bin/sh
while [ $# -gt 0 ]; do
	case "$1" in
	-u|-g|-p|-C|-h|-r|-t|-U|-D|-R|-T) shift 2 ;;
	--) shift; break ;;
	-*) shift ;;
	*) break ;;
	esac
done
exec "$@"
`)
	write(filepath.Join(T, "run.sh"), runScript)
	hostsData, err := os.ReadFile(filepath.Join(scriptsDir, "hosts"))
	if err != nil {
		t.Fatal(err)
	}
	write(filepath.Join(T, "hosts"), string(hostsData))
	return T
}

// listing dumps both families of a namespace, normalised: no comments or
// counters, tables in name order.
func listing(t *testing.T, ns *testenv.Netns) [2]string {
	t.Helper()
	var out [2]string
	for i, tool := range []string{"iptables-legacy-save", "ip6tables-legacy-save"} {
		text, err := ns.Run(nil, tool)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = sortTables(testenv.StripSave(text))
	}
	return out
}

// sortTables orders the *table blocks of a stripped listing by name: the
// kernel lists tables in the order they were first used, which a script
// and a restore file need not share.
func sortTables(s string) string {
	var blocks []string
	cur := ""
	for _, line := range strings.SplitAfter(s, "\n") {
		cur += line
		if strings.TrimSpace(line) == "COMMIT" {
			blocks = append(blocks, cur)
			cur = ""
		}
	}
	sort.Strings(blocks)
	return strings.Join(blocks, "") + cur
}

// setupDone is what run.sh prints once the namespace is ready, so that a
// failing setup is told from a script that exits with a failure.
const setupDone = "ruleshift-oracle: setup done"

func TestKernelOracle(t *testing.T) {
	testenv.RequireRoot(t)
	testenv.RequireBinary(t, oracleTools...)
	T := oracleDir(t)
	scripts := testScripts(t)
	same, compared := 0, 0
	defer func() {
		t.Logf("%d of %d test scripts leave the same ruleset run for real and translated with --as-run (%d cannot be run for real)", same, compared, len(scripts)-compared)
	}()
	for _, path := range scripts {
		src, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimSuffix(filepath.Base(path), ".sh")
		t.Run(name, func(t *testing.T) {
			if directive(src, "no-oracle") {
				t.Skip("script marked no-oracle: it cannot be run for real")
			}
			compared++
			defer func() {
				if !t.Failed() {
					same++
				}
			}()
			kernel := runForReal(t, T, path, src)
			translated := loadTranslation(t, path)
			if testing.Verbose() {
				t.Logf("kernel after the script:\n%s%s", kernel[0], kernel[1])
			}
			for i, fam := range []string{"IPv4", "IPv6"} {
				if kernel[i] != translated[i] {
					t.Errorf("%s: the kernel after running the script and after loading the translation differ\n--- script run for real\n%s--- translation loaded\n%s", fam, kernel[i], translated[i])
				}
			}
		})
	}
}

// runForReal runs the script in a fresh namespace and lists the result.
func runForReal(t *testing.T, T, path string, src []byte) [2]string {
	t.Helper()
	ns := testenv.NewNetns(t, "rsS")
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	shell := "sh"
	if first, _, _ := strings.Cut(string(src), "\n"); strings.Contains(first, "bash") {
		shell = "bash"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "ip", "netns", "exec", ns.Name, "unshare", "-m", "--propagation", "private",
		"sh", filepath.Join(T, "run.sh"), T, filepath.Dir(abs), abs, shell)
	var stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stderr, &stderr
	err = cmd.Run()
	if ctx.Err() != nil || !strings.Contains(stderr.String(), setupDone) {
		t.Fatalf("running %s for real failed: %v\n%s", path, err, stderr.String())
	}
	// A script may fail, or stop under set -e, as run: the comparison is
	// about what it leaves.
	if err != nil && testing.Verbose() {
		t.Logf("the script ends with %v:\n%s", err, stderr.String())
	}
	return listing(t, ns)
}

// loadTranslation translates the script, loads the iptables-legacy
// output into a fresh namespace and lists the result.
func loadTranslation(t *testing.T, path string) [2]string {
	t.Helper()
	rs, d := translate(t, path, true)
	if d.HasErrors() {
		t.Fatalf("translation failed:\n%v", d.Err())
	}
	ns := testenv.NewNetns(t, "rsS")
	for _, f := range []ir.Family{ir.IPv4, ir.IPv6} {
		text, rd := render(rs, f)
		if rd.HasErrors() {
			t.Fatalf("rendering failed:\n%v", rd.Err())
		}
		if !strings.Contains(text, "*") {
			continue
		}
		tool := map[ir.Family]string{ir.IPv4: "iptables-legacy-restore", ir.IPv6: "ip6tables-legacy-restore"}[f]
		if _, err := ns.Run([]byte(text), tool); err != nil {
			t.Fatalf("%v\ninput:\n%s", err, text)
		}
	}
	return listing(t, ns)
}
