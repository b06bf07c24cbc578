// Package pending holds the state of an apply that waits for confirmation
// (ruleshift apply --confirm): what to restore, and when. It sits beside
// the CLI: apply writes the state and starts a detached watcher; the
// watcher restores the saved rules at the deadline unless ruleshift
// confirm, or "yes" typed at apply's prompt, claimed the state first.
//
// There is one pending apply per network namespace, keyed by the
// namespace's inode, so that applies in different namespaces (ip netns
// exec) do not see each other. Claims are renames, which are atomic: the
// confirmer renames the state to .confirmed, the watcher to .rolling;
// whoever renames first wins and the other finds the file gone.
package pending

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"syscall"
	"time"

	"github.com/ruleshift/ruleshift/backends"
	"github.com/ruleshift/ruleshift/internal/atomicfile"
)

// DefaultDir is where state lives: /run is a tmpfs, and after a reboot
// the kernel ruleset is gone anyway.
const DefaultDir = "/run/ruleshift"

// State is what the watcher needs to roll back. It names the backend, not
// a kind of snapshot: the watcher finds the backend in the registry
// (package backends) and hands the snapshot back to it.
type State struct {
	Backend  string    `json:"backend"`
	Deadline time.Time `json:"deadline"`
	// Snapshot is what the backend saved before the apply.
	Snapshot *backends.Snapshot `json:"snapshot"`
	// ApplyPID is the apply process, for messages.
	ApplyPID int `json:"apply_pid"`
	// Extra are more snapshots to put back, each with the backend named
	// in it, before Snapshot: migrate saves the old iptables tables it
	// removes, so that a rollback brings back both sides.
	Extra []*backends.Snapshot `json:"extra,omitempty"`
	// WatcherPID is set by the watcher when it starts.
	WatcherPID int `json:"watcher_pid,omitempty"`
}

// Tables names what was saved, for messages.
func (s *State) Tables() []string {
	var out []string
	for _, x := range s.Extra {
		out = append(out, x.Tables...)
	}
	if s.Snapshot != nil {
		out = append(out, s.Snapshot.Tables...)
	}
	return out
}

// Rollback puts the saved state back with the backend that saved it, in
// the network namespace the process runs in.
func Rollback(ctx context.Context, s *State) error {
	b, err := backends.Get(s.Backend)
	if err != nil {
		return err
	}
	if s.Snapshot == nil {
		return fmt.Errorf("the state of the %s apply holds no snapshot", s.Backend)
	}
	// The old tables come back first: until the new ones go, packets
	// meet both, and nothing passes that either denies.
	var errs []error
	for _, x := range s.Extra {
		xb, err := backends.Get(x.Backend)
		if err == nil {
			err = xb.Restore(ctx, x, backends.ApplyOptions{})
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", x.Backend, err))
		}
	}
	if err := b.Restore(ctx, s.Snapshot, backends.ApplyOptions{}); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Key names the network namespace this process runs in.
func Key() (string, error) {
	// The calling thread's namespace, not /proc/self's: /proc/self is the
	// main thread, which stays in a scratch namespace for good when a
	// goroutine that switched it (verify, snapshots) ends locked to it,
	// as Go cannot end the main thread.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	var st syscall.Stat_t
	if err := syscall.Stat("/proc/thread-self/ns/net", &st); err != nil {
		return "", fmt.Errorf("find the network namespace: %w", err)
	}
	return fmt.Sprintf("netns-%d", st.Ino), nil
}

// Paths are the files of one namespace's pending apply.
type Paths struct {
	State, Confirmed, Rolling, Result string
}

// For returns the paths for key under dir.
func For(dir, key string) Paths {
	base := filepath.Join(dir, key)
	return Paths{State: base + ".pending", Confirmed: base + ".confirmed", Rolling: base + ".rolling", Result: base + ".result"}
}

// Write stores the state atomically, refusing when an apply is pending.
func Write(p Paths, s *State) error {
	if err := os.MkdirAll(filepath.Dir(p.State), 0o700); err != nil {
		return err
	}
	for _, f := range []string{p.State, p.Rolling} {
		if _, err := os.Stat(f); err == nil {
			return fmt.Errorf("an apply is already waiting for confirmation in this network namespace (%s): run ruleshift confirm, or wait for its rollback", f)
		}
	}
	os.Remove(p.Confirmed)
	os.Remove(p.Result)
	data, err := json.Marshal(s)
	if err != nil {
		return err
	}
	return atomicfile.Write(p.State, data, 0o600)
}

// Read loads a state file.
func Read(path string) (*State, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var s State
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &s, nil
}

// ErrNone means no apply is waiting (it was confirmed or rolled back).
var ErrNone = errors.New("no apply is waiting for confirmation in this network namespace")

// Confirm claims the pending state for confirmation.
func Confirm(p Paths) error {
	if err := os.Rename(p.State, p.Confirmed); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			if _, rerr := os.Stat(p.Rolling); rerr == nil {
				return errors.New("too late: the rollback has started")
			}
			return ErrNone
		}
		return err
	}
	return nil
}

// Cancel withdraws a pending state (the load failed, nothing changed).
func Cancel(p Paths) { os.Remove(p.State) }

// ClaimRollback claims the pending state for rollback; false if it was
// confirmed or cancelled first.
func ClaimRollback(p Paths) bool { return os.Rename(p.State, p.Rolling) == nil }

// SetResult records how the pending apply ended, for the apply process.
func SetResult(p Paths, msg string) { atomicfile.Write(p.Result, []byte(msg), 0o600) }

// Result reads how it ended; "" while it is still pending.
func Result(p Paths) string {
	b, err := os.ReadFile(p.Result)
	if err != nil {
		return ""
	}
	return string(b)
}
