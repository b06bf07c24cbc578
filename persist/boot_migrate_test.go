package persist_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/ruleshift/ruleshift/persist"
)

// The migration boot tests: a Debian root whose old iptables rules load
// at boot one way or another is migrated offline (ruleshift migrate --to
// nftables --root), then booted: the kernel holds ruleshift's nftables
// tables only, the same twice. ruleshift unpersist --root then puts the
// old boot path back, and the next boot loads the old rules again.

type migrateBootCase struct {
	name       string
	persistent bool   // the root has iptables-persistent, whose rules.v4|v6 hold the old rules
	variant    string // what iptables-restore is there
	preUp      bool   // a pre-up line of the lo stanza restores the old rules
	// gone are files and links the migration must take away.
	gone []string
}

// preUpInterfaces restores the old rules from the lo stanza.
const preUpInterfaces = `# The loopback network interface
auto lo
iface lo inet loopback
	pre-up iptables-restore < /etc/iptables.up.rules
	pre-up ip6tables-restore < /etc/ip6tables.up.rules
`

var migrateBootCases = []migrateBootCase{
	{name: "netfilter-persistent-legacy", persistent: true, variant: "legacy",
		gone: []string{"etc/iptables/rules.v4", "etc/systemd/system/multi-user.target.wants/netfilter-persistent.service"}},
	{name: "netfilter-persistent-nft", persistent: true, variant: "nft",
		gone: []string{"etc/iptables/rules.v6", "etc/systemd/system/multi-user.target.wants/netfilter-persistent.service"}},
	{name: "ifupdown-pre-up", variant: "legacy", preUp: true, gone: []string{"etc/iptables.up.rules"}},
}

func TestBootMigrate(t *testing.T) {
	requireBoot(t)
	bin := buildRuleshift(t)
	rs := loadInputs(t, nil)
	egress := map[string][]byte{}
	for _, f := range []string{"egress.v4", "egress.v6"} {
		data, err := os.ReadFile(filepath.Join(testdata, f))
		if err != nil {
			t.Fatal(err)
		}
		egress[f] = data
	}
	for _, rel := range []struct{ version, suite string }{{"12", "bookworm"}, {"13", "trixie"}} {
		for _, c := range migrateBootCases {
			t.Run("debian-"+rel.version+"/"+c.name, func(t *testing.T) {
				t.Parallel()
				root := filepath.Join(t.TempDir(), "root")
				unpack(t, rootfsTarball(t, rel.suite, c.persistent), root)
				prepareRoot(t, root, bootCase{variant: c.variant})
				files := map[string][]byte{}
				if c.persistent {
					files["etc/iptables/rules.v4"], files["etc/iptables/rules.v6"] = egress["egress.v4"], egress["egress.v6"]
				}
				if c.preUp {
					files["etc/iptables.up.rules"], files["etc/ip6tables.up.rules"] = egress["egress.v4"], egress["egress.v6"]
					files["etc/network/interfaces"] = []byte(preUpInterfaces)
				}
				for name, data := range files {
					if err := os.WriteFile(filepath.Join(root, name), data, 0o640); err != nil {
						t.Fatal(err)
					}
				}
				oldBackend := "iptables-" + c.variant
				old, diags := persist.Render(rs, oldBackend)
				if diags.HasErrors() {
					t.Fatal(diags.Err())
				}
				wantOld := expectedDump(t, root, old)
				checkBoot(t, root, wantOld, oldBackend)
				seeded := dumpTree(t, filepath.Join(root, "etc"))

				out, err := exec.Command(bin, "migrate", "--to", "nftables", "--root", root, "--probes", "500").CombinedOutput()
				if err != nil {
					t.Fatalf("migrate: %v\n%s", err, out)
				}
				for _, g := range c.gone {
					if _, err := os.Lstat(filepath.Join(root, g)); err == nil {
						t.Errorf("%s is still there after the migration", g)
					}
				}
				newRules, diags := persist.Render(rs, "nftables")
				if diags.HasErrors() {
					t.Fatal(diags.Err())
				}
				want := expectedDump(t, root, newRules)
				checkBoot(t, root, want, "nftables")
				checkBoot(t, root, want, "nftables")

				if out, err := exec.Command(bin, "unpersist", "--root", root).CombinedOutput(); err != nil {
					t.Fatalf("unpersist: %v\n%s", err, out)
				}
				if got := dumpTree(t, filepath.Join(root, "etc")); got != seeded {
					t.Errorf("unpersist did not restore /etc:\n%s", lineDiff(seeded, got))
				}
				checkBoot(t, root, wantOld, oldBackend)
			})
		}
	}
}
