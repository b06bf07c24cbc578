// Package bootroot gives the boot tests (persist's, the Ansible module's)
// real Debian root filesystems and boots them: debootstrap builds a
// minbase root once and keeps it as a tarball, a test unpacks a copy,
// installs its rules into it, and Boot starts it with systemd-nspawn in a
// private network namespace and returns what the kernel held after boot.
// It is test support, as internal/testenv is: every helper takes the test
// and fails it.
package bootroot

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/ruleshift/ruleshift/internal/testenv"
)

// BasePackages go into every root; minbase lacks an init and the tools.
var BasePackages = []string{"systemd", "systemd-sysv", "iptables", "nftables", "ifupdown", "iproute2"}

// Require skips unless boot tests are asked for (RULESHIFT_BOOT_TESTS=1
// or CI=true), and then needs root and the tools.
func Require(t testing.TB) {
	t.Helper()
	if os.Getenv("RULESHIFT_BOOT_TESTS") != "1" && !testenv.InCI() {
		t.Skip("skipping boot tests: they build Debian root filesystems and boot them; set RULESHIFT_BOOT_TESTS=1 (CI=true runs them)")
	}
	testenv.RequireRoot(t)
	for _, b := range []string{"debootstrap", "systemd-nspawn", "tar", "chroot", "unshare", "ip"} {
		if _, err := exec.LookPath(b); err != nil {
			testenv.Missing(t, "%s on PATH (apt-get install debootstrap systemd-container iproute2)", b)
		}
	}
}

// cache is where built root filesystems are kept as tarballs, so that a
// run builds each one once and later runs not at all.
func cache() string {
	if d := os.Getenv("RULESHIFT_ROOTFS_CACHE"); d != "" {
		return d
	}
	return filepath.Join(os.TempDir(), "ruleshift-rootfs-cache")
}

// lock takes an exclusive lock on a file in the cache, across the test
// processes of different packages that go test runs at once; the
// returned function releases it.
func lock(t testing.TB, name string) func() {
	t.Helper()
	if err := os.MkdirAll(cache(), 0o755); err != nil {
		t.Fatal(err)
	}
	f, err := os.OpenFile(filepath.Join(cache(), name), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		t.Fatal(err)
	}
	return func() { f.Close() }
}

// Tarball returns a tarball of a minbase Debian root for suite, with
// iptables-persistent when persistent is set, building it once.
func Tarball(t testing.TB, suite string, persistent bool) string {
	t.Helper()
	defer lock(t, "build.lock")()
	key := suite + " " + strings.Join(BasePackages, ",")
	kind := "base"
	if persistent {
		kind, key = "persistent", key+" iptables-persistent"
	}
	h := sha256.Sum256([]byte(key))
	tar := filepath.Join(cache(), "debian-"+suite+"-"+kind+"-"+hex.EncodeToString(h[:4])+".tar")
	if _, err := os.Stat(tar); err == nil {
		return tar
	}
	dir := filepath.Join(t.TempDir(), "rootfs")
	// No mirror argument: debootstrap uses its own default archive and
	// writes it into the root's sources.list, which apt in the root then
	// uses, so no host name is written here and a site that redirects
	// the default archive (a proxy, a local mirror) works unchanged.
	Sh(t, "debootstrap", "--variant=minbase", "--include="+strings.Join(BasePackages, ","), suite, dir)
	if persistent {
		installPersistent(t, dir)
	}
	Sh(t, "chroot", dir, "apt-get", "clean")
	Sh(t, "tar", "-C", dir, "--numeric-owner", "-cf", tar+".tmp", ".")
	if err := os.Rename(tar+".tmp", tar); err != nil {
		t.Fatal(err)
	}
	return tar
}

// installPersistent adds iptables-persistent without letting it touch the
// host: its postinst would save the running (host's) rules and start the
// service, so the autosave questions are answered no.
func installPersistent(t testing.TB, dir string) {
	t.Helper()
	preseed := "iptables-persistent iptables-persistent/autosave_v4 boolean false\niptables-persistent iptables-persistent/autosave_v6 boolean false\n"
	install(t, dir, preseed, "iptables-persistent")
}

// install adds packages to the root at dir without letting them touch
// the host: policy-rc.d forbids starting services, the debconf answers
// are preseeded, and the install itself runs in a new network namespace
// after the packages were downloaded, so a postinst that runs iptables
// (ufw's, iptables-persistent's) sees an empty throwaway one.
func install(t testing.TB, dir, preseed string, pkgs ...string) {
	t.Helper()
	policy := filepath.Join(dir, "usr/sbin/policy-rc.d")
	if err := os.WriteFile(policy, []byte("#!/bin/sh\nexit 101\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(policy)
	if preseed != "" {
		cmd := exec.Command("chroot", dir, "debconf-set-selections")
		cmd.Stdin = strings.NewReader(preseed)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("debconf-set-selections: %v\n%s", err, out)
		}
	}
	download := append([]string{dir, "apt-get", "-y", "-q", "--no-install-recommends", "--download-only", "install"}, pkgs...)
	if out, err := exec.Command("chroot", download...).CombinedOutput(); err != nil {
		// The package lists of a root cached long ago may name versions
		// the archive no longer has: fetch them anew once.
		t.Logf("apt-get --download-only: %v\n%s\nupdating the package lists", err, Tail(out))
		Sh(t, "chroot", dir, "apt-get", "-q", "update")
		Sh(t, "chroot", download...)
	}
	Sh(t, "unshare", append([]string{"--net", "chroot", dir, "apt-get", "-y", "-q", "--no-install-recommends", "--no-download", "install"}, pkgs...)...)
}

// TarballUFW returns a tarball of Tarball's base root for suite with ufw
// installed as the package leaves it (ENABLED=no, ufw.service enabled,
// no user rule), building it once from the base tarball: only ufw and
// what it needs (python3) are downloaded. ufw breaks
// iptables-persistent, so it goes on the base root.
func TarballUFW(t testing.TB, suite string) string {
	t.Helper()
	base := Tarball(t, suite, false)
	defer lock(t, "build.lock")()
	h := sha256.Sum256([]byte(base + " ufw"))
	tar := filepath.Join(cache(), "debian-"+suite+"-ufw-"+hex.EncodeToString(h[:4])+".tar")
	if _, err := os.Stat(tar); err == nil {
		return tar
	}
	dir := filepath.Join(t.TempDir(), "rootfs")
	Unpack(t, base, dir)
	install(t, dir, "", "ufw")
	Sh(t, "chroot", dir, "apt-get", "clean")
	Sh(t, "tar", "-C", dir, "--numeric-owner", "-cf", tar+".tmp", ".")
	if err := os.Rename(tar+".tmp", tar); err != nil {
		t.Fatal(err)
	}
	return tar
}

// Unpack unpacks a tarball of Tarball into dir.
func Unpack(t testing.TB, tar, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	Sh(t, "tar", "-C", dir, "--numeric-owner", "-xf", tar)
}

// Sh runs a command, failing the test with its output.
func Sh(t testing.TB, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive", "LC_ALL=C")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, Tail(out))
	}
}

// Tail is the end of a long output.
func Tail(b []byte) string {
	s := string(b)
	if len(s) > 4000 {
		s = "…" + s[len(s)-4000:]
	}
	return s
}

// UFW runs ufw command lines ("ufw allow 22/tcp", "ufw --force enable")
// in the root at dir, as an admin would on that machine, so that ufw
// writes its own files: chrooted, in a new network namespace (what
// `ufw enable` loads goes into that throwaway one, never the host's) and
// a new mount namespace for the root's /proc, which goes away with it.
func UFW(t testing.TB, dir string, cmds ...string) {
	t.Helper()
	script := "set -e\nmount -t proc proc /proc\ntrap 'umount /proc' EXIT\n" + strings.Join(cmds, "\n") + "\n"
	Sh(t, "unshare", "--net", "--mount", "--propagation", "private", "--fork", "chroot", dir, "sh", "-c", script)
}
