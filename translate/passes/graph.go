// Package passes holds the functions from a ruleset to a ruleset plus
// diagnostics that run once for every backend: the chain graph and the
// checks built on it (hook restrictions, loops, unreachable chains, jump
// depth), normalisation, and the conntrack-helper mirror that backends on
// nftables run on raw tables (CtMirror). Every pass is pure: no I/O, no
// globals.
package passes

import (
	"strings"

	"github.com/ruleshift/ruleshift/translate/ir"
)

// HookSet is a set of netfilter hooks: bit h stands for ir.Hook h.
type HookSet uint8

// Hooks makes a set of the given hooks.
func Hooks(hs ...ir.Hook) HookSet {
	var s HookSet
	for _, h := range hs {
		s |= 1 << h
	}
	return s
}

// Has reports whether h is in the set.
func (s HookSet) Has(h ir.Hook) bool { return s&(1<<h) != 0 }

// List returns the hooks of the set in netfilter order.
func (s HookSet) List() []ir.Hook {
	var out []ir.Hook
	for h := ir.HookPrerouting; h <= ir.HookPostrouting; h++ {
		if s.Has(h) {
			out = append(out, h)
		}
	}
	return out
}

// String names the hooks the way iptables' chains are named and the
// kernel's messages print them: "OUTPUT/POSTROUTING".
func (s HookSet) String() string {
	var names []string
	for _, h := range s.List() {
		names = append(names, HookName(h))
	}
	return strings.Join(names, "/")
}

// HookName is the iptables built-in chain name of a hook.
func HookName(h ir.Hook) string { return strings.ToUpper(h.String()) }

// Site is one jump or goto: rule Rule (0-based) of chain From.
type Site struct {
	From string
	Rule int
	Goto bool
}

// Node is what the graph knows of one chain.
type Node struct {
	Chain *ir.Chain
	// Callers are the jumps and gotos to the chain, in table order.
	Callers []Site
	// Callees are the chains it jumps or goes to, each once, in rule order.
	Callees []string
	// Hooks are the hooks of the base chains that reach it, itself included.
	Hooks HookSet
	// MayReturn reports whether control can come back to the caller: some
	// path through the chain ends at its end or at a RETURN (through a
	// goto, at the end of the chain it went to). For a base chain it means
	// the policy may decide.
	MayReturn bool
	// Depth is the longest nesting of jumps and gotos from a base chain
	// (0 for a base chain, -1 when unreachable), not counting jumps
	// within a loop.
	Depth int
	// Loop is set when the chain is on a cycle of jumps.
	Loop bool

	via [ir.HookPostrouting + 1]Site // how each hook first reached the chain
	id  int                          // position in ChainGraph.Nodes
	// lastFrom is 1 + the id of the last chain that listed this one as a
	// callee, so that a chain jumping to thousands of chains (as
	// Kubernetes' KUBE-SERVICES does) dedupes its callees in constant time.
	lastFrom int
	out      []edge // the jumps and gotos, in rule order
	// stop is the first rule that ends every packet's walk (unconditional
	// and terminal), ret the first RETURN; -1 when there is none.
	stop, ret int
}

// edge is a jump or goto to an existing chain.
type edge struct {
	to     *Node
	rule   int
	goto_  bool
	uncond bool
}

// Reachable reports whether a base chain reaches the chain.
func (n *Node) Reachable() bool { return n.Hooks != 0 }

// ChainGraph is the jump graph of one table.
type ChainGraph struct {
	Table *ir.Table
	// Nodes are in the table's chain order.
	Nodes []*Node
	// Loops are the cycles of jumps: each the chains of one strongly
	// connected component, in table order.
	Loops [][]string
	// Missing are jumps to chains the table does not have.
	Missing []Site

	byName map[string]*Node
}

// Node returns the chain's node, or nil.
func (g *ChainGraph) Node(name string) *Node { return g.byName[name] }

// Graph builds the jump graph of a table.
func Graph(t *ir.Table) *ChainGraph {
	g := &ChainGraph{Table: t, Nodes: make([]*Node, len(t.Chains)), byName: make(map[string]*Node, len(t.Chains))}
	for i, c := range t.Chains {
		n := &Node{Chain: c, Depth: -1, id: i}
		g.Nodes[i] = n
		if g.byName[c.Name] == nil {
			g.byName[c.Name] = n
		}
	}
	for _, n := range g.Nodes {
		g.scan(n)
	}
	g.hooks()
	g.loops()
	memo := make([]int8, len(g.Nodes))
	for _, n := range g.Nodes {
		n.MayReturn = g.mayReturn(n, memo)
	}
	return g
}

// scan reads a chain's rules once: its jumps, and the first RETURN and
// the first rule that ends every packet's walk, which is all mayReturn
// needs.
func (g *ChainGraph) scan(n *Node) {
	n.stop, n.ret = -1, -1
	c := n.Chain
	for i, r := range c.Rules {
		switch t := r.Target.(type) {
		case *ir.Jump:
			s := Site{From: c.Name, Rule: i, Goto: t.Goto}
			d := g.byName[t.Chain]
			if d == nil {
				g.Missing = append(g.Missing, s)
				continue
			}
			d.Callers = append(d.Callers, s)
			if d.lastFrom != n.id+1 {
				d.lastFrom = n.id + 1
				n.Callees = append(n.Callees, t.Chain)
			}
			n.out = append(n.out, edge{to: d, rule: i, goto_: t.Goto, uncond: n.stop < 0 && Unconditional(r)})
		case *ir.Verdict:
			if t.Kind == ir.Return {
				if n.ret < 0 {
					n.ret = i
				}
			} else if n.stop < 0 && Unconditional(r) {
				n.stop = i
			}
		default:
			if n.stop < 0 && Terminal(t) && Unconditional(r) {
				n.stop = i
			}
		}
	}
}

// containsStr is a linear search, for the short lists of a loop.
func containsStr(s []string, v string) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// hooks spreads the hooks of the base chains along the jumps, remembering
// for each chain and hook the first jump that brought the hook, so that a
// path from the hook can be told back.
func (g *ChainGraph) hooks() {
	var queue []*Node
	for _, n := range g.Nodes {
		if b := n.Chain.Base; b != nil && b.Hook <= ir.HookPostrouting {
			n.Hooks |= Hooks(b.Hook)
			queue = append(queue, n)
		}
	}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, e := range n.out {
			d := e.to
			add := n.Hooks &^ d.Hooks
			if add == 0 {
				continue
			}
			for _, h := range add.List() {
				d.via[h] = Site{From: n.Chain.Name, Rule: e.rule, Goto: e.goto_}
			}
			d.Hooks |= add
			queue = append(queue, d)
		}
	}
}

// PathFrom returns the chains from the base chain of hook h to the named
// chain, both included, along the jumps that first brought h there; nil
// when h does not reach it.
func (g *ChainGraph) PathFrom(name string, h ir.Hook) []string {
	n := g.byName[name]
	if n == nil || h > ir.HookPostrouting || !n.Hooks.Has(h) {
		return nil
	}
	path := []string{name}
	for n.Chain.Base == nil || n.Chain.Base.Hook != h {
		n = g.byName[n.via[h].From]
		if n == nil || len(path) > len(g.Nodes) {
			return nil // cannot happen but with two chains of one name
		}
		path = append(path, n.Chain.Name)
	}
	for i, j := 0, len(path)-1; i < j; i, j = i+1, j-1 {
		path[i], path[j] = path[j], path[i]
	}
	return path
}

// loops finds the cycles of jumps (Tarjan's strongly connected components)
// and the jump depth of every chain, which needs the components in
// topological order, as Tarjan yields them reversed.
func (g *ChainGraph) loops() {
	nn := len(g.Nodes)
	index, low, comp := make([]int, nn), make([]int, nn), make([]int, nn)
	on := make([]bool, nn)
	var stack []*Node
	var sccs [][]*Node
	next := 0
	var visit func(n *Node)
	visit = func(n *Node) {
		next++
		index[n.id], low[n.id] = next, next
		stack = append(stack, n)
		on[n.id] = true
		for _, name := range n.Callees {
			d := g.byName[name]
			if index[d.id] == 0 {
				visit(d)
				low[n.id] = min(low[n.id], low[d.id])
			} else if on[d.id] {
				low[n.id] = min(low[n.id], index[d.id])
			}
		}
		if low[n.id] != index[n.id] {
			return
		}
		var scc []*Node
		for {
			d := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			on[d.id] = false
			comp[d.id] = len(sccs)
			scc = append(scc, d)
			if d == n {
				break
			}
		}
		sccs = append(sccs, scc)
	}
	for _, n := range g.Nodes {
		if index[n.id] == 0 {
			visit(n)
		}
	}
	for _, scc := range sccs {
		if len(scc) == 1 && !containsStr(scc[0].Callees, scc[0].Chain.Name) {
			continue
		}
		var names []string
		for _, n := range g.Nodes {
			if comp[n.id] == comp[scc[0].id] {
				n.Loop = true
				names = append(names, n.Chain.Name)
			}
		}
		g.Loops = append(g.Loops, names)
	}
	for _, n := range g.Nodes {
		if n.Chain.Base != nil {
			n.Depth = 0
		}
	}
	for i := len(sccs) - 1; i >= 0; i-- {
		for _, n := range sccs[i] {
			if n.Depth < 0 {
				continue
			}
			for _, name := range n.Callees {
				if d := g.byName[name]; comp[d.id] != comp[n.id] {
					d.Depth = max(d.Depth, n.Depth+1)
				}
			}
		}
	}
}

// LoopPath returns one cycle through the loop that holds chain name, as
// chain names starting and ending with name; nil when it is on none.
func (g *ChainGraph) LoopPath(name string) []string {
	start := g.byName[name]
	if start == nil || !start.Loop {
		return nil
	}
	prev := map[*Node]*Node{}
	queue := []*Node{start}
	seen := map[*Node]bool{}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, c := range n.Callees {
			d := g.byName[c]
			if !d.Loop {
				continue
			}
			if d == start {
				path := []string{start.Chain.Name}
				for x := n; x != start; x = prev[x] {
					path = append(path, x.Chain.Name)
				}
				path = append(path, start.Chain.Name)
				for i, j := 0, len(path)-1; i < j; i, j = i+1, j-1 {
					path[i], path[j] = path[j], path[i]
				}
				return path
			}
			if !seen[d] {
				seen[d] = true
				prev[d] = n
				queue = append(queue, d)
			}
		}
	}
	return nil
}

// mayReturn tells whether control can come back from chain n. memo holds
// 1 for true, 2 for false and 3 while n is being decided: a loop is
// assumed to return, which errs on the side of more paths.
func (g *ChainGraph) mayReturn(n *Node, memo []int8) bool {
	switch memo[n.id] {
	case 1, 3:
		return true
	case 2:
		return false
	}
	memo[n.id] = 3
	end := len(n.Chain.Rules)
	if n.stop >= 0 {
		end = n.stop
	}
	if n.ret >= 0 && n.ret < end {
		end = n.ret
	}
	v := n.stop < 0 || n.ret >= 0 && n.ret < n.stop
	for _, e := range n.out {
		if e.rule >= end {
			break
		}
		back := g.mayReturn(e.to, memo)
		if e.goto_ && back {
			v = true // the callee's end returns to our caller
			break
		}
		if e.uncond && (e.goto_ || !back) {
			v = false
			break
		}
	}
	if v {
		memo[n.id] = 1
	} else {
		memo[n.id] = 2
	}
	return v
}

// Unconditional reports whether every packet matches the rule: it has no
// matches but comments.
func Unconditional(r *ir.Rule) bool {
	for _, m := range r.Matches {
		if _, ok := m.(*ir.Comment); !ok {
			return false
		}
	}
	return true
}

// Terminal reports whether a target ends the table's evaluation of a
// packet it is applied to: a verdict (but RETURN), REJECT, the NAT
// targets, TPROXY and NFQUEUE. The others continue with the next rule.
func Terminal(t ir.Target) bool {
	switch t := t.(type) {
	case *ir.Verdict:
		return t.Kind != ir.Return
	case *ir.Reject, *ir.SNAT, *ir.DNAT, *ir.Masquerade, *ir.Redirect, *ir.Netmap, *ir.TProxy, *ir.NFQueue:
		return true
	}
	return false
}

// Holding returns the chains that hold a rule for which pred holds, in
// themselves or in a chain they jump or go to, directly or not: the
// question "can this chain lead to X" for every chain at once, in one walk
// of the rules and one of the callers.
func (g *ChainGraph) Holding(pred func(*ir.Rule) bool) map[string]bool {
	out := map[string]bool{}
	var queue []*Node
	for _, n := range g.Nodes {
		for _, r := range n.Chain.Rules {
			if pred(r) {
				if !out[n.Chain.Name] {
					out[n.Chain.Name] = true
					queue = append(queue, n)
				}
				break
			}
		}
	}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, s := range n.Callers {
			if !out[s.From] {
				out[s.From] = true
				queue = append(queue, g.byName[s.From])
			}
		}
	}
	return out
}
