package optimize

import (
	"bytes"
	"net/netip"
	"slices"
	"strings"

	"github.com/ruleshift/ruleshift/translate/ir"
)

// field is a part of a packet that rules which differ in it alone may
// merge over: the rules' values become one set of them.
type field uint8

const (
	fSaddr field = iota
	fDaddr
	fSport
	fDport
	fIif
	fOif
	fProto
	fICMP
	fState
	fMAC
	fHop
	numFields
)

var fieldNames = [numFields]string{"saddr", "daddr", "sport", "dport", "iifname", "oifname", "protocol", "icmp type", "ct state", "ether saddr", "hop limit"}

// mapFields names each field in the model's lookups (ir.Tuples,
// ir.VerdictMap).
var mapFields = [numFields]ir.MapField{ir.MapSaddr, ir.MapDaddr, ir.MapSport, ir.MapDport, ir.MapIif, ir.MapOif, ir.MapProto, ir.MapICMPType, ir.MapCtState, ir.MapEtherSaddr, ir.MapHopLimit}

// exact reports whether the field's values are exact values (ir.Value):
// two of them match a common packet only when they are equal.
func (f field) exact() bool { return f >= fIif }

func (f field) String() string { return fieldNames[f] }

func (f field) dir() ir.Dir {
	if f == fSaddr || f == fSport {
		return ir.Src
	}
	return ir.Dst
}

func (f field) isAddr() bool { return f == fSaddr || f == fDaddr }

// value is what one rule, or one merged rule, tests a field for: any of
// a list of address prefixes, of port ranges, or of exact values.
type value struct {
	addrs []netip.Prefix
	ports []ir.PortRange
	vals  []ir.Value
}

// size is the number of elements of the value.
func (v value) size() int { return len(v.addrs) + len(v.ports) + len(v.vals) }

// mergeableStates are the conntrack states a packet has exactly one of,
// so that a rule testing several is the rules testing each (SNAT and
// DNAT are conntrack's virtual states, not the packet's).
const mergeableStates = ir.CtInvalid | ir.CtEstablished | ir.CtRelated | ir.CtNew | ir.CtUntracked

// stateValues lists the states of s one per value, or false when s
// holds one that is not a packet's state.
func stateValues(s ir.CtState) ([]ir.Value, bool) {
	if s == 0 || s&^mergeableStates != 0 {
		return nil, false
	}
	var out []ir.Value
	for _, o := range ir.CtStateOrder {
		if s&o.Bit != 0 {
			out = append(out, ir.Value{State: o.Bit})
		}
	}
	return out, true
}

// exactOf returns the test of an exact-value field that m makes, if m
// is of that field: found says m is of the field, ok that it is a
// positive test of values a merge can hold.
func exactOf(m ir.Match, f field) (vals []ir.Value, found, ok bool) {
	switch m := m.(type) {
	case *ir.Iface:
		if (f == fIif) != (m.Dir == ir.Src) || f != fIif && f != fOif {
			return nil, false, false
		}
		// A wildcard ("eth+") is a prefix, not a value of a set.
		if m.Neg || m.Name == "" || strings.HasSuffix(m.Name, "+") {
			return nil, true, false
		}
		return []ir.Value{{Name: m.Name}}, true, true
	case *ir.Protocol:
		if f != fProto {
			return nil, false, false
		}
		if m.Neg || m.All || m.Num == 0 {
			return nil, true, false
		}
		return []ir.Value{{Num: m.Num}}, true, true
	case *ir.ICMP:
		if f != fICMP {
			return nil, false, false
		}
		if m.Neg || m.Any || !m.AnyCode() {
			return nil, true, false
		}
		return []ir.Value{{Num: m.Type}}, true, true
	case *ir.State:
		if f != fState {
			return nil, false, false
		}
		if m.Neg {
			return nil, true, false
		}
		vs, ok := stateValues(m.States)
		return vs, true, ok
	case *ir.Conntrack:
		if f != fState || m.State == nil {
			return nil, false, false
		}
		c := *m
		c.At, c.State = ir.At{}, nil
		if m.State.Neg || !ir.Equal(&c, &ir.Conntrack{}) {
			return nil, true, false
		}
		vs, ok := stateValues(m.State.States)
		return vs, true, ok
	case *ir.Tuples:
		// A lookup of one field an earlier round made.
		if len(m.Fields) != 1 || m.Fields[0] != mapFields[f] {
			return nil, false, false
		}
		for _, el := range m.Elems {
			vals = append(vals, el[0].Value)
		}
		return vals, true, true
	case *ir.HopLimit:
		if f != fHop {
			return nil, false, false
		}
		if m.Neg || m.Op != ir.CmpEq {
			return nil, true, false
		}
		return []ir.Value{{Num: m.Value}}, true, true
	case *ir.MAC:
		if f != fMAC {
			return nil, false, false
		}
		if m.Neg || len(m.Addr) != 6 {
			return nil, true, false
		}
		var v ir.Value
		copy(v.MAC[:], m.Addr)
		return []ir.Value{v}, true, true
	}
	return nil, false, false
}

// protoFree reports whether nothing of the rule but its -p depends on
// the protocol, so that rules differing in it alone may merge over it:
// the other matches are of addresses, interfaces, states, MACs.
func protoFree(r *ir.Rule) bool {
	for _, m := range r.Matches {
		switch m.(type) {
		case *ir.Protocol, *ir.Addr, *ir.Iface, *ir.State, *ir.Conntrack, *ir.MAC, *ir.Comment, *ir.SetRef, *ir.HopLimit:
		default:
			return false
		}
	}
	switch r.Target.(type) {
	case *ir.Verdict, *ir.Jump:
		return true
	}
	return false
}

// hole is where the field's test sits in a rule: the match index, and
// what is left of that match once the field is taken out of it (a tcp
// match keeps its flags when its port goes; an empty tcp match stays
// too, so that nft writes "tcp dport" without a separate protocol
// test). empty: the rest tests nothing, and the shape is that of a rule
// without it (-p tcp -m multiport).
type hole struct {
	idx   int
	rest  ir.Match
	empty bool
}

// extract finds the rule's test of field f: exactly one positive match
// of it, of a kind the merged rule can express. sets holds the sets the
// optimiser made, whose lookups are values too.
func extract(r *ir.Rule, f field, sets *registry) (hole, value, bool) {
	h, v, n := hole{idx: -1}, value{}, 0
	if f.exact() {
		for i, m := range r.Matches {
			vals, found, ok := exactOf(m, f)
			if !found {
				continue
			}
			n++
			if !ok {
				return h, v, false
			}
			h.idx, v.vals = i, vals
		}
		if n != 1 || f == fProto && !protoFree(r) {
			return h, v, false
		}
		return h, v, true
	}
	for i, m := range r.Matches {
		switch m := m.(type) {
		case *ir.Addr:
			if !f.isAddr() || m.Dir != f.dir() {
				continue
			}
			n++
			if m.Neg || m.Mask.IsValid() {
				return h, v, false
			}
			h.idx, v.addrs = i, []netip.Prefix{m.Net.Masked()}
		case *ir.SetRef:
			if m.Dir != f.dir() {
				continue
			}
			s := sets.byName[m.Name]
			if s == nil {
				// A set of the input: a lookup in it may be of this
				// field; leave the rule alone.
				if f.isAddr() {
					return h, v, false
				}
				continue
			}
			if !f.isAddr() {
				continue
			}
			n++
			if m.Neg {
				return h, v, false
			}
			h.idx, v.addrs = i, s.addrs
		case *ir.TCP, *ir.UDP:
			if f.isAddr() {
				continue
			}
			p, neg, rest, empty := portTest(m, f == fSport)
			if p == nil {
				continue
			}
			n++
			if neg {
				return h, v, false
			}
			h.idx, h.rest, h.empty, v.ports = i, rest, empty, []ir.PortRange{*p}
		case *ir.Multiport:
			if f.isAddr() || m.Dir != f.dir() && m.Dir != ir.Both {
				continue
			}
			n++
			if m.Neg || m.Dir == ir.Both {
				return h, v, false
			}
			h.idx, v.ports = i, m.Ports
		}
	}
	if n != 1 || !protoKnown(r, f) {
		return h, v, false
	}
	return h, v, true
}

// protoKnown: a merged port list becomes a multiport-style lookup, which
// the backends render from the rule's -p tcp or -p udp.
func protoKnown(r *ir.Rule, f field) bool {
	if f.isAddr() {
		return true
	}
	for _, m := range r.Matches {
		if p, ok := m.(*ir.Protocol); ok && !p.Neg && (p.Num == 6 || p.Num == 17) {
			return true
		}
	}
	return false
}

// shapeKey is the key of everything but field f of the rule: rules with
// equal keys differ only in f (and in comments, which never decide).
// Without target, the target is left out too (verdict maps).
func shapeKey(r *ir.Rule, f field, h hole, target bool) string {
	b := []byte{byte(f)}
	for i, m := range r.Matches {
		if _, ok := m.(*ir.Comment); ok || emptyL4(m) {
			continue
		}
		if i == h.idx {
			b = append(b, 0xfe)
			if h.rest != nil && !h.empty {
				b = appendKey(b, h.rest)
			}
			continue
		}
		b = appendKey(b, m)
	}
	if target {
		b = append(b, 0xfd)
		b = appendKey(b, r.Target)
	}
	return string(b)
}

// emptyL4 reports whether m is a tcp or udp match that tests nothing
// (what a merge leaves of one, so that nft writes "tcp dport"): such a
// match does not make a shape.
func emptyL4(m ir.Match) bool {
	switch m := m.(type) {
	case *ir.TCP:
		return m.SrcPorts == nil && m.DstPorts == nil && m.Flags == nil && m.Option == nil
	case *ir.UDP:
		return m.SrcPorts == nil && m.DstPorts == nil
	}
	return false
}

// union merges the values of a group, sorted, duplicates gone; port
// ranges that overlap or touch are joined.
func union(f field, vs []value) value {
	var out value
	if f.exact() {
		seen := map[ir.Value]bool{}
		for _, v := range vs {
			for _, x := range v.vals {
				if !seen[x] {
					seen[x] = true
					out.vals = append(out.vals, x)
				}
			}
		}
		slices.SortFunc(out.vals, compareValues)
		return out
	}
	if f.isAddr() {
		for _, v := range vs {
			out.addrs = append(out.addrs, v.addrs...)
		}
		slices.SortFunc(out.addrs, func(a, b netip.Prefix) int {
			if c := a.Addr().Compare(b.Addr()); c != 0 {
				return c
			}
			return a.Bits() - b.Bits()
		})
		// Prefixes are nested or disjoint: keep the outermost of each
		// nest (a set declaration refuses overlapping elements; the
		// lookup means the same).
		kept := out.addrs[:0]
		for _, a := range out.addrs {
			if n := len(kept); n > 0 && kept[n-1].Bits() <= a.Bits() && kept[n-1].Contains(a.Addr()) {
				continue
			}
			kept = append(kept, a)
		}
		out.addrs = kept
		return out
	}
	for _, v := range vs {
		out.ports = append(out.ports, v.ports...)
	}
	slices.SortFunc(out.ports, func(a, b ir.PortRange) int { return int(a.Lo) - int(b.Lo) })
	merged := out.ports[:0]
	for _, r := range out.ports {
		if n := len(merged); n > 0 && int(r.Lo) <= int(merged[n-1].Hi)+1 {
			merged[n-1].Hi = max(merged[n-1].Hi, r.Hi)
			continue
		}
		merged = append(merged, r)
	}
	out.ports = merged
	return out
}

// compareValues orders exact values.
func compareValues(a, b ir.Value) int {
	if c := strings.Compare(a.Name, b.Name); c != 0 {
		return c
	}
	if c := int(a.Num) - int(b.Num); c != 0 {
		return c
	}
	if c := int(a.State) - int(b.State); c != 0 {
		return c
	}
	return bytes.Compare(a.MAC[:], b.MAC[:])
}

// disjoint reports whether no address, port or value is in both values.
func disjoint(a, b value) bool {
	for _, x := range a.vals {
		if slices.Contains(b.vals, x) {
			return false
		}
	}
	for _, x := range a.addrs {
		for _, y := range b.addrs {
			if x.Overlaps(y) {
				return false
			}
		}
	}
	for _, x := range a.ports {
		for _, y := range b.ports {
			if x.Lo <= y.Hi && y.Lo <= x.Hi {
				return false
			}
		}
	}
	return true
}

// build returns the anchor rule with field f testing v instead: one
// address stays an -s/-d, several become a lookup in a set of the
// table; ports become a multiport-style list after the rest of their
// tcp or udp match.
func build(r *ir.Rule, f field, h hole, v value, sets *registry, comments bool) *ir.Rule {
	c := *r
	c.Matches = nil
	at := ir.At{}
	if p, ok := r.Matches[h.idx].(interface{ Pos() ir.Pos }); ok {
		at.Src = p.Pos()
	}
	for i, m := range r.Matches {
		if _, ok := m.(*ir.Comment); ok && !comments {
			continue
		}
		if i != h.idx {
			c.Matches = append(c.Matches, m)
			continue
		}
		switch {
		case f.exact():
			c.Matches = append(c.Matches, exactMatch(r.Matches[h.idx], f, v, at))
		case f.isAddr() && len(v.addrs) == 1:
			c.Matches = append(c.Matches, &ir.Addr{At: at, Dir: f.dir(), Net: v.addrs[0]})
		case f.isAddr():
			c.Matches = append(c.Matches, &ir.SetRef{At: at, Dir: f.dir(), Name: sets.name(v.addrs)})
		default:
			if h.rest != nil {
				c.Matches = append(c.Matches, h.rest)
			}
			c.Matches = append(c.Matches, &ir.Multiport{At: at, Dir: f.dir(), Ports: v.ports})
		}
	}
	return &c
}

// exactMatch is the test of an exact-value field for the values v, in
// place of m, the anchor rule's test: states join in one state match;
// one other value keeps m's own kind; several become a lookup.
func exactMatch(m ir.Match, f field, v value, at ir.At) ir.Match {
	if f == fState {
		var bits ir.CtState
		for _, x := range v.vals {
			bits |= x.State
		}
		if c, ok := m.(*ir.Conntrack); ok {
			n := *c
			n.State = &ir.State{States: bits}
			return &n
		}
		return &ir.State{At: at, States: bits}
	}
	if len(v.vals) == 1 {
		return m
	}
	t := &ir.Tuples{At: at, Fields: []ir.MapField{mapFields[f]}}
	for _, x := range v.vals {
		t.Elems = append(t.Elems, []ir.TupleValue{{Value: x}})
	}
	return t
}

// portTest returns a tcp or udp match's test of its source (or
// destination) ports, nil when it has none, and the match without that
// test; empty: what is left tests nothing.
func portTest(m ir.Match, src bool) (p *ir.PortRange, neg bool, rest ir.Match, empty bool) {
	switch m := m.(type) {
	case *ir.TCP:
		c := *m
		if src {
			p, neg, c.SrcPorts = m.SrcPorts, m.NegSrc, nil
		} else {
			p, neg, c.DstPorts = m.DstPorts, m.NegDst, nil
		}
		return p, neg, &c, c.SrcPorts == nil && c.DstPorts == nil && c.Flags == nil && c.Option == nil
	case *ir.UDP:
		c := *m
		if src {
			p, neg, c.SrcPorts = m.SrcPorts, m.NegSrc, nil
		} else {
			p, neg, c.DstPorts = m.DstPorts, m.NegDst, nil
		}
		return p, neg, &c, c.SrcPorts == nil && c.DstPorts == nil
	}
	return nil, false, nil, false
}
