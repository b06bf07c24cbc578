package pktset

// Set is what a rule matches: the packets in any of Boxes for which every
// Opaque condition also holds. An opaque condition is one the engine does
// not model (a rate limit, a string search, an ipset's contents): it is
// never assumed to hold or to fail, so a Set with opaque terms may cover
// other rules only as the covered side, and its overlaps are only "maybe".
type Set struct {
	Boxes  []Box
	Opaque []string
}

// Exact reports whether the set is exactly its boxes.
func (s *Set) Exact() bool { return len(s.Opaque) == 0 }

// Empty reports whether no packet can be in the set.
func (s *Set) Empty() bool {
	for i := range s.Boxes {
		if !s.Boxes[i].Empty() {
			return false
		}
	}
	return true
}

// All is the set of every packet.
func All() Set { return Set{Boxes: []Box{{}}} }

// and intersects the set with a union of boxes.
func (s *Set) and(bs []Box) {
	if len(bs) == 1 && len(s.Boxes) == 1 {
		s.Boxes[0] = s.Boxes[0].Intersect(&bs[0])
		return
	}
	var out []Box
	for i := range s.Boxes {
		for j := range bs {
			if x := s.Boxes[i].Intersect(&bs[j]); !x.Empty() {
				out = append(out, x)
			}
		}
	}
	s.Boxes = out
}

// Tri is a three-valued answer.
type Tri uint8

const (
	No Tri = iota
	Maybe
	Yes
)

func (t Tri) String() string { return [...]string{"no", "maybe", "yes"}[t] }

// Overlap tells whether some packet is in both sets: Yes only when both
// are exact.
func Overlap(a, b *Set) Tri {
	for i := range a.Boxes {
		for j := range b.Boxes {
			if a.Boxes[i].Overlaps(&b.Boxes[j]) {
				if a.Exact() && b.Exact() {
					return Yes
				}
				return Maybe
			}
		}
	}
	return No
}

// budget bounds the boxes a cover question may hold at once; past it the
// answer is "not proven", which every caller treats conservatively.
const budget = 4096

// fateBudget bounds what is left of a packet set followed through a whole
// chain (Table.Fate). Each rule on the way is tested against every box
// left, so on a long chain the cost is rules × boxes: 4096 boxes made a
// 10,000-rule chain take seconds; past 64 Fate says "not known", which
// lint takes as no finding.
const fateBudget = 64

// Covers reports whether every packet of later's boxes is in the union of
// the exact sets among earlier (opaque terms of later only shrink it, so
// they do not matter). It also returns the indexes into earlier of the
// sets that took part, the first single one that covers alone if there
// is one. A false answer means "not proven".
func (sp *Space) Covers(earlier []*Set, later *Set) (bool, []int) {
	if later.Empty() {
		return true, nil
	}
	// One set alone is the common case and the clearest explanation.
	for i, e := range earlier {
		if e.Exact() && withinAll(later.Boxes, e.Boxes) {
			return true, []int{i}
		}
	}
	rem := make([]Box, 0, len(later.Boxes))
	for i := range later.Boxes {
		if !later.Boxes[i].Empty() {
			rem = append(rem, later.Boxes[i])
		}
	}
	var used []int
	var next []Box
	check := 0 // next size of rem at which to look for a witness
	ops, minus := 0, 0
	for i, e := range earlier {
		if !e.Exact() {
			continue
		}
		if len(rem) >= check {
			// A corner of a piece left that no set still to come holds
			// proves there is no cover: most rules that overlap many
			// earlier ones without being covered stop here, before the
			// pieces multiply.
			if witness(rem, earlier[i:]) {
				return false, nil
			}
			check = 2*len(rem) + 8
		}
		took := false
		for j := range e.Boxes {
			// Bounded work too, not only bounded pieces: many earlier
			// sets of many boxes each against a few hundred pieces
			// would take seconds per question. "No cover" is the
			// answer that claims nothing.
			if ops += len(rem); ops > coverOps {
				return false, nil
			}
			next = next[:0]
			for k := range rem {
				if rem[k].Overlaps(&e.Boxes[j]) {
					took = true
					if minus++; minus > coverMinus {
						return false, nil
					}
					next = sp.minus(&rem[k], &e.Boxes[j], next)
				} else {
					next = append(next, rem[k])
				}
			}
			rem, next = next, rem
			if len(rem) > budget {
				return false, nil
			}
		}
		if took {
			used = append(used, i)
		}
		if len(rem) == 0 {
			return true, sp.prune(earlier, later, used)
		}
	}
	return false, nil
}

// coverOps bounds the piece-box comparisons of one Covers question, and
// coverMinus the pieces cut (each cut allocates the pieces left).
const (
	coverOps   = 1 << 15
	coverMinus = 256
)

// withinAll reports whether each box of bs is inside one box of os.
func withinAll(bs, os []Box) bool {
	for i := range bs {
		if bs[i].Empty() {
			continue
		}
		in := false
		for j := range os {
			if bs[i].Within(&os[j]) {
				in = true
				break
			}
		}
		if !in {
			return false
		}
	}
	return true
}

// Minus returns the boxes of s outside every exact set of others, or
// false when that takes more than the budget.
func (sp *Space) Minus(s []Box, others ...*Set) ([]Box, bool) {
	return sp.minusWithin(budget, s, others...)
}

// minusWithin is Minus with a budget of n boxes. s is only read: the
// result is built in two buffers of its own, used in turn.
func (sp *Space) minusWithin(n int, s []Box, others ...*Set) ([]Box, bool) {
	rem := s
	var bufs [2][]Box
	turn := 0
	for _, o := range others {
		if !o.Exact() {
			continue
		}
		for j := range o.Boxes {
			next := bufs[turn][:0]
			for k := range rem {
				next = sp.minus(&rem[k], &o.Boxes[j], next)
			}
			bufs[turn], rem, turn = next, next, 1-turn
			if len(rem) > n {
				return nil, false
			}
		}
	}
	if len(rem) > 0 && &rem[0] == &s[0] {
		rem = append([]Box(nil), rem...)
	}
	return rem, true
}

// Contains reports whether the packet is in the set's boxes (its opaque
// terms aside).
func (s *Set) Contains(p *Packet) bool {
	for i := range s.Boxes {
		if s.Boxes[i].Contains(p) {
			return true
		}
	}
	return false
}

// Universal reports whether the set is every packet: a rule without
// conditions (comments aside).
func (s *Set) Universal() bool {
	for i := range s.Boxes {
		if s.Boxes[i].has == 0 {
			return s.Exact()
		}
	}
	return false
}

// prune drops from used, one at a time, the sets the cover does not
// need, so that an explanation names only rules that matter.
func (sp *Space) prune(earlier []*Set, later *Set, used []int) []int {
	if len(used) < 2 || len(used) > 12 {
		return used
	}
	for k := 0; k < len(used) && len(used) > 1; {
		var rest []*Set
		for m, u := range used {
			if m != k {
				rest = append(rest, earlier[u])
			}
		}
		var boxes []Box
		for b := range later.Boxes {
			if !later.Boxes[b].Empty() {
				boxes = append(boxes, later.Boxes[b])
			}
		}
		if left, ok := sp.Minus(boxes, rest...); ok && len(left) == 0 {
			used = append(used[:k:k], used[k+1:]...)
			continue
		}
		k++
	}
	return used
}

// corner is the lowest packet of a box.
func (b *Box) corner() Packet {
	var p Packet
	for f := Field(0); f < NumFields; f++ {
		if b.Has(f) && len(b.f[f]) > 0 {
			p[f] = b.f[f][0].Lo
		}
	}
	return p
}

// witness reports whether the corner of some box of rem is in none of
// the exact sets: a packet of rem outside their union.
func witness(rem []Box, sets []*Set) bool {
	for k := range rem {
		p := rem[k].corner()
		in := false
		for _, s := range sets {
			if s.Exact() && s.Contains(&p) {
				in = true
				break
			}
		}
		if !in {
			return true
		}
	}
	return false
}
