package pending

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/ruleshift/ruleshift/backends"
	"github.com/ruleshift/ruleshift/translate/diag"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// fake is a backend that records what it is asked to restore.
type fake struct{ restored *backends.Snapshot }

func (*fake) Name() string                 { return "pending-test" }
func (*fake) Check(*ir.Ruleset) *diag.List { return &diag.List{} }
func (*fake) Render(*ir.Ruleset, backends.RenderOptions) (backends.Files, *diag.List) {
	return nil, &diag.List{}
}
func (*fake) Apply(context.Context, *ir.Ruleset, backends.ApplyOptions) (*backends.ApplyResult, error) {
	return &backends.ApplyResult{}, nil
}
func (*fake) Snapshot(context.Context, *ir.Ruleset, backends.ApplyOptions) (*backends.Snapshot, error) {
	return nil, nil
}
func (f *fake) Restore(_ context.Context, s *backends.Snapshot, _ backends.ApplyOptions) error {
	f.restored = s
	return nil
}

// TestRollbackThroughRegistry: the state written by apply names its
// backend; the watcher, reading it back, restores through that backend's
// registration, with the snapshot as it was saved.
func TestRollbackThroughRegistry(t *testing.T) {
	b := &fake{}
	backends.Register(b)
	p := For(filepath.Join(t.TempDir(), "state"), "netns-1")
	snap := &backends.Snapshot{Backend: b.Name(), Tables: []string{"ipv4 filter"}, Data: []byte("saved")}
	if err := Write(p, &State{Backend: b.Name(), Deadline: time.Now(), Snapshot: snap}); err != nil {
		t.Fatal(err)
	}
	st, err := Read(p.State)
	if err != nil {
		t.Fatal(err)
	}
	if got := st.Tables(); len(got) != 1 || got[0] != "ipv4 filter" {
		t.Errorf("Tables() = %v", got)
	}
	if err := Rollback(context.Background(), st); err != nil {
		t.Fatal(err)
	}
	if b.restored == nil || string(b.restored.Data) != "saved" {
		t.Errorf("restored %+v, want the saved snapshot", b.restored)
	}
	st.Backend = "no-such-backend"
	if err := Rollback(context.Background(), st); err == nil {
		t.Error("a state of an unknown backend rolled back")
	}
}
