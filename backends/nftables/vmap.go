package nftables

import (
	"bytes"
	"fmt"
	"net/netip"
	"sort"

	"github.com/google/nftables/expr"
	"github.com/google/nftables/userdata"
	"github.com/ruleshift/ruleshift/backends/nftables/stmt"
	"github.com/ruleshift/ruleshift/translate/ir"
	"golang.org/x/sys/unix"
)

// Verdict maps (ir.VerdictMap, made by the optimiser): "ip saddr vmap {
// 10.0.0.1 : drop, 192.0.2.0/24 : accept }", sent as nft 1.0.6 sends
// them: an anonymous, constant map "__map%d" from the field's type to
// verdicts, each element's verdict in its data, and a lookup whose
// result goes to the verdict register.

const (
	setMap         = 0x8        // NFT_SET_MAP
	nftDataVerdict = 0xffffff00 // NFT_DATA_VERDICT
)

var verdictKinds = map[ir.VerdictKind]expr.VerdictKind{ir.Accept: expr.VerdictAccept, ir.Drop: expr.VerdictDrop, ir.Return: expr.VerdictReturn}

// verdictMap lowers a verdict map.
func (w *rw) verdictMap(t *ir.VerdictMap) {
	f := w.mapField(t.Field)
	if f == nil {
		return
	}
	m := &stmt.VMap{Field: f}
	for _, e := range t.Elems {
		el := stmt.VMapElem{}
		if e.Chain != "" {
			el.Verdict, el.Chain = expr.VerdictJump, w.chain(e.Chain)
			if e.Goto {
				el.Verdict = expr.VerdictGoto
			}
		} else if k, ok := verdictKinds[e.Verdict]; ok {
			el.Verdict = k
		} else {
			w.errorf("internal error: a verdict map to %s", e.Verdict)
			return
		}
		k, ok := w.mapKey(t.Field, f, e.Prefix, e.Ports, e.Value)
		if !ok {
			return
		}
		el.Text, el.From, el.To = k.text, k.from, k.to
		m.Interval = m.Interval || k.to != nil
		m.Elems = append(m.Elems, el)
	}
	w.emit(m)
}

// mapKey is a map element's key: its text and its first and last value
// (last nil for one value).
type mapKey struct {
	text     string
	from, to []byte
}

func (w *rw) mapKey(mf ir.MapField, f stmt.Field, p netip.Prefix, ports ir.PortRange, val ir.Value) (mapKey, bool) {
	v, ok := w.mapValue(mf, p, ports, val)
	if !ok {
		return mapKey{}, false
	}
	k := mapKey{from: v.From, to: v.To}
	switch {
	case mf.IsAddr():
		p = p.Masked()
		k.text = p.Addr().String()
		if !p.IsSingleIP() {
			k.text = p.String()
		}
	case mf == ir.MapSport || mf == ir.MapDport:
		k.text = fmt.Sprint(ports.Lo)
		if !ports.Single() {
			k.text = fmt.Sprintf("%d-%d", ports.Lo, ports.Hi)
		}
	default:
		k.text = string(stmt.AppendValue(nil, f.Type(), v.From))
	}
	return k, true
}

// natMap lowers a NAT map.
func (w *rw) natMap(t *ir.NATMap) {
	f := w.mapField(t.Field)
	if f == nil {
		return
	}
	if w.v6() {
		w.errorf("internal error: a NAT map in an IPv6 rule")
		return
	}
	m := &stmt.NATMap{Kind: stmt.DNAT, Field: f, Ports: t.Ports}
	if t.SNAT {
		m.Kind = stmt.SNAT
	}
	for _, e := range t.Elems {
		k, ok := w.mapKey(t.Field, f, e.Prefix, e.Ports, e.Value)
		if !ok {
			return
		}
		m.Interval = m.Interval || k.to != nil
		m.Elems = append(m.Elems, stmt.NATMapElem{Text: k.text, From: k.from, To: k.to, Addr: e.Addr, Port: e.Port})
	}
	w.emit(m)
}

// verdictMap encodes the lookup of a verdict map and its anonymous map.
func (e *encoder) verdictMap(m *stmt.VMap) {
	if len(m.Elems) == 0 {
		e.err = fmt.Errorf("a verdict map without elements: %w", errUnencodable)
		return
	}
	s := &anonSet{flags: setAnonymous | setConstant | setMap, isMap: true}
	if m.Interval {
		s.flags |= setInterval
	}
	entries := make([]mapEntry, len(m.Elems))
	for i, el := range m.Elems {
		entries[i] = mapEntry{el.From, el.To, setElem{verdict: el.Verdict, chain: el.Chain, hasData: true}}
	}
	s.elems = mapElems(entries, m.Interval)
	e.mapLookup(m.Field, s, 0)
}

// natMap encodes a NAT map: the lookup puts the address (and port) in
// register 1 (and 9, the 32-bit register after it), which the nat
// expression reads, as nft 1.0.6 does.
func (e *encoder) natMap(m *stmt.NATMap) {
	if len(m.Elems) == 0 {
		e.err = fmt.Errorf("a NAT map without elements: %w", errUnencodable)
		return
	}
	s := &anonSet{flags: setAnonymous | setConstant | setMap, dataType: typeIPv4Addr, dataLen: 4}
	if m.Ports {
		s.dataType, s.dataLen = typeIPv4Addr<<6|typeInetService, 8
	}
	if m.Interval {
		s.flags |= setInterval
	}
	entries := make([]mapEntry, len(m.Elems))
	for i, el := range m.Elems {
		data := el.Addr.AsSlice()
		if m.Ports {
			data = appendPaddedBytes(data, be16(el.Port))
		}
		entries[i] = mapEntry{el.From, el.To, setElem{data: data}}
	}
	s.elems = mapElems(entries, m.Interval)
	e.mapLookup(m.Field, s, reg1)
	if e.err != nil {
		return
	}
	x := &expr.NAT{Type: expr.NATTypeDestNAT, Family: uint32(nfproto(e.fam)), RegAddrMin: reg1, RegAddrMax: reg1}
	if m.Kind == stmt.SNAT {
		x.Type = expr.NATTypeSourceNAT
	}
	if m.Ports {
		x.RegProtoMin, x.RegProtoMax, x.Specified = concatReg(1), concatReg(1), true
	}
	e.brk(x)
}

// mapLookup loads the field and looks it up in the anonymous map s (its
// flags, data and elements set), the result going to register dreg
// (0: the verdict).
func (e *encoder) mapLookup(fld stmt.Field, s *anonSet, dreg uint32) {
	var ld any
	p, ok := fld.(*stmt.Payload)
	switch {
	case ok && (p.Dt == stmt.IPv4Addr || p.Dt == stmt.IPv6Addr || p.Dt == stmt.InetService):
		if p.Proto != 0 {
			e.l4dep(p.Proto)
		}
		switch p.Dt {
		case stmt.IPv4Addr:
			s.keyType = typeIPv4Addr
		case stmt.IPv6Addr:
			s.keyType = typeIPv6Addr
		default:
			s.keyType = typeInetService
		}
		s.keyLen = p.Bytes
		s.udata = userdata.AppendUint32(nil, udataSetKeyByteorder, byteorderBig)
		ld = load(p.Base, p.Offset, p.Bytes)
	default:
		f, ok := exactField(fld)
		if !ok {
			e.err = fmt.Errorf("a map on %s: %w", fld.Name(), errUnencodable)
			return
		}
		f.describe(s)
		ld = e.loadExact(f, fld)
	}
	lk := &expr.Lookup{SourceRegister: reg1, DestRegister: dreg, IsDestRegSet: true, SetName: "__map%d"}
	s.lookup = lk
	e.sets = append(e.sets, s)
	e.add(ld, lk)
}

// mapEntry is a map element before encoding: its first and last key (to
// nil for one key) and what it carries.
type mapEntry struct {
	from, to []byte
	el       setElem
}

// mapElems are the elements of a map: one key each, or for an interval
// map the ranges in order, each a start carrying the data and an end one
// past it unless the next range starts there, after an end at zero when
// the first range does not start there; a range that reaches the last
// value has no end.
func mapElems(entries []mapEntry, interval bool) []setElem {
	els := append([]mapEntry(nil), entries...)
	sort.Slice(els, func(i, j int) bool { return bytes.Compare(els[i].from, els[j].from) < 0 })
	var out []setElem
	if !interval {
		for _, en := range els {
			el := en.el
			el.key = en.from
			out = append(out, el)
		}
		return out
	}
	if !isZero(els[0].from) {
		out = append(out, setElem{key: make([]byte, len(els[0].from)), flags: setElemIntervalEnd})
	}
	for i, en := range els {
		to := en.to
		if to == nil {
			to = en.from
		}
		end, ok := addOne(to)
		start := en.el
		start.key = en.from
		if !ok {
			start.udata = userdata.AppendUint32(nil, udataElemFlags, elemFlagIntervalOpen)
			out = append(out, start)
			continue
		}
		out = append(out, start)
		if i+1 < len(els) && bytes.Equal(els[i+1].from, end) {
			continue
		}
		out = append(out, setElem{key: end, flags: setElemIntervalEnd})
	}
	return out
}

// appendVerdictData writes an element's verdict (NFTA_SET_ELEM_DATA),
// with the chain of a jump or goto.
func (m *msgBuf) appendVerdictData(k expr.VerdictKind, chain string) {
	d := m.nest(unix.NFTA_SET_ELEM_DATA)
	v := m.nest(unix.NFTA_DATA_VERDICT)
	m.u32(unix.NFTA_VERDICT_CODE, uint32(int32(k)))
	if chain != "" {
		m.str(unix.NFTA_VERDICT_CHAIN, chain)
	}
	m.nestEnd(v)
	m.nestEnd(d)
}

// tuples lowers a lookup of several fields together (ir.Tuples) to a
// concatenation: "ip saddr . tcp dport { 10.0.0.1 . 22, … }"; a lookup
// of one field is a plain set: "iifname { "eth0", "eth1" }".
func (w *rw) tuples(m *ir.Tuples) {
	fields := make([]stmt.Field, len(m.Fields))
	for i, f := range m.Fields {
		if fields[i] = w.mapField(f); fields[i] == nil {
			return
		}
	}
	rows := make([][]stmt.Elem, 0, len(m.Elems))
	for _, el := range m.Elems {
		row := make([]stmt.Elem, len(m.Fields))
		for i, f := range m.Fields {
			e, ok := w.mapValue(f, el[i].Prefix, el[i].Ports, el[i].Value)
			if !ok {
				return
			}
			row[i] = e
		}
		rows = append(rows, row)
	}
	if len(fields) == 1 {
		set := &stmt.Set{Key: fields[0].Type(), KeyLen: fields[0].Len()}
		for _, r := range rows {
			set.Elems = append(set.Elems, r[0])
			set.Interval = set.Interval || r[0].To != nil
		}
		w.emit(&stmt.Cmp{Field: fields[0], Set: set})
		return
	}
	w.emit(&stmt.Concat{Fields: fields, Elems: rows})
}

// mapField is the field of a lookup (ir.Tuples, ir.VerdictMap) in the
// rule's family.
func (w *rw) mapField(f ir.MapField) stmt.Field {
	switch f {
	case ir.MapSaddr, ir.MapDaddr:
		return w.addrField(f.Dir() == ir.Dst)
	case ir.MapSport, ir.MapDport:
		if p := stmt.AnyPort(w.l4(), f.Dir() == ir.Dst); p != nil {
			return p
		}
		w.errorf("internal error: a lookup of ports without -p tcp or udp")
		return nil
	case ir.MapIif:
		return stmt.IifName
	case ir.MapOif:
		return stmt.OifName
	case ir.MapProto:
		if w.v6() {
			return stmt.MetaL4Proto
		}
		return stmt.IPProtocol
	case ir.MapICMPType:
		if w.v6() {
			return stmt.ICMPv6Type
		}
		return stmt.ICMPType
	case ir.MapCtState:
		return stmt.CtState
	case ir.MapEtherSaddr:
		return stmt.EtherSaddr
	case ir.MapHopLimit:
		if w.v6() {
			return stmt.IP6HopLimit
		}
		return stmt.IPTTL
	}
	w.errorf("internal error: a lookup of field %d", f)
	return nil
}

// mapValue is one field's value of a lookup element.
func (w *rw) mapValue(f ir.MapField, p netip.Prefix, ports ir.PortRange, v ir.Value) (stmt.Elem, bool) {
	var e stmt.Elem
	switch f {
	case ir.MapSaddr, ir.MapDaddr:
		p = p.Masked()
		if p.Addr().Is4() == w.v6() {
			w.errorf("internal error: a lookup element %s in an %s rule", p, w.ctx.Family)
			return e, false
		}
		r, _ := elemRange(ir.SetElem{Prefix: p})
		e.From = r.lo
		if !p.IsSingleIP() {
			e.To = r.hi
		}
	case ir.MapSport, ir.MapDport:
		e.From = be16(ports.Lo)
		if !ports.Single() {
			e.To = be16(ports.Hi)
		}
	case ir.MapIif, ir.MapOif:
		e.From = padName(v.Name)
	case ir.MapProto, ir.MapICMPType, ir.MapHopLimit:
		e.From = []byte{v.Num}
	case ir.MapCtState:
		e.From = stmt.Host32(stmt.FlagBit(stmt.CtStateDt, ctStateNft[v.State]))
	case ir.MapEtherSaddr:
		e.From = append([]byte(nil), v.MAC[:]...)
	}
	return e, true
}
