package passes

import (
	"strings"

	"github.com/ruleshift/ruleshift/translate/diag"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// NFTMaxJumpDepth is the deepest nesting of jumps nf_tables accepts from a
// base chain (NFT_JUMP_STACK_SIZE is 16 levels, the base chain being the
// first): nftables and iptables-nft refuse a table with a chain deeper
// ("Too many links"); iptables-legacy has no such limit.
const NFTMaxJumpDepth = 15

// Options tune Run.
type Options struct {
	// MaxJumpDepth, when above 0, makes a chain nested deeper than it an
	// error (a backend on nf_tables passes NFTMaxJumpDepth). At 0 a chain
	// deeper than NFTMaxJumpDepth is a warning.
	MaxJumpDepth int
}

// Run runs the checks every ruleset gets after loading, whatever the
// backend: the hook restrictions of matches and targets, jump loops
// (errors where a built-in chain reaches them, as the kernel refuses the
// table), user chains nothing reaches (warnings) and jump depth.
func Run(rs *ir.Ruleset, o Options) *diag.List {
	diags := &diag.List{}
	for _, t := range rs.Tables {
		g := Graph(t)
		checkHooks(g, diags)
		checkGraph(g, o, diags)
	}
	return diags
}

// firstLoopJump returns the first rule, in table order, that jumps from a
// chain of the loop to another, and the chain it is in.
func (g *ChainGraph) firstLoopJump(loop []string) (*ir.Rule, string) {
	for _, name := range loop {
		for _, r := range g.byName[name].Chain.Rules {
			if j, ok := r.Target.(*ir.Jump); ok && containsStr(loop, j.Chain) {
				return r, name
			}
		}
	}
	return &ir.Rule{}, loop[0] // cannot happen: a loop has a jump
}

// chainPos is where a chain was declared, or its table when unknown.
func (g *ChainGraph) chainPos(c *ir.Chain) ir.Pos {
	if c.Src.IsZero() {
		return g.Table.Src
	}
	return c.Src
}

func checkGraph(g *ChainGraph, o Options, diags *diag.List) {
	for _, loop := range g.Loops {
		r, from := g.firstLoopJump(loop)
		path := strings.Join(g.LoopPath(from), " -> ")
		if g.byName[from].Reachable() {
			diags.Report(diag.KernelCheck, r.Src, "jump loop %s: the kernel refuses a loop that a built-in chain reaches (\"too many levels of symbolic links\"; nf_tables: \"too many links\")", path)
		} else {
			diags.Report(diag.Unreachable, r.Src, "jump loop %s: no built-in chain reaches it yet, but the kernel refuses the table once one does", path)
		}
	}
	for _, n := range g.Nodes {
		if n.Chain.Base != nil || n.Reachable() {
			continue
		}
		if len(n.Callers) == 0 {
			diags.Report(diag.Unreachable, g.chainPos(n.Chain), "chain %s is never jumped to", n.Chain.Name)
		} else if !n.Loop {
			diags.Report(diag.Unreachable, g.chainPos(n.Chain), "chain %s is jumped to only from chains no built-in chain reaches", n.Chain.Name)
		}
	}
	var deep *Node
	for _, n := range g.Nodes {
		if n.Depth > NFTMaxJumpDepth && (deep == nil || n.Depth > deep.Depth) {
			deep = n
		}
	}
	if deep == nil {
		return
	}
	if o.MaxJumpDepth > 0 && deep.Depth > o.MaxJumpDepth {
		diags.Report(diag.KernelCheck, g.chainPos(deep.Chain), "chain %s is nested %d jumps deep: nf_tables refuses more than %d (too many links)", deep.Chain.Name, deep.Depth, o.MaxJumpDepth)
	} else if o.MaxJumpDepth == 0 {
		diags.Warnf(g.chainPos(deep.Chain), "chain %s is nested %d jumps deep: nftables and iptables-nft refuse more than %d (iptables-legacy loads it)", deep.Chain.Name, deep.Depth, NFTMaxJumpDepth)
	}
}
