package pktset

import (
	"github.com/ruleshift/ruleshift/translate/ir"
	"github.com/ruleshift/ruleshift/translate/passes"
)

// Table holds what the engine needs to know of one table: its packet
// space and chain graph, and which chains may change a field a later rule
// tests.
type Table struct {
	*Space
	T     *ir.Table
	Graph *passes.ChainGraph
	// modifies holds the chains that hold, or lead to, a rule changing a
	// modelled field of the packet (mark, conntrack state).
	modifies map[string]bool
	chains   map[*ir.Chain]*Chain
}

// NewTable prepares the analysis of one table.
func NewTable(t *ir.Table) *Table {
	g := passes.Graph(t)
	sp := NewSpace(t.Family == ir.IPv6)
	sp.Inet = t.Family == ir.Inet
	return &Table{
		Space:    sp,
		T:        t,
		Graph:    g,
		modifies: g.Holding(func(r *ir.Rule) bool { return modifiesTarget(r.Target) }),
		chains:   map[*ir.Chain]*Chain{},
	}
}

// modifiesTarget reports whether a target changes a field the engine
// models: the mark, or the conntrack state (CT, NOTRACK). Targets the
// engine does not know are taken to.
func modifiesTarget(t ir.Target) bool {
	switch t := t.(type) {
	case nil, *ir.Verdict, *ir.Jump, *ir.Reject, *ir.Log, *ir.NFLog, *ir.TCPMSS, *ir.Checksum,
		*ir.TTL, *ir.HL, *ir.DSCP, *ir.TOS, *ir.Classify, *ir.Audit, *ir.Trace, *ir.SetTarget,
		*ir.SNAT, *ir.DNAT, *ir.NATMap, *ir.Masquerade, *ir.Redirect, *ir.Netmap, *ir.NFQueue, *ir.SynProxy, *ir.Tee:
		return false
	case *ir.ConnMarkTarget:
		return t.Mode == ir.ConnMarkRestore
	}
	return true
}

// Rule is one rule as the engine sees it.
type Rule struct {
	R   *ir.Rule
	Set Set
	// Stops: no packet the rule matches goes on to the next rule of the
	// chain (a verdict, RETURN, REJECT, a goto, a NAT target, a jump to
	// a chain that never returns).
	Stops bool
	// Verdict names the fate the rule gives ("ACCEPT", "DROP",
	// "REJECT icmp-port-unreachable", "RETURN"); "" when two rules'
	// fates cannot be compared by name (jumps, NAT, queues).
	Verdict string
	// Modifies: the rule (or a chain it leads to) may change a field
	// later rules test, so what earlier rules matched says nothing of
	// what later ones see.
	Modifies bool
	// Effects: the rule does something besides deciding (logs, updates a
	// rate limit, a recent list, a set), so its order matters.
	Effects bool
	// Stateful: a match of the rule changes state when it is evaluated
	// (limit, recent, quota …), which happens to packets the rule does
	// not match too: iptables evaluates matches in order and stops at
	// the first that fails, so such a match may run before the one that
	// fails. Which packets reach the rule therefore matters.
	Stateful bool
	// Pre is, for a Stateful rule, the packets that get as far as its
	// first stateful match: those of the matches written before it (the
	// model keeps the order they were written in; iptables checks -s,
	// -d, -i, -o, -p and -f first wherever they are written, so this may
	// hold more packets than reach it, never fewer).
	Pre Set
	// Jump is the chain a jump or goto leads to.
	Jump string
	Goto bool
}

// Chain is the analysis of one chain's rules.
type Chain struct {
	T     *Table
	C     *ir.Chain
	Rules []Rule
	// dead[i] records that rule i is never reached (or matches nothing),
	// for the first len(dead) rules: such a rule stops no packet, so it
	// never explains why another is not reached.
	dead []bool
}

// Chain analyses a chain of the table (once; later calls return the same).
func (t *Table) Chain(c *ir.Chain) *Chain {
	if ch := t.chains[c]; ch != nil {
		return ch
	}
	ch := &Chain{T: t, C: c, Rules: make([]Rule, len(c.Rules))}
	for i, r := range c.Rules {
		ch.Rules[i] = t.rule(r)
	}
	t.chains[c] = ch
	return ch
}

func (t *Table) rule(r *ir.Rule) Rule {
	x := Rule{R: r, Set: t.Of(r), Stops: passes.Terminal(r.Target), Modifies: modifiesTarget(r.Target)}
	for k, m := range r.Matches {
		switch m.(type) {
		case *ir.Limit, *ir.Hashlimit, *ir.Recent, *ir.Quota, *ir.ConnLimit, *ir.Statistic, *ir.NFAcct, *ir.ConnLabel, *ir.SetMatch:
			if !x.Stateful {
				x.Pre = t.Of(&ir.Rule{Matches: r.Matches[:k]})
			}
			x.Effects, x.Stateful = true, true
		}
	}
	switch tg := r.Target.(type) {
	case *ir.Verdict:
		x.Verdict = string(tg.Kind)
		x.Stops = true
	case *ir.Reject:
		x.Verdict = "REJECT " + string(tg.With)
	case *ir.Log, *ir.NFLog, *ir.SetTarget, *ir.Audit, *ir.Trace, *ir.Tee:
		x.Effects = true
	case *ir.Jump:
		x.Jump, x.Goto = tg.Chain, tg.Goto
		x.Modifies = t.modifies[tg.Chain]
		x.Effects = true // whatever the chain does, it does again
		n := t.Graph.Node(tg.Chain)
		x.Stops = tg.Goto || n != nil && !n.MayReturn
	}
	if !x.Stops && r.Target != nil && !x.Modifies {
		if _, ok := r.Target.(*ir.Jump); !ok {
			x.Effects = true // a non-terminal target changes the packet or logs it
		}
	}
	return x
}

// reset returns the first rule whose matches still describe the packets
// that reach rule i: the one after the last rule before i that may change
// a modelled field.
func (c *Chain) reset(i int) int {
	for j := i - 1; j >= 0; j-- {
		if c.Rules[j].Modifies {
			return j + 1
		}
	}
	return 0
}

// CoveredBy reports whether no packet that rule i matches reaches it:
// earlier rules, one or several together, stop every such packet. It
// returns their indexes: rules giving the same verdict as rule i when
// they suffice, and no rule that is itself never reached.
func (c *Chain) CoveredBy(i int) (bool, []int) {
	c.settle(i)
	return c.coveredSet(i, &c.Rules[i].Set)
}

// settle computes dead for the rules before i.
func (c *Chain) settle(i int) {
	for k := len(c.dead); k < i; k++ {
		r := &c.Rules[k]
		// A rule runs its stateful matches for packets it does not
		// match too (those of Pre): it can go only when none of those
		// reach it.
		s := &r.Set
		if r.Stateful {
			s = &r.Pre
		}
		d := s.Empty()
		if !d {
			d, _ = c.coveredSet(k, s)
		}
		c.dead = append(c.dead, d)
	}
}

func (c *Chain) coveredSet(i int, s *Set) (bool, []int) {
	ok, by := c.coveredWith(i, s, func(*Rule) bool { return true })
	if !ok {
		return false, nil
	}
	// Covered: rules of the same verdict alone, if they suffice, make the
	// better explanation (redundant rather than shadowed).
	if v := c.Rules[i].Verdict; v != "" {
		if ok, same := c.coveredWith(i, s, func(e *Rule) bool { return e.Verdict == v }); ok {
			return true, same
		}
	}
	return true, by
}

func (c *Chain) coveredWith(i int, s *Set, keep func(*Rule) bool) (bool, []int) {
	var sets []*Set
	var idx []int
	for j := c.reset(i); j < i; j++ {
		e := &c.Rules[j]
		if !e.Stops || !e.Set.Exact() || c.dead[j] || !keep(e) || Overlap(&e.Set, s) == No {
			continue
		}
		sets = append(sets, &e.Set)
		idx = append(idx, j)
	}
	ok, used := c.T.Covers(sets, s)
	if !ok {
		return false, nil
	}
	out := make([]int, len(used))
	for k, u := range used {
		out[k] = idx[u]
	}
	return true, out
}

// CoveredIn is CoveredBy for the packets of rule i that are also in q:
// whether earlier rules stop all of those.
func (c *Chain) CoveredIn(i int, q Box) (bool, []int) {
	s := Set{Boxes: nil}
	for k := range c.Rules[i].Set.Boxes {
		if x := c.Rules[i].Set.Boxes[k].Intersect(&q); !x.Empty() {
			s.Boxes = append(s.Boxes, x)
		}
	}
	if len(s.Boxes) == 0 {
		return false, nil
	}
	c.settle(i)
	return c.coveredSet(i, &s)
}

// Overlap tells whether a packet can match both rules i and j.
func (c *Chain) Overlap(i, j int) Tri { return Overlap(&c.Rules[i].Set, &c.Rules[j].Set) }

// Commute reports whether rules i and j may swap places without changing
// any packet's fate or the effects seen: their matches are disjoint and
// neither changes a field, or both stop with the same named verdict and
// neither has effects; and neither's stateful match would see packets of
// the other it did not see before.
func (c *Chain) Commute(i, j int) bool {
	a, b := &c.Rules[i], &c.Rules[j]
	if a.Modifies || b.Modifies {
		return false
	}
	// Packets of one that reach the other's stateful match must still
	// reach it after the swap: refuse when they could.
	if a.Stateful && Overlap(&b.Set, &a.Pre) != No || b.Stateful && Overlap(&a.Set, &b.Pre) != No {
		return false
	}
	if c.Overlap(i, j) == No {
		return true
	}
	return a.Stops && b.Stops && a.Verdict != "" && a.Verdict == b.Verdict && !a.Effects && !b.Effects
}

// EndVerdict is the fate of a packet that passes every rule: the policy
// of a base chain, RETURN for a user chain.
func (c *Chain) EndVerdict() string {
	switch c.C.PolicyOf() {
	case ir.PolicyAccept:
		return "ACCEPT"
	case ir.PolicyDrop:
		return "DROP"
	}
	return "RETURN"
}

// Dead reports whether rule i can go: no packet it matches reaches it
// (or it matches none), and no packet reaches a stateful match of it.
func (c *Chain) Dead(i int) bool {
	c.settle(i + 1)
	return c.dead[i]
}

// RedundantBelow reports whether rule i can go without changing any
// packet's fate: it stops with a verdict, has no effects, and every packet
// it matches would get the same verdict from the later rules it overlaps
// (all stopping with that verdict) or from the chain's end. Later rules
// for which gone is true are taken as removed. It returns the later rules
// that explain it (none when the chain's end does).
//
// Two rules can each be redundant because of the other (a REJECT and the
// same REJECT again): gone keeps a set of removals sound together, see
// Removable.
func (c *Chain) RedundantBelow(i int, gone func(j int) bool) (bool, []int) {
	r := &c.Rules[i]
	if !r.Stops || r.Verdict == "" || r.Effects || r.Modifies || !r.Set.Exact() {
		return false, nil
	}
	var later []*Set
	var idx []int
	for j := i + 1; j < len(c.Rules); j++ {
		o := &c.Rules[j]
		if gone != nil && gone(j) {
			continue
		}
		if o.Stateful && Overlap(&r.Set, &o.Pre) != No {
			// Without rule i its packets would reach o and could run
			// o's stateful match, even when o does not match them.
			return false, nil
		}
		if Overlap(&r.Set, &o.Set) == No {
			continue
		}
		if !o.Stops || o.Verdict != r.Verdict || o.Effects || o.Modifies {
			return false, nil
		}
		later = append(later, &o.Set)
		idx = append(idx, j)
	}
	if c.EndVerdict() == r.Verdict {
		return true, idx
	}
	ok, used := c.T.Covers(later, &r.Set)
	if !ok {
		return false, nil
	}
	out := make([]int, len(used))
	for k, u := range used {
		out[k] = idx[u]
	}
	return true, out
}

// Removable returns the rules that can all go at once without changing
// any packet's fate: the dead ones (each explained by rules that are
// not), then, from the last rule up, those RedundantBelow in the chain
// without the rules already chosen.
func (c *Chain) Removable() []bool {
	out := make([]bool, len(c.Rules))
	for i := range c.Rules {
		out[i] = c.Dead(i)
	}
	for i := len(c.Rules) - 1; i >= 0; i-- {
		if !out[i] {
			out[i], _ = c.RedundantBelow(i, func(j int) bool { return out[j] })
		}
	}
	return out
}
