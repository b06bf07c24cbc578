package optimize

import (
	"fmt"
	"sort"
	"strings"

	"github.com/ruleshift/ruleshift/translate/ir"
	"github.com/ruleshift/ruleshift/translate/passes/pktset"
)

// Pruning: before any merge, the rules whose removal changes no packet's
// fate go, of three kinds:
//
//   - a jump to a user chain without rules: the packet enters the chain,
//     meets its end and comes back, so the jump does nothing, unless one
//     of its matches keeps state (limit, recent --set, quota …: it runs
//     for the packets that reach it) or changes the packet (socket
//     --restore-skmark). A goto to an empty chain is not a no-op: it
//     returns from the calling chain. The empty chain stays declared;
//     a chain of such jumps alone empties in turn (rounds repeat);
//   - a rule no packet reaches (Dead): earlier rules of the chain whose
//     matches the engine models exactly, one or several together, stop
//     every packet it matches, and no rule between them changes a field
//     the rules test (mark, conntrack state). Such a rule may do
//     anything (log, jump, a stateful match: those run only for packets
//     that reach the match, pktset's Pre);
//   - a rule that decides nothing (Redundant): it stops with a verdict
//     and has no side effects (a counter aside), and every packet it
//     matches would, without it, meet only later rules that give the
//     same verdict without side effects before one of them, or the
//     chain's end, decides it the same way (the policy of a base chain;
//     RETURN of a user chain, which only a RETURN rule equals, or a goto
//     to an empty chain: it returns the same way). This is pktset's
//     RedundantBelow (lint's L10), bounded.
//
// Removals are made one at a time, each against the chain as the
// removals before it left it: dead rules from the top (a removed rule
// explains no other), then redundant ones from the bottom (a rule is
// judged with the rules below it already gone, so two twins, each
// redundant only given the other, lose one). A removed rule's counter
// is lost.
//
// Cost: each question looks at no more than window rules before or
// after the rule (plus the first catch-all above it), and the engine
// bounds each cover question itself, so that a 100,000-rule dump costs
// about linear time; past the window a rule simply stays.

// window bounds the rules a rule is compared with, before it (is it
// reached?) and after it (would they decide it the same way?).
const window = 256

// pruneRounds bounds the rounds: one round's removals (a chain emptied,
// a jump gone from between two rules) can enable the next round's.
const pruneRounds = 4

// Removal is a rule the optimiser removed, and why no packet's fate
// changes.
type Removal struct {
	Table, Chain string
	Family       ir.Family
	Rule         ir.Pos
	// Index is the rule's place in its chain as read (0-based), for rules
	// without a source position.
	Index int
	Why   string
}

// String is the removal as --explain prints it.
func (r Removal) String() string {
	at := r.Rule.String()
	if r.Rule.IsZero() {
		at = fmt.Sprintf("rule %d of %s %s %s", r.Index+1, r.Family, r.Table, r.Chain)
	}
	return fmt.Sprintf("%s: removed (%s)", at, r.Why)
}

// prune returns t without the rules that change no packet's fate,
// recording each in rep; t is not changed (chains that lose rules are
// copies).
func prune(t *ir.Table, rep *Report) *ir.Table {
	idx := map[*ir.Rule]int{}
	for _, c := range t.Chains {
		for i, r := range c.Rules {
			idx[r] = i
		}
	}
	p := &pruner{t: t, rep: rep, index: idx}
	for round := 0; round < pruneRounds; round++ {
		n := len(rep.Removed)
		p.jumps()
		p.chains()
		if len(rep.Removed) == n {
			break
		}
	}
	return p.t
}

type pruner struct {
	t     *ir.Table
	rep   *Report
	index map[*ir.Rule]int
	// copied: t is a copy made here, whose Chains may be replaced.
	copied bool
	// sets and idx are buffers of the cover questions.
	sets []*pktset.Set
	idx  []int
}

// remove records the removal of rule r of chain c.
func (p *pruner) remove(c *ir.Chain, r *ir.Rule, why string) {
	p.rep.Removed = append(p.rep.Removed, Removal{Table: p.t.Name, Chain: c.Name, Family: p.t.Family, Rule: r.Src, Index: p.index[r], Why: why})
}

// set replaces chain ci of the table by a copy holding rules, copying
// the table the first time: nothing of the input changes.
func (p *pruner) set(ci int, rules []*ir.Rule) {
	if !p.copied {
		nt := *p.t
		nt.Chains = append([]*ir.Chain(nil), p.t.Chains...)
		p.t = &nt
		p.copied = true
	}
	nc := *p.t.Chains[ci]
	nc.Rules = rules
	p.t.Chains[ci] = &nc
}

// empty returns the names of the user chains without rules.
func (p *pruner) empty() map[string]bool {
	empty := map[string]bool{}
	for _, c := range p.t.Chains {
		if c.Base == nil && c.MirrorOf == "" && len(c.Rules) == 0 {
			empty[c.Name] = true
		}
	}
	return empty
}

// gotoEmptyIsReturn tells the engine that a goto to an empty user chain,
// with matches that change nothing, is a RETURN: the packet meets the
// empty chain's end, which returns to where the calling chain's RETURN
// would (in a base chain, to its policy). So it can decide nothing
// before the end of a user chain, like a RETURN.
func gotoEmptyIsReturn(ch *pktset.Chain, empty map[string]bool) {
	for i := range ch.Rules {
		x := &ch.Rules[i]
		if x.Goto && empty[x.Jump] && !x.Modifies && !x.Stateful && quietMatches(x.R) {
			x.Verdict, x.Effects = "RETURN", false
		}
	}
}

// jumps removes the jumps to user chains without rules, again and again
// until none is left.
func (p *pruner) jumps() {
	for {
		empty := p.empty()
		if len(empty) == 0 {
			return
		}
		changed := false
		for ci, c := range p.t.Chains {
			if c.MirrorOf != "" {
				continue
			}
			var keep []*ir.Rule
			for i, r := range c.Rules {
				j, ok := r.Target.(*ir.Jump)
				if ok && !j.Goto && empty[j.Chain] && quietMatches(r) {
					if keep == nil {
						keep = append(make([]*ir.Rule, 0, len(c.Rules)), c.Rules[:i]...)
					}
					p.remove(c, r, fmt.Sprintf("a jump to %s, which has no rules: the packet comes back at once", j.Chain))
					continue
				}
				if keep != nil {
					keep = append(keep, r)
				}
			}
			if keep != nil {
				p.set(ci, keep)
				changed = true
			}
		}
		if !changed {
			return
		}
	}
}

// quietMatches reports whether evaluating the rule's matches changes
// nothing: no match keeps state per packet seen (limit, hashlimit,
// recent, quota, connlimit, statistic, nfacct, connlabel --set, an ipset
// lookup with its counters) or changes the packet.
func quietMatches(r *ir.Rule) bool {
	for _, m := range r.Matches {
		if !quiet(m) {
			return false
		}
	}
	return true
}

func quiet(m ir.Match) bool {
	switch m := m.(type) {
	case *ir.Limit, *ir.Hashlimit, *ir.Recent, *ir.Quota, *ir.ConnLimit, *ir.Statistic, *ir.NFAcct, *ir.ConnLabel, *ir.SetMatch:
		return false
	case *ir.Socket:
		return !m.RestoreSkMark
	}
	return true
}

// chains removes the dead and the redundant rules of every chain.
func (p *pruner) chains() {
	pt := pktset.NewTable(p.t)
	empty := p.empty()
	for ci, c := range p.t.Chains {
		if c.MirrorOf != "" || len(c.Rules) == 0 {
			continue
		}
		ch := pt.Chain(c)
		gotoEmptyIsReturn(ch, empty)
		gone := make([]bool, len(c.Rules))
		first := len(p.rep.Removed)
		kept := p.dead(ch, gone)
		p.redundant(ch, kept, gone)
		// In the order of the chain (redundant ones were found bottom up).
		rm := p.rep.Removed[first:]
		sort.SliceStable(rm, func(a, b int) bool { return rm[a].Index < rm[b].Index })
		if !anyTrue(gone) {
			continue
		}
		var rules []*ir.Rule
		for i, r := range c.Rules {
			if !gone[i] {
				rules = append(rules, r)
			}
		}
		p.set(ci, rules)
	}
}

func anyTrue(bs []bool) bool {
	for _, b := range bs {
		if b {
			return true
		}
	}
	return false
}

// changes reports whether rule x may change a field later rules test:
// the engine's Modifies, or a socket match restoring the mark.
func changes(x *pktset.Rule) bool {
	if x.Modifies {
		return true
	}
	for _, m := range x.R.Matches {
		if s, ok := m.(*ir.Socket); ok && s.RestoreSkMark {
			return true
		}
	}
	return false
}

// dead removes, from the top, the rules no packet reaches, marking them
// in gone, and returns the indexes of the rules kept.
func (p *pruner) dead(ch *pktset.Chain, gone []bool) []int {
	kept := make([]int, 0, len(ch.Rules))
	from := 0      // first place in kept whose matches still describe the packets
	catchAll := -1 // the first rule since from that stops every packet
	for i := range ch.Rules {
		x := &ch.Rules[i]
		s := &x.Set
		switch {
		case x.Stateful:
			// Its stateful match runs for the packets of Pre.
			s = &x.Pre
		case changes(x) && !x.Modifies:
			// A socket match restores the mark of packets it does
			// not match too: only a catch-all above keeps them away.
			all := pktset.All()
			s = &all
		}
		why := ""
		switch {
		case s.Empty():
			why = "it matches no packet: its conditions contradict each other"
		case catchAll >= 0:
			why = fmt.Sprintf("never reached: the catch-all %s decides every packet first", where(ch.C, catchAll))
		default:
			if ok, by := p.coveredEarlier(ch, kept[from:], s); ok {
				why = fmt.Sprintf("never reached: every packet it matches is stopped first by %s", wheres(ch.C, by))
			}
		}
		if why != "" {
			gone[i] = true
			p.remove(ch.C, x.R, why)
			continue
		}
		kept = append(kept, i)
		if changes(x) {
			from, catchAll = len(kept), -1
		} else if catchAll < 0 && x.Stops && x.Set.Universal() {
			catchAll = i
		}
	}
	return kept
}

// coveredEarlier reports whether the rules of prev (indexes of ch, in
// order), those of the last window that stop the packets they match
// and are modelled exactly, stop every packet of s; it returns those
// that do, in order.
func (p *pruner) coveredEarlier(ch *pktset.Chain, prev []int, s *pktset.Set) (bool, []int) {
	sets, idx := p.sets[:0], p.idx[:0]
	defer func() { p.sets, p.idx = sets[:0], idx[:0] }()
	for k := len(prev) - 1; k >= 0 && k >= len(prev)-window; k-- {
		e := &ch.Rules[prev[k]]
		if !e.Stops || !e.Set.Exact() || pktset.Overlap(&e.Set, s) == pktset.No {
			continue
		}
		sets = append(sets, &e.Set)
		idx = append(idx, prev[k])
	}
	if len(sets) == 0 {
		return false, nil
	}
	// Earliest first: the order the packets meet them.
	for a, b := 0, len(sets)-1; a < b; a, b = a+1, b-1 {
		sets[a], sets[b] = sets[b], sets[a]
		idx[a], idx[b] = idx[b], idx[a]
	}
	ok, used := ch.T.Covers(sets, s)
	if !ok {
		return false, nil
	}
	out := make([]int, len(used))
	for k, u := range used {
		out[k] = idx[u]
	}
	return true, out
}

// redundant removes, from the bottom, the rules of kept whose removal
// changes no packet's fate given the rules below them that stay,
// marking them in gone.
func (p *pruner) redundant(ch *pktset.Chain, kept []int, gone []bool) {
	end := ch.EndVerdict()
	// below holds the rules after the current one that stay, the nearest
	// last.
	below := make([]int, 0, len(kept))
	for k := len(kept) - 1; k >= 0; k-- {
		i := kept[k]
		if ok, by, byEnd := decidedBelow(ch, i, below, end); ok {
			gone[i] = true
			var from []string
			if len(by) > 0 {
				from = append(from, wheres(ch.C, by))
			}
			if byEnd {
				from = append(from, "the chain's end ("+endWord(ch.C)+")")
			}
			what := ""
			if x := &ch.Rules[i]; x.Goto {
				what = fmt.Sprintf(" (a goto to %s, which has no rules, returns)", x.Jump)
			}
			p.remove(ch.C, ch.Rules[i].R, fmt.Sprintf("it decides nothing%s: without it, its packets get %s from %s", what, ch.Rules[i].Verdict, strings.Join(from, " or ")))
			continue
		}
		below = append(below, i)
	}
}

// decidedBelow reports whether rule i can go because the rules of below
// (nearest last) or the chain's end would give each of its packets the
// same verdict, with no side effect on the way; it returns the rules
// that do, in order, and whether the chain's end is needed.
func decidedBelow(ch *pktset.Chain, i int, below []int, end string) (bool, []int, bool) {
	r := &ch.Rules[i]
	if !r.Stops || r.Verdict == "" || r.Effects || changes(r) || !r.Set.Exact() {
		return false, nil, false
	}
	var later []*pktset.Set
	var idx []int
	all := true // every rule to the chain's end was looked at, and fits
	for k := len(below) - 1; k >= 0; k-- {
		if len(below)-k > window {
			all = false
			break
		}
		j := below[k]
		o := &ch.Rules[j]
		// A rule that would see r's packets differently (its stateful
		// match would run for them, or it decides otherwise) is fine
		// only if the rules above it already take them all.
		bad := o.Stateful && pktset.Overlap(&r.Set, &o.Pre) != pktset.No
		if !bad && pktset.Overlap(&r.Set, &o.Set) == pktset.No {
			continue
		}
		if bad || !o.Stops || o.Verdict != r.Verdict || o.Effects || changes(o) {
			all = false
			break
		}
		later = append(later, &o.Set)
		idx = append(idx, j)
	}
	ok, used := ch.T.Covers(later, &r.Set)
	if !ok {
		// The rules below leave some packets to the chain's end.
		return all && end == r.Verdict, idx, true
	}
	out := make([]int, len(used))
	for k, u := range used {
		out[k] = idx[u]
	}
	return true, out, false
}

// endWord names the end of chain c: its policy, or RETURN.
func endWord(c *ir.Chain) string {
	if c.Base != nil {
		return "policy " + c.PolicyOf().String()
	}
	return "RETURN to the caller"
}

// where names rule i of chain c for a message: its position, or "rule N
// of CHAIN".
func where(c *ir.Chain, i int) string {
	if p := c.Rules[i].Src; !p.IsZero() {
		return p.String()
	}
	return fmt.Sprintf("rule %d of %s", i+1, c.Name)
}

func wheres(c *ir.Chain, idx []int) string {
	var s []string
	for _, i := range idx {
		s = append(s, where(c, i))
	}
	if len(s) > 4 {
		s = append(s[:4], fmt.Sprintf("and %d more", len(s)-4))
	}
	return strings.Join(s, ", ")
}
