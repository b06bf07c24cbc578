package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/ruleshift/ruleshift/backends"
	"github.com/ruleshift/ruleshift/machine"
	"github.com/ruleshift/ruleshift/migrate"
	"github.com/ruleshift/ruleshift/persist"
	"github.com/ruleshift/ruleshift/translate/ir"
	"github.com/ruleshift/ruleshift/verify"
)

type migrateCmd struct {
	To      string        `help:"The backend to move to: nftables or iptables-nft." enum:"nftables,iptables-nft" required:""`
	Root    string        `help:"Migrate the system installed under DIR, offline: read its boot files, verify in scratch namespaces, persist into DIR; the kernel is not touched." type:"path" placeholder:"DIR"`
	Confirm time.Duration `help:"Roll everything back (the new tables and the old ones) unless confirmed within DURATION (type yes, or run ruleshift confirm from another session); the boot files change only once confirmed." placeholder:"DURATION"`
	DryRun  bool          `help:"Print every step with its diffs and change nothing (the verification still runs, in scratch namespaces)."`
	KeepOld bool          `name:"keep-old" help:"Leave the old rules files in place (their loaders are still disabled)."`
	Probes  int           `help:"How many probes the verification generates." default:"2000"`
	// BootRoot is where a live migration reads and persists the boot
	// files: the tests' way to keep the host's own untouched.
	BootRoot    string `name:"boot-root" hidden:"" default:"/" type:"path"`
	StateDir    string `help:"Directory for the state of a migration waiting for confirmation." default:"/run/ruleshift" hidden:""`
	NetnsPrefix string `name:"netns-prefix" hidden:"" help:"Prefix of the names of the namespaces the verification creates."`
}

func (c *migrateCmd) Run(e *env) error {
	if c.Root != "" && c.Confirm > 0 {
		return fail(exitUsage, "--confirm guards a change of the running kernel; with --root nothing is loaded")
	}
	b, err := backend(c.To)
	if err != nil {
		return err
	}
	w := &stepWriter{out: e.stdout}
	plan, err := c.importStep(e, w)
	if err != nil {
		return err
	}
	rs := plan.Rules
	if err := c.translateStep(e, w, plan, b); err != nil {
		return err
	}
	if err := c.verifyStep(e, w, plan, rs); err != nil {
		return err
	}
	po, err := c.persistOptions(e)
	if err != nil {
		return err
	}
	var confirmed func() error
	if c.Root == "" {
		if confirmed, err = c.kernelStep(e, w, plan, rs, b); err != nil {
			return err
		}
	}
	if confirmed != nil {
		w.step("confirm", "the boot files change only once the new firewall is confirmed: a machine that is rolled back must not load it at the next boot")
		if err := confirmed(); err != nil {
			return err
		}
	}
	return c.persistStep(e, w, rs, po)
}

// stepWriter prints the numbered steps.
type stepWriter struct {
	out interface{ Write([]byte) (int, error) }
	n   int
}

func (w *stepWriter) step(name, why string) {
	w.n++
	fmt.Fprintf(w.out, "migrate: step %d: %s: %s\n", w.n, name, why)
}

func (w *stepWriter) printf(format string, args ...any) {
	fmt.Fprintf(w.out, "migrate: "+format+"\n", args...)
}

// importStep reads the firewall: the kernel, or the boot files of --root.
func (c *migrateCmd) importStep(e *env, w *stepWriter) (*migrate.Plan, error) {
	var st *machine.State
	where := "live"
	if c.Root != "" {
		if fi, err := os.Stat(c.Root); err != nil || !fi.IsDir() {
			return nil, fail(exitIO, "--root %s: not a directory", c.Root)
		}
		w.step("import", "read what "+c.Root+" loads at boot, the rules to carry over")
		st = machine.ReadRoot(c.Root, machine.Options{}).AtBootOnly()
		where = "root"
	} else {
		w.step("import", "read what the kernel runs (both iptables variants and nftables), the rules to carry over")
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		st = machine.ReadLive(ctx, liveRunner(""), machine.Options{})
		machine.AttachBoot(st, machine.ReadRoot(c.BootRoot, machine.Options{IncludeForeign: true}))
	}
	st.SortEntries()
	writeProvenance(e.stdout, where, st)
	if err := report(e, st.Diags); err != nil {
		return nil, err
	}
	plan, err := migrate.Select(st, c.To)
	if err != nil {
		return nil, fail(exitRules, "%v", err)
	}
	for _, en := range plan.Moved {
		w.printf("moves to %s: %s (%s, from %s)", c.To, en.Key(), en.Source, en.From)
	}
	for i, en := range plan.Kept {
		w.printf("stays: %s (%s, from %s): %s", en.Key(), en.Source, en.From, plan.KeptWhy[i])
	}
	return plan, nil
}

// translateStep runs the passes and checks that the target can express
// every rule.
func (c *migrateCmd) translateStep(e *env, w *stepWriter, plan *migrate.Plan, b backends.Backend) error {
	w.step("translate", fmt.Sprintf("render the %s imported from %s for %s; a rule it cannot express stops the migration here", plural(len(plan.Rules.Tables), "table"), plan.OldBackend, c.To))
	diags := runPasses(plan.Rules)
	quietUFWChains(diags)
	if err := report(e, diags); err != nil {
		return err
	}
	if d := b.Check(plan.Rules); report(e, d) != nil {
		return fail(exitRules, "%d rule(s) cannot be expressed for %s; nothing was changed", len(d.Errors()), c.To)
	}
	if c.DryRun {
		files, _ := b.Render(plan.Rules, backends.RenderOptions{})
		for _, f := range files.Of(backends.RoleRules) {
			fmt.Fprintf(e.stdout, "# %s for %s (%s):\n%s", f.Name, c.To, strings.Join(f.Loader, " "), f.Text)
		}
	}
	return nil
}

// verifySides, when set, changes the two sides before the verification.
// Only the tests of this package set it: both sides come from the one
// imported ruleset, so only a fault of a backend makes them differ, and
// the test of the mismatch path needs a difference.
var verifySides func(old, new *verify.Side)

// verifyStep compares the old rules (as their iptables variant loads them)
// with the new ones on real packets, in scratch namespaces.
func (c *migrateCmd) verifyStep(e *env, w *stepWriter, plan *migrate.Plan, rs *ir.Ruleset) error {
	w.step("verify", fmt.Sprintf("send the same packets through the old rules (%s) and the new (%s) in scratch namespaces; any difference stops the migration before anything changes", plan.OldBackend, c.To))
	old := &verify.Side{Label: "imported", Rules: rs, Backend: verify.Backend(plan.OldBackend)}
	new := &verify.Side{Label: "migrated", Rules: rs, Backend: verify.Backend(c.To)}
	if verifySides != nil {
		verifySides(old, new)
	}
	for _, s := range []*verify.Side{old, new} {
		if err := report(e, s.Prepare()); err != nil {
			return err
		}
	}
	prefix := c.NetnsPrefix
	if prefix == "" {
		prefix = fmt.Sprintf("rsm%d", os.Getpid())
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sig)
	go func() {
		if _, ok := <-sig; ok {
			verify.Cleanup(prefix)
			os.Exit(130)
		}
	}()
	res, err := verify.Run(old, new, verify.Options{Probes: c.Probes, Seed: 1, NSPrefix: prefix})
	if err != nil {
		return fail(exitSystem, "%v", err)
	}
	res.Write(e.stdout)
	if n := len(res.Diffs); n > 0 {
		return fail(exitMismatch, "%d of %d probes differ between the old rules and the new: nothing was changed", n, res.Originals+res.Replies)
	}
	return nil
}

// persistOptions decides how the new rules will load at boot and what
// turns the old ones off, before anything changes: a machine persist
// cannot handle stops the migration while the kernel is as it was.
func (c *migrateCmd) persistOptions(e *env) (persist.Options, error) {
	root := c.Root
	if root == "" {
		root = c.BootRoot
	}
	ret, err := migrate.Retire(root, machine.BootLoaders(root), c.KeepOld)
	if err != nil {
		return persist.Options{}, fail(exitIO, "%v", err)
	}
	o := persist.Options{Root: root, Backend: c.To, DryRun: c.DryRun, Out: e.stdout, Policy: e.policy, Retire: ret}
	for _, s := range ret.Services {
		// ufw is being turned off: the new method does not load beside it.
		o.Force = o.Force || s.Unit == "ufw.service"
	}
	if o.Live() {
		o.Probe = liveProbe
	}
	if _, err := persist.Decide(o); err != nil {
		return o, persistError(fmt.Errorf("%w; nothing was changed", err))
	}
	return o, nil
}

// persistStep makes the new rules load at boot and turns off what loaded
// the old ones, recording both in persist's manifest.
func (c *migrateCmd) persistStep(e *env, w *stepWriter, rs *ir.Ruleset, o persist.Options) error {
	why := "load the new rules at boot the way the distribution does, and turn off what loaded the old ones; ruleshift unpersist puts the old boot path back"
	if c.KeepOld {
		why += " (--keep-old: the old files stay, their loaders off)"
	}
	w.step("persist", why)
	_, _, diags, err := persist.Persist(rs, o)
	if diags != nil {
		if rerr := report(e, diags); rerr != nil {
			return rerr
		}
	}
	if err != nil {
		return persistError(err)
	}
	if c.DryRun {
		w.printf("dry run: nothing was changed")
		return nil
	}
	w.printf("done: %s; undo the boot side with ruleshift unpersist%s", c.To, rootArg(c.Root))
	return nil
}

func rootArg(root string) string {
	if root == "" {
		return ""
	}
	return " --root " + root
}

// localExec runs a command in this process's network namespace.
func localExec(ctx context.Context, stdin []byte, name string, args ...string) ([]byte, error) {
	if _, err := exec.LookPath(name); err != nil {
		return nil, err
	}
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Stdin = bytes.NewReader(stdin)
	return cmd.CombinedOutput()
}
