package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	ipbackend "github.com/ruleshift/ruleshift/backends/iptables"
	"github.com/ruleshift/ruleshift/backends/nftables"
	"github.com/ruleshift/ruleshift/distros"
	"github.com/ruleshift/ruleshift/internal/pending"
	"github.com/ruleshift/ruleshift/translate"
	"github.com/ruleshift/ruleshift/translate/diag"
	"github.com/ruleshift/ruleshift/translate/ir"
)

type applyCmd struct {
	inputFlags
	Backend  string        `help:"Where to load: auto, nftables (netlink), iptables-legacy or iptables-nft (restore tools)." enum:"auto,nftables,iptables-legacy,iptables-nft" default:"auto"`
	Confirm  time.Duration `help:"Roll back unless confirmed within DURATION (type yes, or run ruleshift confirm from another session)." placeholder:"DURATION"`
	DryRun   bool          `help:"Print what would be loaded and how it differs from what is loaded now; change nothing."`
	StateDir string        `help:"Directory for the state of an apply waiting for confirmation." default:"/run/ruleshift" hidden:""`
	Root     string        `help:"Read os-release and the iptables links for --backend auto under DIR." default:"/" type:"path" placeholder:"DIR" hidden:""`
}

type confirmCmd struct {
	StateDir string `help:"Directory for the state of an apply waiting for confirmation." default:"/run/ruleshift" hidden:""`
}

func (c *applyCmd) Run(e *env) error {
	if err := c.refuseNft(); err != nil {
		return err
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
	backend, why := c.Backend, "chosen with --backend"
	if backend == "auto" {
		backend, why = distros.ApplyBackend(os.DirFS(c.Root), liveProbe, kernelTables)
	}
	fmt.Fprintf(e.stderr, "backend: %s (%s)\n", backend, why)
	// nftables reports its diagnostics while it compiles (rendering the
	// whole script first would double the work on large rulesets).
	if backend != distros.BackendNFTables || c.DryRun {
		if err := checkRender(e, rs, backend); err != nil {
			return err
		}
	}
	if c.DryRun {
		return dryRun(e, rs, backend)
	}
	if c.Confirm > 0 {
		return c.applyConfirmed(e, rs, backend)
	}
	return load(e, rs, backend)
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

// checkRender prints the renderer's diagnostics and stops on errors, before
// anything touches the kernel.
func checkRender(e *env, rs *ir.Ruleset, backend string) error {
	diags := &diag.List{}
	if backend == distros.BackendNFTables {
		_, d := nftables.Render(rs, nftables.Options{})
		diags.Add(d)
	} else {
		for _, f := range rs.Families() {
			_, d := ipbackend.Render(rs, f, variantOf(backend), ipbackend.Options{})
			diags.Add(d)
		}
	}
	if err := report(e, diags); err != nil {
		return fail(exitRules, "%d error(s) for %s; nothing was loaded", len(diags.Errors()), backend)
	}
	return nil
}

// load puts the ruleset into the kernel and says what it replaced.
func load(e *env, rs *ir.Ruleset, backend string) error {
	if backend == distros.BackendNFTables {
		return loadNft(e, rs)
	}
	v := variantOf(backend)
	res, err := ipbackend.Apply(rs, v)
	if err != nil {
		return systemError(err)
	}
	tools := v.RestoreCommand(ir.IPv4)
	if len(rs.Families()) == 2 {
		tools += " and " + v.RestoreCommand(ir.IPv6)
	}
	fmt.Fprintf(e.stderr, "loaded %d rules with %s: replaced every chain of the tables %s; other tables are untouched\n",
		res.Rules, tools, strings.Join(res.Replaced, ", "))
	return nil
}

func loadNft(e *env, rs *ir.Ruleset) error {
	o := nftables.ApplyOptions{}
	if p, err := exec.LookPath("nft"); err == nil {
		o.Nft = p
	}
	res, err := nftables.Apply(rs, o)
	if res != nil {
		if rerr := report(e, res.Diags); rerr != nil {
			return fail(exitRules, "%d error(s) for nftables; nothing was loaded", len(res.Diags.Errors()))
		}
	}
	if res != nil && res.Fallback != "" {
		fmt.Fprintf(e.stderr, "note: %s\nnote: that statement is not covered by the netlink loader: loading with nft -f in one transaction instead\n", res.Fallback)
	}
	if err != nil {
		return systemError(err)
	}
	fmt.Fprintf(e.stderr, "loaded %d rules (%s) into %s in one transaction; only ruleshift's own tables were replaced\n",
		res.Rules, res.Method, strings.Join(res.Added, ", "))
	if len(res.Removed) > 0 {
		fmt.Fprintf(e.stderr, "removed ruleshift tables the input no longer defines: %s\n", strings.Join(res.Removed, ", "))
	}
	return nil
}

// variantOf maps an iptables backend name to its variant.
func variantOf(backend string) *ipbackend.Variant {
	if backend == distros.BackendLegacy {
		return ipbackend.Legacy
	}
	return ipbackend.NFT
}

// systemError gives kernel and tool refusals exit code 4 and render
// errors exit code 1.
func systemError(err error) error {
	if errors.Is(err, nftables.ErrRender) || errors.Is(err, ipbackend.ErrRender) {
		return fail(exitRules, "%v", err)
	}
	return fail(exitSystem, "%v", err)
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
