package persist_test

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// basePackages go into every root; minbase lacks an init and the tools.
var basePackages = []string{"systemd", "systemd-sysv", "iptables", "nftables", "ifupdown", "iproute2"}

// rootfsCache is where built root filesystems are kept as tarballs, so
// that a run builds each one once and later runs not at all.
func rootfsCache() string {
	if d := os.Getenv("RULESHIFT_ROOTFS_CACHE"); d != "" {
		return d
	}
	return filepath.Join(os.TempDir(), "ruleshift-rootfs-cache")
}

var rootfsMu sync.Mutex

// rootfsTarball returns a tarball of a minbase Debian root for suite,
// with iptables-persistent when persistent is set, building it once.
func rootfsTarball(t *testing.T, suite string, persistent bool) string {
	t.Helper()
	rootfsMu.Lock()
	defer rootfsMu.Unlock()
	key := suite + " " + strings.Join(basePackages, ",")
	kind := "base"
	if persistent {
		kind, key = "persistent", key+" iptables-persistent"
	}
	h := sha256.Sum256([]byte(key))
	tar := filepath.Join(rootfsCache(), "debian-"+suite+"-"+kind+"-"+hex.EncodeToString(h[:4])+".tar")
	if _, err := os.Stat(tar); err == nil {
		return tar
	}
	if err := os.MkdirAll(rootfsCache(), 0o755); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "rootfs")
	// No mirror argument: debootstrap uses its own default archive and
	// writes it into the root's sources.list, which apt in the root then
	// uses, so no host name is written here and a site that redirects
	// the default archive (a proxy, a local mirror) works unchanged.
	sh(t, "debootstrap", "--variant=minbase", "--include="+strings.Join(basePackages, ","), suite, dir)
	if persistent {
		installPersistent(t, dir)
	}
	sh(t, "chroot", dir, "apt-get", "clean")
	sh(t, "tar", "-C", dir, "--numeric-owner", "-cf", tar+".tmp", ".")
	if err := os.Rename(tar+".tmp", tar); err != nil {
		t.Fatal(err)
	}
	return tar
}

// installPersistent adds iptables-persistent without letting it touch the
// host: its postinst would save the running (host's) rules and start the
// service, so the autosave questions are answered no, policy-rc.d forbids
// starting services, and the install itself runs in a new network
// namespace after the packages were downloaded.
func installPersistent(t *testing.T, dir string) {
	t.Helper()
	policy := filepath.Join(dir, "usr/sbin/policy-rc.d")
	if err := os.WriteFile(policy, []byte("#!/bin/sh\nexit 101\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(policy)
	preseed := "iptables-persistent iptables-persistent/autosave_v4 boolean false\niptables-persistent iptables-persistent/autosave_v6 boolean false\n"
	cmd := exec.Command("chroot", dir, "debconf-set-selections")
	cmd.Stdin = strings.NewReader(preseed)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("debconf-set-selections: %v\n%s", err, out)
	}
	sh(t, "chroot", dir, "apt-get", "-y", "-q", "--no-install-recommends", "--download-only", "install", "iptables-persistent")
	sh(t, "unshare", "--net", "chroot", dir, "apt-get", "-y", "-q", "--no-install-recommends", "--no-download", "install", "iptables-persistent")
}

func unpack(t *testing.T, tar, dir string) {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	sh(t, "tar", "-C", dir, "--numeric-owner", "-xf", tar)
}

func sh(t *testing.T, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive", "LC_ALL=C")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, tail(out))
	}
}
