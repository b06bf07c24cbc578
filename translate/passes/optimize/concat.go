package optimize

import (
	"slices"

	"github.com/ruleshift/ruleshift/translate/ir"
	"github.com/ruleshift/ruleshift/translate/passes/pktset"
)

// Concatenations: after the set merges, rules with the same target that
// differ in two or more fields (not only as every combination of their
// values, which the set rounds already made one rule) become one rule
// looking the fields up together: "ip saddr . ip daddr { a . b, c . d }".
// Moves and refusals are those of a set merge; a packet matches the
// merged rule exactly when it matched one of the rules.

// maxTuples bounds the elements of one concatenation (a merged rule's
// values expand to every combination).
const maxTuples = 4096

// holes finds the rule's tests of every field it has. Two fields may sit
// in one match only as sport and dport of one tcp or udp match: both then
// leave what is left of it without either, and they vary together.
func holes(r *ir.Rule, reg *registry) (fs []field, hs []hole, vs []value, ok bool) {
	used := map[int]int{}
	for f := field(0); f < numFields; f++ {
		h, v, found := extract(r, f, reg)
		if !found {
			continue
		}
		if k, dup := used[h.idx]; dup {
			rest, empty, ok := withoutPorts(r.Matches[h.idx])
			if !ok {
				return nil, nil, nil, false
			}
			hs[k].rest, hs[k].empty = rest, empty
			h.rest, h.empty = rest, empty
		}
		used[h.idx] = len(fs)
		fs, hs, vs = append(fs, f), append(hs, h), append(vs, v)
	}
	return fs, hs, vs, len(fs) >= 2
}

// withoutPorts is a tcp or udp match without its ports.
func withoutPorts(m ir.Match) (ir.Match, bool, bool) {
	_, _, noSrc, _ := portTest(m, true)
	if noSrc == nil {
		return nil, false, false
	}
	_, _, rest, empty := portTest(noSrc, false)
	return rest, empty, true
}

// sharing adds to vary the fields whose test sits in the match of a
// varying field: the merged rule takes that match out whole.
func sharing(t *tuple, vary []int) []int {
	in := map[int]bool{}
	for _, k := range vary {
		in[k] = true
	}
	out := append([]int(nil), vary...)
	for k := range t.fs {
		if in[k] {
			continue
		}
		for _, x := range vary {
			if t.hs[k].idx == t.hs[x].idx {
				out, in[k] = append(out, k), true
				break
			}
		}
	}
	slices.Sort(out)
	return out
}

// multiKey is shapeKey with every field of fs taken out.
func multiKey(r *ir.Rule, fs []field, hs []hole) string {
	b := []byte{0xfc}
	for _, f := range fs {
		b = append(b, byte(f))
	}
	at := map[int]hole{}
	for _, h := range hs {
		at[h.idx] = h
	}
	for i, m := range r.Matches {
		if _, ok := m.(*ir.Comment); ok || emptyL4(m) {
			continue
		}
		if h, ok := at[i]; ok {
			b = append(b, 0xfe)
			if h.rest != nil && !h.empty {
				b = appendKey(b, h.rest)
			}
			continue
		}
		b = appendKey(b, m)
	}
	b = append(b, 0xfd)
	b = appendKey(b, r.Target)
	return string(b)
}

type tuple struct {
	fs []field
	hs []hole
	vs []value
}

// concatRound merges the items of a chain into concatenations.
func concatRound(pt *pktset.Table, t *ir.Table, c *ir.Chain, items []*item, reg *registry, rep *Report) []*item {
	n := len(items)
	ch := engineChain(pt, c, items)
	tu := make([]*tuple, n)
	keys := make([]string, n)
	buckets := map[string][]int{}
	for i, it := range items {
		if ch.Rules[i].Stateful {
			continue
		}
		fs, hs, vs, ok := holes(it.cur, reg)
		if !ok {
			continue
		}
		tu[i] = &tuple{fs, hs, vs}
		keys[i] = multiKey(it.cur, fs, hs)
		buckets[keys[i]] = append(buckets[keys[i]], i)
	}
	consumed := make([]bool, n)
	for i := 0; i < n; i++ {
		if consumed[i] || tu[i] == nil {
			continue
		}
		g := growConcat(ch, items, tu, buckets[keys[i]], consumed, i)
		vary := sharing(tu[i], varying(tu, g.members))
		if len(g.members) < 2 || len(vary) < 2 || combos(tu, g.members, vary) > maxTuples || stateWithRange(tu, g.members, vary) {
			continue
		}
		rep.refuse(g.refused)
		m := Merge{Table: t.Name, Chain: c.Name, Family: t.Family, Moves: g.moves}
		for k, x := range vary {
			if k > 0 {
				m.Field += " . "
			}
			m.Field += tu[i].fs[x].String()
		}
		items[i] = combineConcat(items, tu, g.members, vary)
		m.Elements = len(items[i].cur.Matches[tuplesAt(items[i].cur)].(*ir.Tuples).Elems)
		for _, j := range g.members[1:] {
			consumed[j] = true
		}
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
	return out
}

func tuplesAt(r *ir.Rule) int {
	for i, m := range r.Matches {
		if _, ok := m.(*ir.Tuples); ok {
			return i
		}
	}
	return -1
}

// growConcat is grow over a tuple of fields.
func growConcat(ch *pktset.Chain, items []*item, tu []*tuple, bucket []int, consumed []bool, i int) *group {
	g := &group{members: []int{i}}
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
		ref := Refusal{Rule: items[j].srcs[0].Src, Into: items[i].srcs[0].Src, Field: "concatenation"}
		if !stopsOnly {
			clash := false
			for _, m := range g.members {
				if tuplesOverlap(tu[m], tu[j]) {
					clash = true
				}
			}
			if clash {
				ref.Why = "the values overlap and the rule does not stop the packet: a packet matching both would get its target once instead of twice"
				g.refused = append(g.refused, ref)
				continue
			}
		}
		g.admit(ch, items, consumed, in, i, j, ref)
	}
	return g
}

// tuplesOverlap: some packet has a value of each field in both.
func tuplesOverlap(a, b *tuple) bool {
	for k := range a.fs {
		if disjoint(a.vs[k], b.vs[k]) {
			return false
		}
	}
	return true
}

// varying lists the fields (indexes into the tuple) whose values are not
// the same in every member.
func varying(tu []*tuple, members []int) []int {
	var out []int
	first := tu[members[0]]
	for k := range first.fs {
		key := valueKey(first.vs[k])
		for _, j := range members[1:] {
			if valueKey(tu[j].vs[k]) != key {
				out = append(out, k)
				break
			}
		}
	}
	return out
}

func valueKey(v value) string {
	return string(appendKey(nil, v.addrs)) + "|" + string(appendKey(nil, v.ports)) + "|" + string(appendKey(nil, v.vals))
}

// stateWithRange reports whether a concatenation would hold a conntrack
// state beside a range or prefix: nft 1.0.6 keeps such a set in network
// order and then lists the states as hex numbers (0x2000000 for
// established), which no reader should meet.
func stateWithRange(tu []*tuple, members, vary []int) bool {
	state, ranges := false, false
	for _, k := range vary {
		for _, j := range members {
			v := tu[j].vs[k]
			if tu[j].fs[k] == fState {
				state = true
			}
			for _, p := range v.ports {
				ranges = ranges || !p.Single()
			}
			for _, a := range v.addrs {
				ranges = ranges || !a.IsSingleIP()
			}
		}
	}
	return state && ranges
}

// combos counts the elements the group's tuples expand to.
func combos(tu []*tuple, members, vary []int) int {
	total := 0
	for _, j := range members {
		p := 1
		for _, k := range vary {
			p *= max(1, tu[j].vs[k].size())
		}
		total += p
	}
	return total
}

// combineConcat makes the merged rule: the first rule with the varying
// fields' tests taken out and one Tuples match where the first was.
func combineConcat(items []*item, tu []*tuple, members, vary []int) *item {
	i := members[0]
	gm := gather(items, members)
	a := tu[i]
	tm := &ir.Tuples{}
	for _, k := range vary {
		tm.Fields = append(tm.Fields, mapFields[a.fs[k]])
	}
	seen := map[string]bool{}
	for _, j := range members {
		// Every combination of the member's values was a rule of it.
		rows := [][]ir.TupleValue{nil}
		for _, k := range vary {
			var next [][]ir.TupleValue
			v := tu[j].vs[k]
			for _, r := range rows {
				for _, p := range v.addrs {
					next = append(next, append(append([]ir.TupleValue(nil), r...), ir.TupleValue{Prefix: p}))
				}
				for _, p := range v.ports {
					next = append(next, append(append([]ir.TupleValue(nil), r...), ir.TupleValue{Ports: p}))
				}
				for _, x := range v.vals {
					next = append(next, append(append([]ir.TupleValue(nil), r...), ir.TupleValue{Value: x}))
				}
			}
			rows = next
		}
		for _, r := range rows {
			k := string(appendKey(nil, r))
			if !seen[k] {
				seen[k] = true
				tm.Elems = append(tm.Elems, r)
			}
		}
	}
	out := map[int]bool{}
	for _, k := range vary {
		out[a.hs[k].idx] = true
	}
	// The lookup goes where the last field's test was: after the
	// protocol match a port field needs.
	last := -1
	for _, k := range vary {
		last = max(last, a.hs[k].idx)
	}
	r := *items[i].cur
	r.Matches = nil
	for idx, m := range items[i].cur.Matches {
		if _, ok := m.(*ir.Comment); ok && !gm.sameComment {
			continue
		}
		if !out[idx] {
			r.Matches = append(r.Matches, m)
			continue
		}
		for _, k := range vary {
			if h := a.hs[k]; h.idx == idx && h.rest != nil {
				r.Matches = append(r.Matches, h.rest)
				break
			}
		}
		if idx == last {
			if p, ok := m.(interface{ Pos() ir.Pos }); ok {
				tm.Src = p.Pos()
			}
			r.Matches = append(r.Matches, tm)
		}
	}
	r.Counters = gm.cnt
	return &item{cur: &r, srcs: gm.srcs, set: gm.set}
}
