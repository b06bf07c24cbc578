package main

import (
	"fmt"

	"github.com/ruleshift/ruleshift/backends/nftables"
	"github.com/ruleshift/ruleshift/translate/ir"
	"github.com/ruleshift/ruleshift/translate/passes"
	"github.com/ruleshift/ruleshift/translate/passes/optimize"
)

// optimizeFlags are --optimize and --explain of translate, apply and
// persist: the optimiser (translate/passes/optimize) for the nftables
// backend.
type optimizeFlags struct {
	Optimize bool `help:"nftables: merge rules that differ in one field into set lookups (also across rules in between, where that changes no packet's fate), and IPv4 and IPv6 tables into one inet table. Other backends ignore it."`
	Explain  bool `help:"With --optimize: print each merge with the FILE:LINE of its rules and why moving them is safe, and each rule that could not merge and why (standard error)."`
}

// apply passes the flags to the input's load.
func (o optimizeFlags) apply(f *inputFlags) error {
	if o.Explain && !o.Optimize {
		return fail(exitUsage, "--explain explains --optimize: give both")
	}
	f.opt = o
	return nil
}

// optimized runs the optimiser when the flags ask for it and the backend
// is nftables (hostSets is set for nftables alone), then merges the
// families into inet tables. Other backends render rule by rule, as
// iptables has them, so the flag is only noted.
func (f *inputFlags) optimized(e *env, rs *ir.Ruleset) *ir.Ruleset {
	if !f.opt.Optimize {
		return rs
	}
	if !f.hostSets {
		fmt.Fprintln(e.stderr, "ruleshift: --optimize: only nftables output is optimised; this backend gets the rules as they are")
		return rs
	}
	out, rep := optimize.Ruleset(rs)
	n := len(out.Tables)
	out = passes.MergeInet(out, nftables.SameInBoth)
	if f.opt.Explain {
		for _, l := range rep.Lines() {
			fmt.Fprintln(e.stderr, l)
		}
		if m := n - len(out.Tables); m > 0 {
			fmt.Fprintf(e.stderr, "optimize: %d IPv4 and IPv6 table pairs merged into inet tables (rules the same for both families kept once)\n", m)
		}
	}
	return out
}
