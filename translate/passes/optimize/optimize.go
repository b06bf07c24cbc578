// Package optimize makes a ruleset smaller for nftables without changing
// any packet's fate: rules that differ in one field (source or
// destination address, source or destination port) become one rule that
// looks the field up in a set, also when other rules stand between them,
// as long as the packet-set engine (translate/passes/pktset) proves that
// moving a rule past each of those changes nothing (Chain.Commute: the
// two match no common packet, or both stop with the same verdict and
// have no side effects).
//
// What it never does, and why:
//   - merge rules whose matches keep state (limit, recent, quota …): a
//     token bucket or list per rule would become one for all;
//   - merge rules that do not stop the packet (LOG, MARK, a jump that
//     returns) unless their values are disjoint: a packet matching two
//     of them acts twice, the merged rule once;
//   - move a rule past one that changes a field a rule tests (MARK,
//     CONNMARK, CT, NOTRACK) or that overlaps it with another fate or
//     with side effects (a LOG would log other packets);
//   - touch a flag test, a negation or any other match: rules merge only
//     when everything but the one field is the same.
//
// A merged rule keeps the first source rule's place; counters of the
// source rules are summed into it. Rounds repeat so that rules merged on
// one field merge again on another (addresses, then ports: the
// cartesian product of the two lists, exact only because every pair was
// a rule).
//
// Before any merge, the rules that change no packet's fate go: jumps to
// empty chains, rules no packet reaches, rules that decide nothing
// (prune.go).
package optimize

import (
	"fmt"
	"sort"
	"strings"

	"github.com/ruleshift/ruleshift/translate/ir"
	"github.com/ruleshift/ruleshift/translate/passes/pktset"
)

// Report is what the optimiser did and did not do, for --explain.
type Report struct {
	// Removed lists the rules pruned before merging (prune.go).
	Removed []Removal
	Merges  []Merge
	Refused []Refusal
	// Before and After count the rules of the ruleset; Sets is the
	// number of address sets made.
	Before, After, Sets int
	seen                map[refusalKey]bool
}

type refusalKey struct {
	rule  ir.Pos
	field string
}

// refuse records refusals, each rule once per field with the first
// reason met: a rule of a long run of one shape is refused by every
// rule before it, and listing each pair would be quadratic.
func (r *Report) refuse(fs []Refusal) {
	for _, f := range fs {
		k := refusalKey{f.Rule, f.Field}
		if !r.seen[k] {
			r.seen[k] = true
			r.Refused = append(r.Refused, f)
		}
	}
}

// Merge is one group of rules made into one.
type Merge struct {
	Table, Chain string
	Family       ir.Family
	Field        string
	Elements     int
	Sources      []ir.Pos
	// Moves lists the source rules that moved up to the first one, with
	// the rules they passed and why that is safe.
	Moves []Move
}

// Move is a source rule and the rules it moved past.
type Move struct {
	Rule ir.Pos
	Past []Past
}

// Past is a rule a moved rule passed, and why no packet's fate changes.
type Past struct {
	Rule ir.Pos
	Why  string
}

// Refusal is a rule of the same shape as another that did not merge with it.
type Refusal struct {
	Rule, Into ir.Pos
	Field      string
	Why        string
}

// maxRounds bounds the rounds of merging.
const maxRounds = 3

// Ruleset returns the optimised ruleset; rs is not changed.
func Ruleset(rs *ir.Ruleset) (*ir.Ruleset, *Report) {
	rep := &Report{Before: rs.RuleCount(), seen: map[refusalKey]bool{}}
	out := &ir.Ruleset{}
	for _, t := range rs.Tables {
		out.Tables = append(out.Tables, table(prune(t, rep), rep))
	}
	rep.After = out.RuleCount()
	return out, rep
}

func table(t *ir.Table, rep *Report) *ir.Table {
	nt := *t
	nt.Sets = append([]*ir.Set(nil), t.Sets...)
	nt.Chains = make([]*ir.Chain, len(t.Chains))
	reg := newRegistry(&nt)
	pt := pktset.NewTable(t)
	for ci, c := range t.Chains {
		nc := *c
		if c.MirrorOf != "" {
			// A mirror repeats its raw chain's rules one for one.
			nt.Chains[ci] = &nc
			continue
		}
		items := make([]*item, len(c.Rules))
		for i, r := range c.Rules {
			items[i] = &item{cur: r, srcs: []*ir.Rule{r}, set: pt.Of(r)}
		}
		for round := 0; round < maxRounds; round++ {
			var merged bool
			items, merged = mergeRound(pt, &nt, c, items, reg, rep)
			if !merged {
				break
			}
		}
		items = concatRound(pt, &nt, c, items, reg, rep)
		items = mapRound(pt, &nt, c, items, reg, rep)
		nc.Rules = make([]*ir.Rule, len(items))
		for i, it := range items {
			nc.Rules[i] = it.cur
		}
		nt.Chains[ci] = &nc
	}
	rep.Sets += reg.declare(&nt)
	return &nt
}

// item is a rule of the chain being optimised: as it stands now, the
// source rules it was made of, and the packets it matches.
type item struct {
	cur  *ir.Rule
	srcs []*ir.Rule
	set  pktset.Set
}

type cand struct {
	h   hole
	v   value
	key string
	ok  bool
}

type group struct {
	f       field
	members []int
	moves   []Move
	refused []Refusal
	// work counts the candidates tried and the rules they were moved
	// past, which maxWork bounds.
	work int
}

// maxWork bounds the work of growing one group: without it, a chain
// of n rules of one shape that do not commute costs n² engine
// questions (a 100,000-rule chain would take hours). A candidate
// beyond it stays a rule of its own, which is always safe.
const maxWork = 2048

// maxRefused stops growing a group after this many candidates were
// refused: in a long run of rules of one shape that cannot move, every
// later one is refused for the same reason, each at the cost of the
// engine's questions and of a reason written out.
const maxRefused = 32

// after returns the members of a bucket (ascending) after rule i.
func after(bucket []int, i int) []int {
	return bucket[sort.SearchInts(bucket, i+1):]
}

func mergeRound(pt *pktset.Table, t *ir.Table, c *ir.Chain, items []*item, reg *registry, rep *Report) ([]*item, bool) {
	n := len(items)
	ch := engineChain(pt, c, items)
	ex := make([][numFields]cand, n)
	buckets := map[string][]int{}
	for i, it := range items {
		for f := field(0); f < numFields; f++ {
			h, v, ok := extract(it.cur, f, reg)
			if !ok {
				continue
			}
			k := shapeKey(it.cur, f, h, true)
			ex[i][f] = cand{h, v, k, true}
			buckets[k] = append(buckets[k], i)
		}
	}
	consumed := make([]bool, n)
	merged := false
	for i := 0; i < n; i++ {
		if consumed[i] {
			continue
		}
		var best *group
		var refused []Refusal
		for f := field(0); f < numFields; f++ {
			if !ex[i][f].ok {
				continue
			}
			g := grow(ch, items, ex, buckets[ex[i][f].key], consumed, i, f)
			refused = append(refused, g.refused...)
			if len(g.members) > 1 && (best == nil || len(g.members) > len(best.members)) {
				best = g
			}
		}
		if best == nil {
			rep.refuse(refused)
			continue
		}
		rep.refuse(best.refused)
		merged = true
		items[i] = combine(items, ex, best, reg)
		for _, j := range best.members[1:] {
			consumed[j] = true
		}
		m := Merge{Table: t.Name, Chain: c.Name, Family: t.Family, Field: best.f.String(), Moves: best.moves}
		v := union(best.f, values(ex, best))
		m.Elements = v.size()
		for _, r := range items[i].srcs {
			m.Sources = append(m.Sources, r.Src)
		}
		rep.Merges = append(rep.Merges, m)
	}
	out := items[:0]
	for i, it := range items {
		if !consumed[i] {
			out = append(out, it)
		}
	}
	return out, merged
}

func values(ex [][numFields]cand, g *group) []value {
	vs := make([]value, len(g.members))
	for k, j := range g.members {
		vs[k] = ex[j][g.f].v
	}
	return vs
}

// grow finds the rules after i of the same shape but field f that can
// join i's rule: each must move up to i past the rules between that
// stay, and, for a rule that does not simply stop packets, match none of
// the packets of the others.
func grow(ch *pktset.Chain, items []*item, ex [][numFields]cand, bucket []int, consumed []bool, i int, f field) *group {
	g := &group{f: f, members: []int{i}}
	anchor := &ch.Rules[i]
	in := map[int]bool{i: true}
	stopsOnly := anchor.Stops && !anchor.Effects && !anchor.Modifies
	for _, j := range after(bucket, i) {
		if g.work >= maxWork || len(g.refused) >= maxRefused {
			break
		}
		if consumed[j] {
			continue
		}
		ref := Refusal{Rule: items[j].srcs[0].Src, Into: items[i].srcs[0].Src, Field: f.String()}
		if anchor.Stateful {
			ref.Why = "a stateful match (limit, recent, quota …) keeps its state per rule"
			g.refused = append(g.refused, ref)
			continue
		}
		g.work += len(g.members) / 8
		if !stopsOnly && !disjointFrom(ex, g.members, j, f) {
			ref.Why = "the values overlap and the rule does not stop the packet: a packet matching both would get its target once instead of twice"
			g.refused = append(g.refused, ref)
			continue
		}
		g.admit(ch, items, consumed, in, i, j, ref)
	}
	return g
}

// admit adds rule j to the group of rule i when j can move up past every
// rule between them not already taken (the engine proves each pair
// commutes), recording the move; otherwise it records, in ref, the rule
// in the way and why.
func (g *group) admit(ch *pktset.Chain, items []*item, consumed []bool, in map[int]bool, i, j int, ref Refusal) {
	var past []Past
	g.work++
	for k := i + 1; k < j; k++ {
		if consumed[k] || in[k] {
			continue
		}
		if g.work++; g.work > maxWork {
			ref.Why = "too far to prove the move safe: a rule moves up past a bounded number of rules"
			g.refused = append(g.refused, ref)
			return
		}
		if !ch.Commute(k, j) {
			ref.Why = fmt.Sprintf("%s between them: %s", items[k].srcs[0].Src, blockReason(ch, k, j))
			g.refused = append(g.refused, ref)
			return
		}
		why := "disjoint"
		if ch.Overlap(k, j) != pktset.No {
			why = "both " + ch.Rules[j].Verdict
		}
		past = append(past, Past{Rule: items[k].srcs[0].Src, Why: why})
	}
	g.members = append(g.members, j)
	in[j] = true
	if len(past) > 0 {
		g.moves = append(g.moves, Move{Rule: items[j].srcs[0].Src, Past: past})
	}
}

func disjointFrom(ex [][numFields]cand, members []int, j int, f field) bool {
	for _, m := range members {
		if !disjoint(ex[m][f].v, ex[j][f].v) {
			return false
		}
	}
	return true
}

// blockReason says why rule j may not move past rule k.
func blockReason(ch *pktset.Chain, k, j int) string {
	a, b := &ch.Rules[k], &ch.Rules[j]
	switch {
	case a.Modifies:
		return "it may change a field the rules test (mark, conntrack state)"
	case b.Modifies:
		return "the later rule changes a field the rules test (mark, conntrack state)"
	case a.Stateful || b.Stateful:
		return "a stateful match (limit, recent, quota …) would see other packets"
	case a.Effects:
		return "it overlaps and has side effects (log, jump, a target that goes on)"
	case b.Effects:
		return "it overlaps, and the later rule has side effects"
	case a.Verdict == "" || b.Verdict == "":
		return "it may overlap, and the two fates cannot be compared"
	case a.Verdict != b.Verdict:
		return fmt.Sprintf("it overlaps and decides otherwise (%s, not %s)", a.Verdict, b.Verdict)
	}
	return "it may overlap"
}

// engineChain is the chain as the engine sees it: each item as its first
// source rule (same target, same matches but the merged fields) with the
// packets of all its source rules.
func engineChain(pt *pktset.Table, c *ir.Chain, items []*item) *pktset.Chain {
	tmp := &ir.Chain{Name: c.Name, Base: c.Base, Rules: make([]*ir.Rule, len(items))}
	for i, it := range items {
		tmp.Rules[i] = it.srcs[0]
	}
	ch := pt.Chain(tmp)
	for i, it := range items {
		ch.Rules[i].Set = it.set
	}
	return ch
}

// gathered is what the members of a group bring to their merged item:
// their source rules, their packets, their counters summed, and whether
// they share one comment (a merged rule keeps only a common one).
type gathered struct {
	srcs        []*ir.Rule
	set         pktset.Set
	cnt         *ir.Counters
	sameComment bool
}

func gather(items []*item, members []int) gathered {
	first := items[members[0]]
	g := gathered{set: pktset.Set{Opaque: first.set.Opaque}, sameComment: true}
	for _, j := range members {
		if items[j].cur.Comment() != first.cur.Comment() {
			g.sameComment = false
		}
		g.srcs = append(g.srcs, items[j].srcs...)
		g.set.Boxes = append(g.set.Boxes, items[j].set.Boxes...)
		if c := items[j].cur.Counters; c != nil {
			if g.cnt == nil {
				g.cnt = &ir.Counters{}
			}
			g.cnt.Packets += c.Packets
			g.cnt.Bytes += c.Bytes
		}
	}
	return g
}

// combine makes the merged item of a group.
func combine(items []*item, ex [][numFields]cand, g *group, reg *registry) *item {
	i := g.members[0]
	v := union(g.f, values(ex, g))
	m := gather(items, g.members)
	r := build(items[i].cur, g.f, ex[i][g.f].h, v, reg, m.sameComment)
	r.Counters = m.cnt
	return &item{cur: r, srcs: m.srcs, set: m.set}
}

// Lines is the report as --explain prints it: one line per removed
// rule, then one per merge, then one per refused candidate.
func (r *Report) Lines() []string {
	var out []string
	for _, m := range r.Removed {
		out = append(out, m.String())
	}
	for _, m := range r.Merges {
		var b strings.Builder
		fmt.Fprintf(&b, "%s: merged %d rules of %s %s %s into one (%s: %d elements):", m.Sources[0], len(m.Sources), m.Family, m.Table, m.Chain, m.Field, m.Elements)
		for k, s := range m.Sources {
			if k > 0 {
				b.WriteByte(',')
			}
			fmt.Fprintf(&b, " %s", s)
		}
		for _, mv := range m.Moves {
			fmt.Fprintf(&b, "; %s moved up past", mv.Rule)
			for k, p := range mv.Past {
				if k > 0 {
					b.WriteByte(',')
				}
				fmt.Fprintf(&b, " %s (%s)", p.Rule, p.Why)
			}
		}
		out = append(out, b.String())
	}
	for _, f := range r.Refused {
		out = append(out, fmt.Sprintf("%s: not merged with %s (%s): %s", f.Rule, f.Into, f.Field, f.Why))
	}
	removed := ""
	if len(r.Removed) > 0 {
		removed = fmt.Sprintf(" (%d removed)", len(r.Removed))
	}
	out = append(out, fmt.Sprintf("optimize: %d rules before, %d after%s, %d merges, %d address sets", r.Before, r.After, removed, len(r.Merges), r.Sets))
	return out
}
