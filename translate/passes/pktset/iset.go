package pktset

import "math/bits"

// U128 is an unsigned 128-bit value: wide enough for an IPv6 address and
// an interface name (IFNAMSIZ is 16 bytes), so every field shares one
// interval type.
type U128 struct{ Hi, Lo uint64 }

// U64 makes a U128 of a small value.
func U64(v uint64) U128 { return U128{Lo: v} }

// Less reports a < b.
func (a U128) Less(b U128) bool { return a.Hi < b.Hi || a.Hi == b.Hi && a.Lo < b.Lo }

func (a U128) inc() U128 {
	lo, c := bits.Add64(a.Lo, 1, 0)
	return U128{a.Hi + c, lo}
}

func (a U128) dec() U128 {
	lo, b := bits.Sub64(a.Lo, 1, 0)
	return U128{a.Hi - b, lo}
}

func maxU(a, b U128) U128 {
	if a.Less(b) {
		return b
	}
	return a
}

func minU(a, b U128) U128 {
	if a.Less(b) {
		return a
	}
	return b
}

// Interval is an inclusive range of values.
type Interval struct{ Lo, Hi U128 }

// ISet is a set of values of one field: sorted, disjoint, non-adjacent
// intervals. Sets are never modified once built, so boxes share them.
type ISet []Interval

// Point is the set of one value.
func Point(v U128) ISet { return ISet{{v, v}} }

// Range is the set lo..hi, empty when hi < lo.
func Range(lo, hi U128) ISet {
	if hi.Less(lo) {
		return ISet{}
	}
	return ISet{{lo, hi}}
}

// Contains reports whether v is in s.
func (s ISet) Contains(v U128) bool {
	for _, iv := range s {
		if v.Less(iv.Lo) {
			return false
		}
		if !iv.Hi.Less(v) {
			return true
		}
	}
	return false
}

// Union returns a ∪ b.
func Union(a, b ISet) ISet {
	out := make(ISet, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		var next Interval
		if j >= len(b) || i < len(a) && a[i].Lo.Less(b[j].Lo) {
			next, i = a[i], i+1
		} else {
			next, j = b[j], j+1
		}
		if n := len(out); n > 0 && (!out[n-1].Hi.Less(next.Lo) || out[n-1].Hi.inc() == next.Lo && out[n-1].Hi != (U128{^uint64(0), ^uint64(0)})) {
			out[n-1].Hi = maxU(out[n-1].Hi, next.Hi)
			continue
		}
		out = append(out, next)
	}
	return out
}

// Intersect returns a ∩ b.
func Intersect(a, b ISet) ISet {
	var out ISet
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		lo, hi := maxU(a[i].Lo, b[j].Lo), minU(a[i].Hi, b[j].Hi)
		if !hi.Less(lo) {
			out = append(out, Interval{lo, hi})
		}
		if a[i].Hi.Less(b[j].Hi) {
			i++
		} else {
			j++
		}
	}
	if out == nil {
		out = ISet{}
	}
	return out
}

// overlaps reports whether a ∩ b is not empty, without building it.
func overlaps(a, b ISet) bool {
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		if !a[i].Hi.Less(b[j].Lo) && !b[j].Hi.Less(a[i].Lo) {
			return true
		}
		if a[i].Hi.Less(b[j].Hi) {
			i++
		} else {
			j++
		}
	}
	return false
}

// Diff returns a \ b.
func Diff(a, b ISet) ISet {
	out := ISet{}
	j := 0
	for _, iv := range a {
		lo := iv.Lo
		done := false
		for j < len(b) && b[j].Hi.Less(lo) {
			j++
		}
		for k := j; k < len(b) && !iv.Hi.Less(b[k].Lo); k++ {
			if lo.Less(b[k].Lo) {
				out = append(out, Interval{lo, b[k].Lo.dec()})
			}
			if !b[k].Hi.Less(iv.Hi) {
				done = true
				break
			}
			lo = b[k].Hi.inc()
		}
		if !done {
			out = append(out, Interval{lo, iv.Hi})
		}
	}
	return out
}

// Subset reports whether a ⊆ b.
func Subset(a, b ISet) bool {
	j := 0
	for _, iv := range a {
		for j < len(b) && b[j].Hi.Less(iv.Lo) {
			j++
		}
		if j >= len(b) || iv.Lo.Less(b[j].Lo) || b[j].Hi.Less(iv.Hi) {
			return false
		}
	}
	return true
}
