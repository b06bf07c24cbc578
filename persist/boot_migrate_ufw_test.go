package persist_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ruleshift/ruleshift/backends"
	"github.com/ruleshift/ruleshift/internal/bootroot"
	"github.com/ruleshift/ruleshift/internal/testenv"
)

// ufwCommands are what the admin of the ufw root typed: ufw itself
// writes user.rules and user6.rules, and enable sets ENABLED=yes.
var ufwCommands = []string{
	"ufw allow 22/tcp",
	"ufw deny 23",
	"ufw allow from 192.0.2.0/24 to any port 80 proto tcp",
	"ufw --force enable",
}

// ufwLoaded are lines ufw's rules put into the kernel at boot, per
// iptables-nft-save section.
var ufwLoaded = map[string][]string{
	"iptables-nft-save": {
		"-A ufw-user-input -p tcp -m tcp --dport 22 -j ACCEPT",
		"-A ufw-user-input -p udp -m udp --dport 23 -j DROP",
		"-A ufw-user-input -s 192.0.2.0/24 -p tcp -m tcp --dport 80 -j ACCEPT",
	},
	"ip6tables-nft-save": {
		"-A ufw6-user-input -p tcp -m tcp --dport 22 -j ACCEPT",
		"-A ufw6-user-input -p tcp -m tcp --dport 23 -j DROP",
	},
}

// TestBootMigrateUFW is the migration boot test of a Debian root with
// ufw active (installed from the package, its rules typed with the ufw
// command): booted, ufw's rules load; migrated offline and booted, the
// kernel holds ruleshift's nftables tables only, which behave like ufw's
// rules on real packets (ruleshift verify of the first boot's listing
// against the booted ruleset), ufw is off (ENABLED=no, ufw.service
// disabled), and the next boot is the same; after unpersist, /etc is as
// seeded and ufw's rules load again.
func TestBootMigrateUFW(t *testing.T) {
	requireBoot(t)
	bin := buildRuleshift(t)
	for _, rel := range []struct{ version, suite string }{{"12", "bookworm"}, {"13", "trixie"}} {
		t.Run("debian-"+rel.version+"/ufw", func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			root := filepath.Join(t.TempDir(), "root")
			tar := bootroot.TarballUFW(t, rel.suite)
			t.Logf("tarball in %v", time.Since(start).Round(time.Millisecond))
			unpack(t, tar, root)
			prepareRoot(t, root, bootCase{variant: "nft"})
			bootroot.UFW(t, root, ufwCommands...)
			t.Logf("root ready in %v", time.Since(start).Round(time.Millisecond))

			old := sections(bootDump(t, root))
			for section, lines := range ufwLoaded {
				for _, l := range lines {
					if !strings.Contains(old[section], l+"\n") {
						t.Errorf("ufw did not load %q at boot; %s:\n%s", l, section, old[section])
					}
				}
			}
			if t.Failed() {
				t.FailNow()
			}
			seeded := dumpTree(t, filepath.Join(root, "etc"))

			out, err := exec.Command(bin, "migrate", "--to", "nftables", "--root", root, "--probes", "500").CombinedOutput()
			if err != nil {
				t.Fatalf("migrate: %v\n%s", err, out)
			}
			if conf, _ := os.ReadFile(filepath.Join(root, "etc/ufw/ufw.conf")); !strings.Contains(string(conf), "\nENABLED=no\n") {
				t.Errorf("ufw.conf after the migration:\n%s", conf)
			}
			if _, err := os.Lstat(filepath.Join(root, "etc/systemd/system/multi-user.target.wants/ufw.service")); err == nil {
				t.Errorf("ufw.service is still enabled after the migration")
			}
			ruleset, err := os.ReadFile(filepath.Join(root, "etc/ruleshift/ruleset.nft"))
			if err != nil {
				t.Fatalf("migrate wrote no ruleset: %v\n%s", err, out)
			}
			want := expectedDump(t, root, backends.Files{{Role: backends.RoleRules, Name: "ruleset.nft", Loader: []string{"nft", "-f"}, Text: string(ruleset)}})
			got := bootDump(t, root)
			compareDumps(t, want, got, "nftables")
			onlyNftables(t, got)
			verifyUFW(t, bin, old, sections(got)["nft"])
			compareDumps(t, got, bootDump(t, root), "nftables")

			if out, err := exec.Command(bin, "unpersist", "--root", root).CombinedOutput(); err != nil {
				t.Fatalf("unpersist: %v\n%s", err, out)
			}
			if got := dumpTree(t, filepath.Join(root, "etc")); got != seeded {
				t.Errorf("unpersist did not restore /etc:\n%s", lineDiff(seeded, got))
			}
			back := sections(bootDump(t, root))
			for _, s := range []string{"iptables-nft-save", "ip6tables-nft-save"} {
				if w, g := testenv.StripSave(old[s]), testenv.StripSave(back[s]); w != g {
					t.Errorf("%s after unpersist differs from ufw's first boot:\n%s", s, lineDiff(w, g))
				}
			}
			t.Logf("ufw migration boot test took %v", time.Since(start).Round(time.Millisecond))
		})
	}
}

// onlyNftables checks that a boot's kernel holds no iptables table of
// either variant, and no nftables table but ruleshift's and the stock
// nftables.conf's empty inet filter.
func onlyNftables(t *testing.T, dump string) {
	t.Helper()
	s := sections(dump)
	for _, name := range []string{"iptables-legacy-save", "ip6tables-legacy-save", "iptables-nft-save", "ip6tables-nft-save"} {
		if strings.Contains(s[name], "\n*") || strings.HasPrefix(s[name], "*") {
			t.Errorf("%s lists tables after the migration:\n%s", name, s[name])
		}
	}
	// ruleshift's tables hold ufw's rules under ufw's chain names; no
	// other table may.
	var others string
	own := false
	for _, l := range strings.SplitAfter(s["nft"], "\n") {
		if strings.HasPrefix(l, "table ") {
			own = strings.Contains(l, " ruleshift_")
		}
		if !own {
			others += l
		}
	}
	if strings.Contains(others, "ufw") {
		t.Errorf("ufw's chains are in the kernel outside ruleshift's tables after the migration:\n%s", s["nft"])
	}
	for _, l := range strings.Split(others, "\n") {
		if strings.HasPrefix(l, "table ") && l != "table inet filter {" {
			t.Errorf("%s after the migration:\n%s", strings.TrimSuffix(l, " {"), s["nft"])
		}
	}
}

// verifyUFW runs ruleshift verify, per family, of what ufw loaded at
// the first boot (its iptables-nft listing) against ruleshift's tables
// of the migrated boot.
func verifyUFW(t *testing.T, bin string, old map[string]string, nft string) {
	t.Helper()
	dir := t.TempDir()
	newFile := filepath.Join(dir, "migrated.nft")
	if err := os.WriteFile(newFile, []byte(ownTables(nft)), 0o644); err != nil {
		t.Fatal(err)
	}
	for section, family := range map[string]string{"iptables-nft-save": "ipv4", "ip6tables-nft-save": "ipv6"} {
		oldFile := filepath.Join(dir, "ufw."+family)
		if err := os.WriteFile(oldFile, []byte(old[section]), 0o644); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(bin, "verify", "--old-backend", "iptables-nft", "--family", family, "--probes", "1000", oldFile, newFile).CombinedOutput()
		if err != nil {
			t.Errorf("verify of ufw's %s rules against the migrated boot: %v\n%s", family, err, out)
		}
	}
}
