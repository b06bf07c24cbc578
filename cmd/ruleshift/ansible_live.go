package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/ruleshift/ruleshift/backends"
	"github.com/ruleshift/ruleshift/internal/ansible"
	"github.com/ruleshift/ruleshift/internal/pending"
	"github.com/ruleshift/ruleshift/internal/rulediff"
	"github.com/ruleshift/ruleshift/translate/diag"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// The module's live part (apply: true, the default on the running
// system): the rules persist installs are loaded into the running kernel
// too, only when what is loaded differs from them, so that a second run
// changes nothing. With confirm, the load is the one of apply --confirm,
// except that the module does not wait: the rollback watcher restores the
// previous rules at the deadline unless the next run of the module
// reaches the host and confirms, which proves that the new rules still
// let Ansible in. (A run that confirmed itself at its end would prove
// nothing: its result travels over the connection it already had.)

// live is one run's load.
type live struct {
	rs      *ir.Ruleset
	b       backends.Backend
	differs bool
	// listed: the backend listed what is loaded now (before) and what
	// would be (after), in its tool's form; ufw cannot.
	listed        bool
	before, after string
}

// stateDir holds a pending confirmation: /run/ruleshift on the running
// system, as apply --confirm keeps it.
func stateDir(root string) string { return filepath.Join(root, "run/ruleshift") }

// confirmPending confirms an apply an earlier run left waiting in this
// network namespace; in check mode it only says whether there is one.
func confirmPending(a *ansible.Args) (bool, error) {
	key, err := pending.Key()
	if err != nil {
		return false, err
	}
	p := pending.For(stateDir(a.Root), key)
	if _, err := os.Stat(p.State); err != nil {
		return false, nil
	}
	if a.CheckMode {
		return true, nil
	}
	if err := pending.Confirm(p); err != nil {
		return false, fmt.Errorf("confirm the pending apply: %v", err)
	}
	return true, nil
}

// prepareLive reads the input for backend name, checks it and compares it
// with what the kernel holds, loading it into a scratch network namespace
// (the kernel checks it there). Nothing is loaded here.
func prepareLive(e *env, a *ansible.Args, name string) (*live, error) {
	b, err := backend(name)
	if err != nil {
		return nil, err
	}
	f := inputFlags{From: "auto", Family: "auto", Files: []string{a.Src}, Hosts: a.Hosts, allowLockout: a.AllowLockout}
	f.hostSets = name == "nftables"
	if f.hostSets {
		cachedResolver(e, a.Root, &f)
	}
	rs, err := f.load(e)
	if err != nil {
		return nil, err
	}
	if len(rs.Tables) == 0 {
		return nil, fail(exitRules, "%s defines no tables: nothing to load", a.Src)
	}
	d := b.Check(rs)
	if err := report(e, d); err != nil {
		return nil, fail(exitRules, "%d error(s) for %s; nothing was loaded", len(d.Errors()), name)
	}
	l := &live{rs: diag.LeaveOut(rs, d), b: b}
	if _, ok := b.(backends.Lister); !ok {
		// ufw: its files are what persist writes; the load only
		// reloads them, needed when they changed.
		return l, nil
	}
	old, new, err := rulediff.Sides(context.Background(), b, l.rs)
	if err != nil {
		return nil, fail(exitSystem, "%v", err)
	}
	l.differs = len(rulediff.Compare(old, new).Chains) > 0
	l.listed, l.before, l.after = true, listing(old), listing(new)
	return l, nil
}

// listing prints a side chain by chain, for the diff.
func listing(c rulediff.Chains) string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s:\n", k)
		for _, l := range c[k] {
			fmt.Fprintf(&b, "\t%s\n", l)
		}
	}
	return b.String()
}

// load loads l, through the rollback watcher when confirm is set.
func (l *live) load(e *env, a *ansible.Args) error {
	o := backends.ApplyOptions{Root: a.Root}
	if a.Confirm == 0 {
		return load(e, l.rs, l.b, o)
	}
	key, err := pending.Key()
	if err != nil {
		return fail(exitSystem, "%v", err)
	}
	dir := stateDir(a.Root)
	p := pending.For(dir, key)
	st := &pending.State{Backend: l.b.Name(), Deadline: time.Now().Add(a.Confirm), ApplyPID: os.Getpid()}
	if st.Snapshot, err = l.b.Snapshot(context.Background(), l.rs, o); err != nil {
		return fail(exitSystem, "save the current ruleset: %v", err)
	}
	if err := pending.Write(p, st); err != nil {
		return fail(exitSystem, "%v", err)
	}
	how, err := startWatcher(dir, key)
	if err != nil {
		pending.Cancel(p)
		return fail(exitSystem, "start the rollback watcher: %v", err)
	}
	fmt.Fprintf(e.stdout, "saved the current ruleset of %s; rollback watcher started (%s)\n", describeSaved(st), how)
	if err := load(e, l.rs, l.b, o); err != nil {
		pending.Cancel(p)
		return err
	}
	return nil
}

// rulesDiff is the diff entry of the loaded rules.
func (l *live) rulesDiff() ansible.Diff {
	return ansible.Diff{
		Before: l.before, After: l.after,
		BeforeHeader: "loaded now (" + l.b.Name() + ")",
		AfterHeader:  "loaded by ruleshift (" + l.b.Name() + ")",
	}
}

// errorLines is msg for a failed step: the positioned errors the step
// printed, then its own message.
func errorLines(res *ansible.Result, stderr string, err error) string {
	lines := res.AddDiagnostics(stderr)
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.msg != "" {
			lines = append(lines, ee.msg)
		}
	} else {
		lines = append(lines, err.Error())
	}
	return strings.Join(lines, "\n")
}
