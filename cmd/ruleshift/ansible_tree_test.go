package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/internal/testenv"
)

// A fake Debian 12 root from the persist golden tests' seed fragments
// (testdata/persist/seeds, whose README describes the tree format), for
// the module's tests: persist and unpersist work on it with root.

const seedDir = "../../testdata/persist/seeds"

var debian12Seeds = []string{"os-debian-12", "usrmerge", "xtables", "alt-nft", "nftables-deb", "ifupdown"}

// seedRoot writes the fragments under dir.
func seedRoot(t *testing.T, dir string, names ...string) {
	t.Helper()
	var text strings.Builder
	for _, n := range names {
		data, err := os.ReadFile(filepath.Join(seedDir, n+".tree"))
		if err != nil {
			t.Fatal(err)
		}
		text.Write(data)
	}
	// Debian 12's packages put their units in /lib/systemd/system.
	testenv.WriteTree(t, dir, strings.ReplaceAll(text.String(), "${UNITDIR}", "/lib/systemd/system"))
}

// treeOf is the root as tree text, to compare it before and after.
func treeOf(t *testing.T, dir string) string { return testenv.DumpTree(t, dir) }
