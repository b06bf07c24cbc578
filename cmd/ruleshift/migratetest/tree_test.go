package migratetest

import (
	"testing"

	"github.com/ruleshift/ruleshift/internal/testenv"
)

// Trees (testenv.DumpTree's text form) hold the seeded roots and the
// golden results.

func dumpTree(t *testing.T, dir string) string { return testenv.DumpTree(t, dir) }

func writeTree(t *testing.T, dir, text string) { testenv.WriteTree(t, dir, text) }
