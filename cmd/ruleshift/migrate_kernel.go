package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/ruleshift/ruleshift/backends"
	"github.com/ruleshift/ruleshift/internal/pending"
	"github.com/ruleshift/ruleshift/internal/rulediff"
	"github.com/ruleshift/ruleshift/migrate"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// kernelStep loads the new rules, then removes the old tables: in that
// order, so that during the switch every packet meets both firewalls and
// nothing passes that either denies. With --confirm it first saves both
// sides and starts apply's rollback watcher, and returns the wait for
// the confirmation.
func (c *migrateCmd) kernelStep(e *env, w *stepWriter, plan *migrate.Plan, rs *ir.Ruleset, b backends.Backend) (func() error, error) {
	w.step("apply", fmt.Sprintf("load the new rules into %s in one transaction, beside the old ones", c.To))
	if c.DryRun {
		old, new, err := rulediff.Sides(context.Background(), b, rs)
		if err != nil {
			w.printf("no difference shown: %v", err)
		} else {
			rulediff.Compare(old, new).Write(e.stdout)
		}
	}
	var wait func() error
	var p pending.Paths
	if c.Confirm > 0 && !c.DryRun {
		var err error
		if p, wait, err = c.guard(e, w, plan, rs, b); err != nil {
			return nil, err
		}
	}
	if !c.DryRun {
		if err := load(e, rs, b, backends.ApplyOptions{}); err != nil {
			if wait != nil {
				pending.Cancel(p)
			}
			return nil, err
		}
	}
	w.step("remove", "take the old tables out of the kernel now that the new ones hold the same rules")
	for _, r := range plan.Removals {
		w.printf("%s", r.Describe())
		if c.DryRun {
			name, args, stdin := r.Command()
			fmt.Fprintf(e.stdout, "# %s %s <<EOF\n%sEOF\n", name, strings.Join(args, " "), stdin)
		}
	}
	if len(plan.Removals) == 0 {
		w.printf("no old table to remove: the apply replaced them")
	}
	if c.DryRun {
		return nil, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := migrate.Remove(ctx, localExec, plan.Removals); err != nil {
		how := "both the old and the new rules are loaded"
		if wait != nil {
			how += "; the rollback watcher restores the old ones at the deadline unless confirmed"
		}
		return nil, fail(exitSystem, "remove the old tables: %v (%s)", err, how)
	}
	w.printf("old tables removed: the kernel holds the %s rules only", c.To)
	return wait, nil
}

// guard saves what a rollback restores, the target's tables and the old
// tables of each iptables variant, and starts the watcher.
func (c *migrateCmd) guard(e *env, w *stepWriter, plan *migrate.Plan, rs *ir.Ruleset, b backends.Backend) (pending.Paths, func() error, error) {
	key, err := pending.Key()
	if err != nil {
		return pending.Paths{}, nil, fail(exitSystem, "%v", err)
	}
	p := pending.For(c.StateDir, key)
	ctx := context.Background()
	st := &pending.State{Backend: b.Name(), Deadline: time.Now().Add(c.Confirm), ApplyPID: os.Getpid()}
	if st.Snapshot, err = b.Snapshot(ctx, rs, backends.ApplyOptions{}); err != nil {
		return p, nil, fail(exitSystem, "save the current %s tables: %v", b.Name(), err)
	}
	for _, v := range []string{"iptables-legacy", "iptables-nft"} {
		old := plan.Variants()[v]
		if old == nil {
			continue
		}
		vb, err := backend(v)
		if err != nil {
			return p, nil, err
		}
		snap, err := vb.Snapshot(ctx, old, backends.ApplyOptions{})
		if err != nil {
			return p, nil, fail(exitSystem, "save the old %s tables: %v", v, err)
		}
		st.Extra = append(st.Extra, snap)
	}
	if err := pending.Write(p, st); err != nil {
		return p, nil, fail(exitSystem, "%v", err)
	}
	how, err := startWatcher(c.StateDir, key)
	if err != nil {
		pending.Cancel(p)
		return p, nil, fail(exitSystem, "start the rollback watcher: %v", err)
	}
	w.printf("saved %s; rollback watcher started (%s): unless confirmed within %s, all of it comes back, even if this session dies", describeSaved(st), how, c.Confirm)
	return p, func() error { return waitConfirm(e, p, st.Deadline) }, nil
}
