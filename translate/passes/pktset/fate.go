package pktset

import "github.com/ruleshift/ruleshift/translate/ir"

// Fate is what a chain does with every packet of a query, as far as the
// engine can tell.
type Fate struct {
	// Accepted: every packet of the query is accepted.
	Accepted bool
	// Denied: some packets of the query are dropped or rejected by a
	// rule that takes all that was left of the query (By is its index),
	// or by the policy (By is -1).
	Denied bool
	By     int
	// Via are the rules that accepted part of the query before.
	Via []int
}

// Fate follows the packets of q through chain c: rules that accept part
// of them (directly, or in a chain they jump to) take that part away; a
// rule that drops or rejects all that is left, or the policy, denies
// them. Anything the engine cannot follow (a rule changing the mark, a
// RETURN, a goto, an opaque match) ends the walk with neither answer.
func (t *Table) Fate(c *ir.Chain, q Box) Fate {
	ch := t.Chain(c)
	rem := []Box{q}
	f := Fate{By: -1}
	for i := range ch.Rules {
		r := &ch.Rules[i]
		if !overlapsAny(rem, r.Set.Boxes) {
			continue
		}
		switch {
		case r.Modifies:
			return Fate{}
		case r.Verdict == "ACCEPT":
			if !r.Set.Exact() {
				// It may accept what is left (ufw's neighbour discovery
				// at hop limit 255): nothing is known.
				return Fate{}
			}
			var ok bool
			if rem, ok = t.minusWithin(fateBudget, rem, &r.Set); !ok {
				return Fate{}
			}
			f.Via = append(f.Via, i)
		case r.Verdict == "DROP" || r.Verdict != "" && r.Verdict[0] == 'R' && r.Verdict != "RETURN":
			if !r.Set.Exact() {
				continue
			}
			if withinAll(rem, r.Set.Boxes) {
				f.Denied, f.By = true, i
				return f
			}
			var ok bool
			if rem, ok = t.minusWithin(fateBudget, rem, &r.Set); !ok {
				return Fate{}
			}
		case r.Jump != "" && !r.Goto && !r.Stops:
			if !r.Set.Exact() {
				return Fate{}
			}
			if t.mayAccept(r.Jump, rem, 0) {
				// The chain may accept some of what is left by a rule
				// the engine cannot follow: nothing is known.
				return Fate{}
			}
			var s Set
			for _, a := range t.accepted(r.Jump, 0) {
				for b := range r.Set.Boxes {
					if x := r.Set.Boxes[b].Intersect(&a); !x.Empty() {
						s.Boxes = append(s.Boxes, x)
					}
				}
			}
			if len(s.Boxes) > 0 && overlapsAny(rem, s.Boxes) {
				var ok bool
				if rem, ok = t.minusWithin(fateBudget, rem, &s); !ok {
					return Fate{}
				}
				f.Via = append(f.Via, i)
			}
		case r.Stops:
			return Fate{} // RETURN, goto, NAT, queue: decided elsewhere
		}
		if len(rem) == 0 {
			f.Accepted = true
			return f
		}
	}
	if c.PolicyOf() == ir.PolicyDrop {
		f.Denied, f.By = true, -1
	}
	return f
}

func overlapsAny(a, b []Box) bool {
	for i := range a {
		for j := range b {
			if a[i].Overlaps(&b[j]) {
				return true
			}
		}
	}
	return false
}

// accepted returns boxes of packets chain name surely accepts: those of
// its exact ACCEPT rules (and of the chains it jumps or goes to) before the first
// rule that changes a field. It ignores the rules that drop some of them
// first, so it can only make Fate find fewer denials, never more.
func (t *Table) accepted(name string, depth int) []Box {
	c := t.T.Chain(name)
	if c == nil || depth > 8 {
		return nil
	}
	ch := t.Chain(c)
	var out []Box
	for i := range ch.Rules {
		r := &ch.Rules[i]
		if r.Modifies {
			break
		}
		if !r.Set.Exact() {
			continue
		}
		switch {
		case r.Verdict == "ACCEPT":
			out = append(out, r.Set.Boxes...)
		case r.Jump != "":
			for _, a := range t.accepted(r.Jump, depth+1) {
				for b := range r.Set.Boxes {
					if x := r.Set.Boxes[b].Intersect(&a); !x.Empty() {
						out = append(out, x)
					}
				}
			}
		}
		if len(out) > 256 {
			break
		}
	}
	return out
}

// mayAccept reports whether chain name, or a chain it jumps to, has a
// rule the engine cannot follow (an opaque match, a field change) that
// could accept or decide packets of q: accepted leaves those out, so Fate
// must not take the packets they see as denied.
func (t *Table) mayAccept(name string, q []Box, depth int) bool {
	c := t.T.Chain(name)
	if c == nil || depth > 8 {
		return true
	}
	ch := t.Chain(c)
	for i := range ch.Rules {
		r := &ch.Rules[i]
		if !overlapsAny(q, r.Set.Boxes) {
			continue
		}
		if r.Modifies || r.Goto {
			return true
		}
		if !r.Set.Exact() && (r.Verdict == "ACCEPT" || r.Jump != "") {
			return true
		}
		if r.Jump != "" && t.mayAccept(r.Jump, q, depth+1) {
			return true
		}
	}
	return false
}
