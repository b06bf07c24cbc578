package nftables

import (
	"bytes"
	"fmt"
	"sort"

	"github.com/google/nftables/expr"
	"github.com/google/nftables/userdata"
	"github.com/ruleshift/ruleshift/backends/nftables/stmt"
	"github.com/ruleshift/ruleshift/translate/ir"
	"golang.org/x/sys/unix"
)

// Named address sets of the model (ir.Table.Sets): the host-name sets of a
// policy. Each becomes a set of the table, declared before the chains, and
// a SetRef a lookup in it by name, so that `ruleshift refresh` can replace
// the elements without touching a rule. Only address keys are rendered:
// the other keys have no frontend that makes them yet.

// nft datatype ids of address keys (nftables' datatype.h).
const (
	typeIPv4Addr = 7
	typeIPv6Addr = 8
)

// addrSetOK reports whether the backend renders set s.
func addrSetOK(s *ir.Set) bool { return s.Key == ir.SetKeyIPv4 || s.Key == ir.SetKeyIPv6 }

// lookupSet finds a set of the rule's table by name.
func (c RuleContext) lookupSet(name string) *ir.Set {
	for _, s := range c.sets {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// setRef lowers a lookup in a named address set of the table.
func (w *rw) setRef(m *ir.SetRef) {
	s := w.ctx.lookupSet(m.Name)
	switch {
	case s == nil:
		w.errorf("internal error: the rule looks up set %q, which its table does not declare", m.Name)
		return
	case !addrSetOK(s):
		w.unsupported("a lookup in a named set of "+s.Key.String(), "only address sets are rendered")
		return
	case (s.Key == ir.SetKeyIPv6) != w.v6():
		w.errorf("internal error: set %q holds %s in an %s table", m.Name, s.Key, w.ctx.Family)
		return
	}
	dt, n := stmt.IPv4Addr, uint32(4)
	if w.v6() {
		dt, n = stmt.IPv6Addr, 16
	}
	w.emit(&stmt.Cmp{Field: w.addrField(m.Dir == ir.Dst), Neg: m.Neg, Set: &stmt.Set{Name: m.Name, Key: dt, KeyLen: n}})
}

// SetDeclText is the declaration of a named address set in an nft script:
// "set NAME { type ipv4_addr; flags interval; elements = { … } }".
func SetDeclText(s *ir.Set) string {
	b := []byte("set " + s.Name + " { type " + s.Key.String() + "; ")
	if s.Flags&ir.SetInterval != 0 {
		b = append(b, "flags interval; "...)
	}
	if els := s.All(); len(els) > 0 {
		b = append(b, "elements = { "...)
		for i, e := range els {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = append(b, e.String()...)
		}
		b = append(b, " } "...)
	}
	return string(append(b, '}'))
}

// addrRange is one element as an inclusive range of addresses.
type addrRange struct{ lo, hi []byte }

// elemRange turns an element into its first and last address.
func elemRange(e ir.SetElem) (addrRange, bool) {
	switch {
	case e.Prefix.IsValid():
		lo := e.Prefix.Masked().Addr().AsSlice()
		hi := append([]byte(nil), lo...)
		for i := e.Prefix.Bits(); i < len(hi)*8; i++ {
			hi[i/8] |= 0x80 >> (i % 8)
		}
		return addrRange{lo, hi}, true
	case e.Range != nil:
		return addrRange{e.Range.From.AsSlice(), e.Range.To.AsSlice()}, true
	}
	return addrRange{}, false
}

// namedSetElems encodes the elements of a named address set as nft sends
// them: one key per address for a hash set; for an interval set the
// ranges sorted and overlapping ones merged, each a start element and an end element one
// past it, after an end element at zero when the first range does not
// start there, and with no end element for a range reaching the last
// address.
func namedSetElems(els []ir.SetElem, interval bool) []setElem {
	var rs []addrRange
	for _, e := range els {
		if r, ok := elemRange(e); ok {
			rs = append(rs, r)
		}
	}
	var out []setElem
	if !interval {
		seen := map[string]bool{}
		for _, r := range rs {
			if !seen[string(r.lo)] {
				seen[string(r.lo)] = true
				out = append(out, setElem{key: r.lo})
			}
		}
		return out
	}
	if len(rs) == 0 {
		return nil
	}
	sort.Slice(rs, func(i, j int) bool { return bytes.Compare(rs[i].lo, rs[j].lo) < 0 })
	merged := rs[:1]
	for _, r := range rs[1:] {
		// Overlapping ranges merge; adjacent ones stay apart, as nft
		// keeps them in a named set declared without auto-merge.
		last := &merged[len(merged)-1]
		if bytes.Compare(r.lo, last.hi) <= 0 {
			if bytes.Compare(r.hi, last.hi) > 0 {
				last.hi = r.hi
			}
			continue
		}
		merged = append(merged, r)
	}
	if !isZero(merged[0].lo) {
		out = append(out, setElem{key: make([]byte, len(merged[0].lo)), flags: setElemIntervalEnd})
	}
	for _, r := range merged {
		end, ok := addOne(r.hi)
		if !ok {
			out = append(out, setElem{key: r.lo, udata: userdata.AppendUint32(nil, udataElemFlags, elemFlagIntervalOpen)})
			continue
		}
		out = append(out, setElem{key: r.lo}, setElem{key: end, flags: setElemIntervalEnd})
	}
	return out
}

// addOne returns b+1 as a big-endian number; ok is false on overflow.
func addOne(b []byte) ([]byte, bool) {
	out := append([]byte(nil), b...)
	for i := len(out) - 1; i >= 0; i-- {
		out[i]++
		if out[i] != 0 {
			return out, true
		}
	}
	return out, false
}

func isZero(b []byte) bool {
	for _, x := range b {
		if x != 0 {
			return false
		}
	}
	return true
}

// namedAddrSet is the batch form of a named address set.
func namedAddrSet(s *ir.Set) *anonSet {
	ns := &anonSet{keyType: typeIPv4Addr, keyLen: 4}
	if s.Key == ir.SetKeyIPv6 {
		ns.keyType, ns.keyLen = typeIPv6Addr, 16
	}
	interval := s.Flags&ir.SetInterval != 0
	if interval {
		ns.flags = setInterval
	}
	ns.udata = userdata.AppendUint32(nil, udataSetKeyByteorder, byteorderBig)
	ns.elems = namedSetElems(s.All(), interval)
	ns.lookup = &expr.Lookup{SetName: s.Name}
	return ns
}

// addNamedSets writes the table's named address sets before its rules.
func (b *batch) addNamedSets(t *nlTable, sets []*ir.Set, o origin) {
	for _, s := range sets {
		if !addrSetOK(s) {
			continue
		}
		b.setID++
		b.addSet(t, namedAddrSet(s), o)
		b.place.handle++
	}
}

// SetUpdate is the new content of one named address set.
type SetUpdate struct {
	Family   ir.Family
	Table    string // nft name: ruleshift_filter
	Name     string
	Interval bool
	Elements []ir.SetElem
}

// UpdateSets replaces the elements of named sets in one nf_tables
// transaction (into the network namespace netns when set): each set is
// flushed and filled again, so a packet meets either every old element or
// every new one, and no rule, chain or handle changes. A set that does
// not exist any more fails the whole transaction.
func UpdateSets(netns string, sets []SetUpdate) error {
	if len(sets) == 0 {
		return nil
	}
	var m msgBuf
	var names []string
	for _, s := range sets {
		ref := s.Family.String() + " " + s.Table + " " + s.Name
		// DELSETELEM without an element list flushes the set.
		m.begin(nfnlSubsysNftables<<8|msgDelSetElem, nlmFRequest, nfproto(s.Family), 0)
		m.str(unix.NFTA_SET_ELEM_LIST_TABLE, s.Table)
		m.str(unix.NFTA_SET_ELEM_LIST_SET, s.Name)
		m.end()
		names = append(names, ref)
		els := namedSetElems(s.Elements, s.Interval)
		if len(els) == 0 {
			continue
		}
		m.begin(nfnlSubsysNftables<<8|msgNewSetElem, nlmFRequest|nlmFCreate, nfproto(s.Family), 0)
		m.str(unix.NFTA_SET_ELEM_LIST_TABLE, s.Table)
		m.str(unix.NFTA_SET_ELEM_LIST_SET, s.Name)
		m.setElems(els)
		m.end()
		names = append(names, ref)
	}
	c, err := dial(netns)
	if err != nil {
		return err
	}
	defer c.close()
	errs, err := c.sendBatch(0, &m)
	if err != nil {
		return err
	}
	if len(errs) > 0 {
		e := errs[0]
		if i := e.Index; i >= 0 && i < len(names) {
			return fmt.Errorf("set %s: %v; no set was changed", names[i], e)
		}
		return fmt.Errorf("%v; no set was changed", e)
	}
	return nil
}
