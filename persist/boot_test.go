package persist_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/backends"
	"github.com/ruleshift/ruleshift/internal/bootroot"
	"github.com/ruleshift/ruleshift/internal/testenv"
	"github.com/ruleshift/ruleshift/persist"
)

// The boot tests install rules with `ruleshift persist --root` into a
// copy of a real Debian root filesystem, boot it with systemd-nspawn in a
// private network namespace, and compare what the kernel holds after boot
// with the same rendered rules loaded by the same tools into a scratch
// namespace. They run with RULESHIFT_BOOT_TESTS=1 or under CI=true.

type bootCase struct {
	name       string
	persistent bool   // the root has iptables-persistent
	variant    string // what update-alternatives points iptables to
	ifupdown   bool   // /etc/network/interfaces has a lo stanza
	args       []string
	method     string // the method persist must choose
	backend    string
	inputs     []string // default egress.v4 and egress.v6
}

func bootCases(version string) []bootCase {
	return []bootCase{
		// The how-to's flow: --distro debian:N with ifupdown gives pre-up.
		{name: "ifupdown-nft-howto", variant: "nft", ifupdown: true, args: []string{"--distro", "debian:" + version}, method: "ifupdown", backend: "iptables-nft", inputs: howto},
		{name: "ifupdown-legacy", variant: "legacy", ifupdown: true, args: []string{"--method", "ifupdown"}, method: "ifupdown", backend: "iptables-legacy"},
		{name: "netfilter-persistent-nft", persistent: true, variant: "nft", method: "netfilter-persistent", backend: "iptables-nft"},
		{name: "netfilter-persistent-legacy", persistent: true, variant: "legacy", ifupdown: true, method: "netfilter-persistent", backend: "iptables-legacy"},
		{name: "nftables", variant: "legacy", args: []string{"--backend", "nftables"}, method: "nftables", backend: "nftables"},
		{name: "systemd-nft", variant: "legacy", args: []string{"--method", "systemd", "--backend", "iptables-nft"}, method: "systemd", backend: "iptables-nft"},
		{name: "systemd-legacy", variant: "nft", ifupdown: true, args: []string{"--method", "systemd", "--backend", "iptables-legacy"}, method: "systemd", backend: "iptables-legacy"},
		{name: "systemd-nftables", variant: "nft", args: []string{"--method", "systemd", "--backend", "nftables"}, method: "systemd", backend: "nftables"},
	}
}

func requireBoot(t *testing.T) {
	t.Helper()
	bootroot.Require(t)
}

func TestBoot(t *testing.T) {
	requireBoot(t)
	bin := buildRuleshift(t)
	rs := loadInputs(t, nil)
	for _, rel := range []struct{ version, suite string }{{"12", "bookworm"}, {"13", "trixie"}} {
		t.Run("debian-"+rel.version, func(t *testing.T) {
			for _, c := range bootCases(rel.version) {
				t.Run(c.name, func(t *testing.T) {
					t.Parallel()
					tar := rootfsTarball(t, rel.suite, c.persistent)
					root := filepath.Join(t.TempDir(), "root")
					unpack(t, tar, root)
					prepareRoot(t, root, c)
					out := persistCLI(t, bin, root, c.args, c.inputs)
					if !strings.Contains(out, "method: "+c.method+":") || !strings.Contains(out, "backend: "+c.backend+":") {
						t.Fatalf("persist chose otherwise than %s with %s:\n%s", c.method, c.backend, out)
					}
					if c.method == "systemd" && rel.version == "12" {
						// The host's systemd-analyze (Debian 12 here and in
						// CI) reads a newer root's own units with warnings.
						verifyUnit(t, root, "/etc/systemd/system/ruleshift.service")
					}
					rendered, diags := persist.Render(rs, c.backend)
					if diags.HasErrors() {
						t.Fatal(diags.Err())
					}
					want := expectedDump(t, root, rendered)
					checkBoot(t, root, want, c.backend)

					// A second persist changes nothing, and a reboot loads the same.
					before := dumpTree(t, filepath.Join(root, "etc"))
					again := persistCLI(t, bin, root, c.args, c.inputs)
					if !strings.Contains(again, "nothing to change") || dumpTree(t, filepath.Join(root, "etc")) != before {
						t.Errorf("second persist changed something:\n%s", again)
					}
					checkBoot(t, root, want, c.backend)
				})
			}
		})
	}
}

// buildRuleshift builds the binary the way a user gets it.
func buildRuleshift(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "ruleshift")
	cmd := exec.Command("go", "build", "-o", bin, "../cmd/ruleshift")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func persistCLI(t *testing.T, bin, root string, args, inputs []string) string {
	t.Helper()
	full := append([]string{"persist", "--root", root}, args...)
	if inputs == nil {
		inputs = []string{"egress.v4", "egress.v6"}
	}
	for _, in := range inputs {
		full = append(full, filepath.Join(testdata, in))
	}
	out, err := exec.Command(bin, full...).CombinedOutput()
	if err != nil {
		t.Fatalf("ruleshift %s: %v\n%s", strings.Join(full, " "), err, out)
	}
	return string(out)
}

// interfaces is a d-i style file with a line of the admin's own.
const interfaces = `# This file describes the network interfaces available on your system
# and how to activate them. For more information, see interfaces(5).

source /etc/network/interfaces.d/*

# The loopback network interface
auto lo
iface lo inet loopback
	# the admin's own line
	post-up true
`

func prepareRoot(t *testing.T, root string, c bootCase) {
	t.Helper()
	for _, tool := range []string{"iptables", "ip6tables"} {
		// update-alternatives only changes links in the root.
		run := exec.Command("chroot", root, "update-alternatives", "--set", tool, "/usr/sbin/"+tool+"-"+c.variant)
		if out, err := run.CombinedOutput(); err != nil {
			t.Fatalf("update-alternatives: %v\n%s", err, out)
		}
	}
	bootroot.InstallDump(t, root)
	if c.ifupdown {
		if err := os.WriteFile(filepath.Join(root, "etc/network/interfaces"), []byte(interfaces), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// expectedDump loads the rendered rules with the root's own tools into a
// scratch network namespace and dumps it as the booted container will.
// The tools run chrooted with the root's /proc mounted in the mount
// namespace ip netns exec makes, so iptables-legacy-save sees the tables;
// the mount goes away with it.
func expectedDump(t *testing.T, root string, r backends.Files) string {
	t.Helper()
	ns := testenv.NewNetns(t, "rsboot")
	script := "set -e\nmount -t proc proc \"$1/proc\"\n"
	write := func(file, text string, loader ...string) {
		if err := os.WriteFile(filepath.Join(root, "tmp", file), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Remove(filepath.Join(root, "tmp", file)) })
		script += "chroot \"$1\" " + strings.Join(loader, " ") + " /tmp/" + file + "\n"
	}
	for _, f := range r.Of(backends.RoleRules) {
		write("rs-expected-"+f.Name, f.Text, f.Loader...)
	}
	script += "chroot \"$1\" /usr/local/sbin/rs-dump\n"
	out, err := ns.Run(nil, "sh", "-c", script, "sh", root)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// checkBoot boots the root and compares the dump with want.
func checkBoot(t *testing.T, root, want, backend string) {
	t.Helper()
	compareDumps(t, want, bootDump(t, root), backend)
}

// bootDump boots the root and returns what the dump unit printed.
func bootDump(t *testing.T, root string) string {
	t.Helper()
	return bootroot.Boot(t, root)
}

// compareDumps compares every iptables section, so rules in the wrong
// variant show as a difference too, and backend's own nft tables; the
// rest of the nft section is
// not compared: the stock /etc/nftables.conf adds a table inet filter of
// its own on the nftables method.
func compareDumps(t *testing.T, want, got, backend string) {
	t.Helper()
	w, g := sections(want), sections(got)
	for _, name := range []string{"iptables-legacy-save", "ip6tables-legacy-save", "iptables-nft-save", "ip6tables-nft-save"} {
		ws, gs := testenv.StripSave(w[name]), testenv.StripSave(g[name])
		if ws != gs {
			t.Errorf("%s after boot differs from the rendered rules:\n%s", name, persist.UnifiedDiff("rendered", "booted", []byte(ws), []byte(gs)))
		}
	}
	wt, gt := ownTables(w["nft"]), ownTables(g["nft"])
	if wt != gt {
		t.Errorf("ruleshift's nft tables after boot differ:\n%s", persist.UnifiedDiff("rendered", "booted", []byte(wt), []byte(gt)))
	}
	if backend == "nftables" && wt == "" {
		t.Errorf("no ruleshift table in the expected dump:\n%s", want)
	}
}

func sections(dump string) map[string]string { return bootroot.Sections(dump) }

var counters = regexp.MustCompile(`counter packets \d+ bytes \d+`)

// ownTables returns the ruleshift_* tables of an nft listing, counters
// zeroed.
func ownTables(listing string) string {
	var b strings.Builder
	in := false
	for _, l := range strings.SplitAfter(listing, "\n") {
		if strings.HasPrefix(l, "table ") {
			in = strings.Contains(l, " ruleshift_")
		}
		if in {
			b.WriteString(counters.ReplaceAllString(l, "counter packets 0 bytes 0"))
		}
		if l == "}\n" {
			in = false
		}
	}
	return b.String()
}
