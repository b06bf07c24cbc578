package persist_test

import (
	"testing"

	"github.com/ruleshift/ruleshift/internal/bootroot"
)

// The root filesystems and boots of the boot tests come from
// internal/bootroot, which the Ansible module's boot test shares.

func rootfsTarball(t *testing.T, suite string, persistent bool) string {
	t.Helper()
	return bootroot.Tarball(t, suite, persistent)
}

func unpack(t *testing.T, tar, dir string) {
	t.Helper()
	bootroot.Unpack(t, tar, dir)
}
