package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/ruleshift/ruleshift/backends"
	"github.com/ruleshift/ruleshift/internal/pending"
	"github.com/ruleshift/ruleshift/translate/ir"
	"golang.org/x/term"
)

// apply --confirm: save what will be replaced, start a detached watcher
// that restores it at the deadline, load, then wait for "yes" on the
// terminal or ruleshift confirm. The watcher is a separate process in its
// own session (and, where systemd is PID 1, its own transient scope unit,
// outside the SSH session's cgroup that logind may kill), so neither a
// dead SSH connection nor a SIGKILL of apply stops the rollback. It
// inherits apply's network namespace, which is the one it restores.

// watchCmd is the detached watcher; apply starts it, users do not.
type watchCmd struct {
	StateDir string `default:"/run/ruleshift"`
	Key      string `arg:""`
}

const resultConfirmed = "confirmed"

func (c *applyCmd) applyConfirmed(e *env, rs *ir.Ruleset, b backends.Backend) error {
	key, err := pending.Key()
	if err != nil {
		return fail(exitSystem, "%v", err)
	}
	p := pending.For(c.StateDir, key)
	st := &pending.State{Backend: b.Name(), Deadline: time.Now().Add(c.Confirm), ApplyPID: os.Getpid()}
	if st.Snapshot, err = b.Snapshot(context.Background(), rs, c.options()); err != nil {
		return fail(exitSystem, "save the current ruleset: %v", err)
	}
	if err := pending.Write(p, st); err != nil {
		return fail(exitSystem, "%v", err)
	}
	how, err := startWatcher(c.StateDir, key)
	if err != nil {
		pending.Cancel(p)
		return fail(exitSystem, "start the rollback watcher: %v", err)
	}
	fmt.Fprintf(e.stderr, "saved the current ruleset of %s; rollback watcher started (%s)\n", describeSaved(st), how)
	if err := load(e, rs, b, c.options()); err != nil {
		pending.Cancel(p)
		return err
	}
	return waitConfirm(e, p, st.Deadline)
}

func describeSaved(st *pending.State) string {
	if len(st.Tables()) == 0 {
		return "no tables (none was loaded: a rollback removes what this apply adds)"
	}
	return strings.Join(st.Tables(), ", ")
}

// startWatcher re-executes ruleshift detached from this process.
func startWatcher(dir, key string) (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	args := []string{"__watch", "--state-dir", dir, key}
	cmd := exec.Command(exe, args...)
	how := "a detached process in its own session"
	if systemdScopeUsable() {
		unit := "ruleshift-confirm-" + key
		cmd = exec.Command("systemd-run", append([]string{"--scope", "--quiet", "--collect", "--unit", unit, "--", exe}, args...)...)
		how = "transient systemd scope " + unit + ".scope"
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return "", err
	}
	cmd.Process.Release()
	return how, nil
}

// systemdScopeUsable reports whether systemd really runs as PID 1 of this
// network namespace's host; a scope started there keeps our namespace, as
// systemd-run --scope runs the command itself.
func systemdScopeUsable() bool {
	comm, err := os.ReadFile("/proc/1/comm")
	if err != nil || strings.TrimSpace(string(comm)) != "systemd" {
		return false
	}
	if _, err := os.Stat("/run/systemd/system"); err != nil {
		return false
	}
	_, err = exec.LookPath("systemd-run")
	return err == nil
}

// waitConfirm waits for "yes" on the terminal, ruleshift confirm, or the
// watcher's rollback.
func waitConfirm(e *env, p pending.Paths, deadline time.Time) error {
	lines := make(chan string)
	tty := isTerminal(e.stdin)
	if tty {
		go func() {
			sc := bufio.NewScanner(e.stdin)
			for sc.Scan() {
				lines <- strings.TrimSpace(sc.Text())
			}
			close(lines) // end of input is not a confirmation
		}()
		fmt.Fprintf(e.stderr, "type yes within %s to keep the new ruleset (or run ruleshift confirm from another session)\n", time.Until(deadline).Round(time.Second))
	} else {
		fmt.Fprintf(e.stderr, "standard input is not a terminal: run ruleshift confirm from another session within %s to keep the new ruleset\n", time.Until(deadline).Round(time.Second))
	}
	showCountdown := isTerminal(e.stderr)
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		if r := pending.Result(p); r != "" {
			return finish(e, r, showCountdown)
		}
		if _, err := os.Stat(p.Confirmed); err == nil {
			return finish(e, resultConfirmed, showCountdown)
		}
		if showCountdown {
			left := time.Until(deadline).Round(time.Second)
			if left < 0 {
				left = 0
			}
			fmt.Fprintf(e.stderr, "\rrollback in %3ds: type yes to keep the new ruleset: ", int(left.Seconds()))
		}
		if time.Now().After(deadline.Add(2 * time.Minute)) {
			return fail(exitSystem, "no answer from the rollback watcher; check %s", filepath.Dir(p.State))
		}
		select {
		case l, ok := <-lines:
			if !ok {
				lines = nil
				continue
			}
			if l != "yes" {
				fmt.Fprintf(e.stderr, "\ntype yes (the word) to keep the new ruleset\n")
				continue
			}
			if err := pending.Confirm(p); err != nil {
				return fail(exitSystem, "%v", err)
			}
			return finish(e, resultConfirmed, showCountdown)
		case <-tick.C:
		}
	}
}

func finish(e *env, result string, countdown bool) error {
	if countdown {
		fmt.Fprintln(e.stderr)
	}
	if result == resultConfirmed {
		fmt.Fprintln(e.stderr, "confirmed: the new ruleset stays")
		return nil
	}
	return fail(exitSystem, "%s", result)
}

func isTerminal(x any) bool {
	f, ok := x.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// wakeWatcher is a no-op: the watcher polls, so a confirmation needs no
// signal and works across PID namespaces.
func wakeWatcher(pending.Paths) {}

func (c *watchCmd) Run(e *env) error {
	p := pending.For(c.StateDir, c.Key)
	logf := watchLog(p)
	st, err := pending.Read(p.State)
	if err != nil {
		logf("read state: %v", err)
		return fail(exitIO, "%v", err)
	}
	for time.Now().Before(st.Deadline) {
		if _, err := os.Stat(p.State); err != nil {
			if _, cerr := os.Stat(p.Confirmed); cerr == nil {
				pending.SetResult(p, resultConfirmed)
				os.Remove(p.Confirmed)
				logf("confirmed")
			} else {
				logf("cancelled")
			}
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	if !pending.ClaimRollback(p) {
		if _, err := os.Stat(p.Confirmed); err == nil {
			pending.SetResult(p, resultConfirmed)
			os.Remove(p.Confirmed)
		}
		return nil
	}
	msg := "not confirmed in time: the previous ruleset was restored (" + describeSaved(st) + ")"
	if err := pending.Rollback(context.Background(), st); err != nil {
		msg = "not confirmed in time, and the rollback failed: " + err.Error()
	}
	logf("%s", msg)
	pending.SetResult(p, msg)
	os.Remove(p.Rolling)
	return nil
}

// watchLog appends to a log beside the state: the watcher has no terminal.
func watchLog(p pending.Paths) func(string, ...any) {
	path := strings.TrimSuffix(p.State, ".pending") + ".log"
	return func(format string, args ...any) {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		if err != nil {
			return
		}
		defer f.Close()
		fmt.Fprintf(f, "%s pid %d: %s\n", time.Now().Format(time.RFC3339), os.Getpid(), fmt.Sprintf(format, args...))
	}
}
