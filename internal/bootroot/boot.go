package bootroot

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// BootTimeout bounds every boot; one takes about a second here.
const BootTimeout = 3 * time.Minute

// DumpScript prints what the kernel holds, one section per tool.
const DumpScript = `#!/bin/sh
for t in iptables-legacy-save ip6tables-legacy-save iptables-nft-save ip6tables-nft-save; do
	echo "### $t"
	$t 2>&1
done
echo "### nft"
nft list ruleset 2>&1
`

// DumpUnit runs after every loader and powers the container off.
const DumpUnit = `[Unit]
Description=ruleshift boot test: dump the ruleset, then power off
After=network.target networking.service ruleshift.service netfilter-persistent.service nftables.service

[Service]
Type=oneshot
ExecStart=/bin/sh -c '/usr/local/sbin/rs-dump > /rs-dump.txt 2>&1; systemctl --failed --no-legend --plain > /rs-failed.txt 2>&1; journalctl -b --no-pager -o short-monotonic > /rs-journal.txt 2>&1; systemctl --no-block poweroff'

[Install]
WantedBy=multi-user.target
`

// InstallDump puts the dump script and its unit into root, enabled.
func InstallDump(t testing.TB, root string) {
	t.Helper()
	for name, text := range map[string]string{"usr/local/sbin/rs-dump": DumpScript, "etc/systemd/system/rs-dump.service": DumpUnit} {
		mode := os.FileMode(0o644)
		if strings.Contains(name, "/sbin/") {
			mode = 0o755
		}
		if err := os.WriteFile(filepath.Join(root, name), []byte(text), mode); err != nil {
			t.Fatal(err)
		}
	}
	link := filepath.Join(root, "etc/systemd/system/multi-user.target.wants/rs-dump.service")
	if err := os.Symlink("/etc/systemd/system/rs-dump.service", link); err != nil {
		t.Fatal(err)
	}
}

// Boot boots root (with InstallDump's unit), checks that no unit failed,
// and returns what the dump unit printed. Boots are serialised, across
// test processes too: with --keep-unit and --register=no every
// container's systemd builds its cgroup tree (system.slice/…) inside the
// test's own cgroup, so two containers at once remove each other's unit
// cgroups ("Failed to spawn executor: No such file or directory"). A boot
// takes about a second.
func Boot(t testing.TB, root string) string {
	t.Helper()
	defer lock(t, "boot.lock")()
	os.Remove(filepath.Join(root, "rs-dump.txt"))
	ctx, cancel := context.WithTimeout(context.Background(), BootTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "systemd-nspawn", "--boot", "--private-network", "--register=no", "--keep-unit", "--quiet", "-D", root)
	// SIGTERM asks nspawn to shut the container down cleanly.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 20 * time.Second
	start := time.Now()
	out, err := cmd.CombinedOutput()
	if ctx.Err() != nil {
		t.Fatalf("boot timed out after %v:\n%s", BootTimeout, Tail(out))
	}
	if err != nil {
		t.Fatalf("systemd-nspawn: %v\n%s", err, Tail(out))
	}
	t.Logf("booted in %v", time.Since(start).Round(time.Millisecond))
	got, err := os.ReadFile(filepath.Join(root, "rs-dump.txt"))
	if err != nil {
		t.Fatalf("the dump unit did not run: %v\n%s", err, Tail(out))
	}
	if failed, _ := os.ReadFile(filepath.Join(root, "rs-failed.txt")); strings.TrimSpace(string(failed)) != "" {
		journal, _ := os.ReadFile(filepath.Join(root, "rs-journal.txt"))
		t.Errorf("units failed at boot:\n%s\njournal:\n%s", failed, Tail(journal))
	}
	return string(got)
}

// Sections cuts a dump into its tools' sections.
func Sections(dump string) map[string]string {
	out := map[string]string{}
	name := ""
	for _, l := range strings.SplitAfter(dump, "\n") {
		if n, ok := strings.CutPrefix(l, "### "); ok {
			name = strings.TrimSpace(n)
			continue
		}
		out[name] += l
	}
	return out
}
