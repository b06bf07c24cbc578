package persist_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestBootHostSets persists examples/egress.toml for nftables into a
// Debian 12 root, then stands in for a later refresh by changing the
// cached address of one host. Booted with a private network and no DNS,
// the machine loads the cached addresses (not the ones of persist time)
// into the host-name sets, and the refresh timer is enabled.
func TestBootHostSets(t *testing.T) {
	requireBoot(t)
	bin := buildRuleshift(t)
	tar := rootfsTarball(t, "bookworm", false)
	root := filepath.Join(t.TempDir(), "root")
	unpack(t, tar, root)
	prepareRoot(t, root, bootCase{variant: "nft"})
	args := []string{"persist", "--root", root, "--backend", "nftables", "--hosts", "../examples/hosts", "../examples/egress.toml"}
	out, err := exec.Command(bin, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("ruleshift %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	if !strings.Contains(string(out), "enabled ruleshift-refresh.timer") {
		t.Errorf("persist did not enable the refresh timer:\n%s", out)
	}
	cache := filepath.Join(root, "var/lib/ruleshift/hosts/sets.nft")
	data, err := os.ReadFile(cache)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "192.0.2.11") {
		t.Fatalf("the cache lacks security.ubuntu.com's address:\n%s", data)
	}
	if err := os.WriteFile(cache, []byte(strings.ReplaceAll(string(data), "192.0.2.11", "192.0.2.99")), 0o644); err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(root, "etc/systemd/system/timers.target.wants/ruleshift-refresh.timer")
	if _, err := os.Lstat(link); err != nil {
		t.Errorf("timer not enabled: %v", err)
	}
	verifyUnit(t, root, "/etc/systemd/system/ruleshift-refresh.timer")

	nft := sections(bootDump(t, root))["nft"]
	for _, want := range []string{"set mirrors_v4", "192.0.2.99", "ip daddr @mirrors_v4 tcp dport 80", "2001:db8::10"} {
		if !strings.Contains(nft, want) {
			t.Errorf("after boot the ruleset lacks %q:\n%s", want, nft)
		}
	}
	if strings.Contains(nft, "192.0.2.11") {
		t.Errorf("the persist-time address stayed: the cache was not loaded at boot:\n%s", nft)
	}
}
