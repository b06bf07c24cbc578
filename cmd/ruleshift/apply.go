package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/ruleshift/ruleshift/backends"
	"github.com/ruleshift/ruleshift/backends/nftables"
	"github.com/ruleshift/ruleshift/distros"
	"github.com/ruleshift/ruleshift/internal/pending"
	"github.com/ruleshift/ruleshift/internal/progress"
	"github.com/ruleshift/ruleshift/translate"
	"github.com/ruleshift/ruleshift/translate/diag"
	"github.com/ruleshift/ruleshift/translate/ir"
)

type applyCmd struct {
	inputFlags
	policyFlags
	optimizeFlags
	Backend  string        `help:"Where to load: auto (the backend that holds rules, else the distribution's default), ${loaders_text}." enum:"auto,${loaders}" default:"auto"`
	Confirm  time.Duration `help:"Roll back unless confirmed within DURATION (type yes, or run ruleshift confirm from another session)." placeholder:"DURATION"`
	DryRun   bool          `help:"Print what would be loaded and how it differs from what is loaded now; change nothing."`
	JSON     bool          `name:"json" help:"With --dry-run: print the plan as one JSON object (schema/apply-dry-run.v1.json)."`
	Enable   bool          `help:"--backend ufw: enable ufw (ufw --force enable) when it is not active; without it an inactive ufw's files are written only."`
	StateDir string        `help:"Directory for the state of an apply waiting for confirmation." default:"/run/ruleshift" hidden:""`
	Root     string        `help:"Read os-release, the iptables links and ufw.conf for --backend auto under DIR; --backend ufw writes ufw's files under DIR and runs no ufw command." default:"/" type:"path" placeholder:"DIR" hidden:""`
}

type confirmCmd struct {
	StateDir string `help:"Directory for the state of an apply waiting for confirmation." default:"/run/ruleshift" hidden:""`
}

func (c *applyCmd) Run(e *env) error {
	if err := c.refuseNft(); err != nil {
		return err
	}
	if c.JSON && !c.DryRun {
		return fail(exitUsage, "--json goes with --dry-run")
	}
	c.policyFlags.apply(&c.inputFlags)
	if err := c.optimizeFlags.apply(&c.inputFlags); err != nil {
		return err
	}
	name, why := c.Backend, "chosen with --backend"
	if name == "auto" {
		name, why = distros.ApplyBackend(os.DirFS(c.Root), liveProbe, kernelTables)
	}
	b, err := backend(name)
	if err != nil {
		return err
	}
	// nftables keeps a policy's host names in sets that refresh keeps
	// current; the addresses cached by the last refresh stand in for a
	// name that does not resolve now.
	c.hostSets = name == "nftables"
	c.lint = lintBlocking
	if c.hostSets {
		cachedResolver(e, c.Root, &c.inputFlags)
	}
	rs, err := c.load(e)
	if err != nil {
		return err
	}
	if len(rs.Tables) == 0 {
		return fail(exitRules, "the input defines no tables: nothing to apply")
	}
	if f := c.family(); f != 0 {
		rs = onlyFamily(rs, f)
	}
	fmt.Fprintf(e.stderr, "backend: %s (%s)\n", name, why)
	if c.Enable && name != "ufw" {
		return fail(exitUsage, "--enable enables ufw: it goes with --backend ufw, not %s", name)
	}
	// Apply checks as it loads (rendering the whole ruleset first would
	// double the work on large rulesets); a dry run and --confirm, which
	// do more before loading, check first.
	// --warn unsupported needs the rules to leave out before loading.
	if c.DryRun || c.Confirm > 0 || e.policy.Downgrades() {
		d := b.Check(rs)
		if err := report(e, d); err != nil {
			return fail(exitRules, "%d error(s) for %s; nothing was loaded", len(d.Errors()), name)
		}
		rs = diag.LeaveOut(rs, d)
	}
	if c.DryRun {
		return dryRun(e, rs, b, c.JSON)
	}
	if c.Confirm > 0 {
		err = c.applyConfirmed(e, rs, b)
	} else {
		o := c.options()
		var bar *progress.Bar
		o.Progress, bar = progress.For(e.stderr)
		err = load(e, rs, b, o)
		bar.Done()
	}
	if err == nil && c.hostSets {
		err = recordHostSets(e, c.Root, rs)
	}
	return err
}

// options are the backend's apply options: --root and --enable, which
// only the ufw backend reads.
func (c *applyCmd) options() backends.ApplyOptions {
	o := backends.ApplyOptions{Root: c.Root}
	if c.Enable {
		o.Params = map[string]string{"enable": "true"}
	}
	return o
}

// kernelTables lists the kernel's nftables tables for apply's backend
// choice, marking those of ruleshift's nftables backend: distros decides
// from them without importing the backend.
func kernelTables() ([]distros.KernelTable, error) {
	ts, err := nftables.ListTables("")
	var out []distros.KernelTable
	for _, t := range ts {
		out = append(out, distros.KernelTable{Family: t.Family, Name: t.Name, Own: strings.HasPrefix(t.Name, nftables.TablePrefix)})
	}
	return out, err
}

// refuseNft stops at an nftables file with a clear message. apply loads
// what ruleshift has read, into ruleshift's own tables, with a snapshot
// for --confirm; an nftables file would have to be loaded as written
// (nft -f), touching any table and possibly flushing the whole ruleset,
// which none of that covers.
func (c *applyCmd) refuseNft() error {
	if c.From != "auto" {
		return nil
	}
	for _, name := range c.Files {
		if name == "-" {
			continue
		}
		head, err := readHead(name, 64<<10)
		if err != nil {
			continue // load reports it
		}
		if translate.DetectFormat(translate.Input{Name: name, Data: head}) == translate.NFT {
			return fail(exitUsage, "%s is an nftables file: apply loads iptables scripts and save files, which it translates; load an nftables file with nft -f %s (check it first with ruleshift verify OLD %s)", name, name, name)
		}
	}
	return nil
}

// readHead reads up to n bytes of a file.
func readHead(name string, n int) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, n)
	k, err := io.ReadFull(f, buf)
	if err == io.ErrUnexpectedEOF || err == io.EOF {
		err = nil
	}
	return buf[:k], err
}

// onlyFamily keeps the tables of one family.
func onlyFamily(rs *ir.Ruleset, f ir.Family) *ir.Ruleset {
	out := &ir.Ruleset{}
	for _, t := range rs.Tables {
		if t.Family == f {
			out.Tables = append(out.Tables, t)
		}
	}
	return out
}

// load puts the ruleset into the kernel and says what it replaced.
func load(e *env, rs *ir.Ruleset, b backends.Backend, o backends.ApplyOptions) error {
	res, err := b.Apply(context.Background(), rs, o)
	if res != nil && res.Diags != nil {
		if rerr := report(e, res.Diags); rerr != nil {
			return fail(exitRules, "%d error(s) for %s; nothing was loaded", len(res.Diags.Errors()), b.Name())
		}
	}
	if res != nil {
		for _, n := range res.Notes {
			fmt.Fprintf(e.stderr, "note: %s\n", n)
		}
	}
	if err != nil {
		return systemError(err)
	}
	for _, l := range res.Summary {
		fmt.Fprintln(e.stderr, l)
	}
	return nil
}

func (c *confirmCmd) Run(e *env) error {
	key, err := pending.Key()
	if err != nil {
		return fail(exitSystem, "%v", err)
	}
	p := pending.For(c.StateDir, key)
	if err := pending.Confirm(p); err != nil {
		return fail(exitSystem, "%v", err)
	}
	wakeWatcher(p)
	fmt.Fprintln(e.stderr, "confirmed: the new ruleset stays")
	return nil
}
