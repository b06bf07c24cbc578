package ufw

import (
	"context"
	"errors"
	"testing"

	"github.com/ruleshift/ruleshift/backends"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// TestGuardKeepsTestsOffTheHost: with no Root and no NetNS, Apply,
// Snapshot and Restore would work on this machine's /etc/ufw; from a test
// binary they refuse before reading or writing anything.
func TestGuardKeepsTestsOffTheHost(t *testing.T) {
	b := ufwBackend{name: "ufw"}
	rs := &ir.Ruleset{}
	if _, err := b.Apply(context.Background(), rs, backends.ApplyOptions{}); !errors.Is(err, errTestOnHost) {
		t.Errorf("Apply: %v", err)
	}
	if _, err := b.Snapshot(context.Background(), rs, backends.ApplyOptions{}); !errors.Is(err, errTestOnHost) {
		t.Errorf("Snapshot: %v", err)
	}
	if err := b.Restore(context.Background(), &backends.Snapshot{Data: []byte(`{}`)}, backends.ApplyOptions{}); !errors.Is(err, errTestOnHost) {
		t.Errorf("Restore: %v", err)
	}
}
