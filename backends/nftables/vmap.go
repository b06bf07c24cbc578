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
		v, ok := w.mapValue(t.Field, e.Prefix, e.Ports, e.Value)
		if !ok {
			return
		}
		el.From, el.To = v.From, v.To
		switch {
		case t.Field.IsAddr():
			p := e.Prefix.Masked()
			el.Text = p.Addr().String()
			if !p.IsSingleIP() {
				el.Text, m.Interval = p.String(), true
			}
		case t.Field == ir.MapSport || t.Field == ir.MapDport:
			el.Text = fmt.Sprint(e.Ports.Lo)
			if !e.Ports.Single() {
				el.Text, m.Interval = fmt.Sprintf("%d-%d", e.Ports.Lo, e.Ports.Hi), true
			}
		default:
			el.Text = string(stmt.AppendValue(nil, f.Type(), v.From))
		}
		m.Elems = append(m.Elems, el)
	}
	w.emit(m)
}

// verdictMap encodes the lookup of a verdict map and its anonymous map.
func (e *encoder) verdictMap(m *stmt.VMap) {
	if len(m.Elems) == 0 {
		e.err = fmt.Errorf("a verdict map without elements: %w", errUnencodable)
		return
	}
	f, ok := m.Field.(*stmt.Payload)
	if !ok || f == stmt.IPProtocol || f == stmt.EtherSaddr || f == stmt.ICMPType || f == stmt.ICMPv6Type {
		e.valueMap(m)
		return
	}
	if f.Proto != 0 {
		e.l4dep(f.Proto)
	}
	s := &anonSet{keyLen: f.Bytes, flags: setAnonymous | setConstant | setMap, isMap: true}
	switch f.Dt {
	case stmt.IPv4Addr:
		s.keyType = typeIPv4Addr
	case stmt.IPv6Addr:
		s.keyType = typeIPv6Addr
	case stmt.InetService:
		s.keyType = typeInetService
	default:
		e.err = fmt.Errorf("a verdict map on %s: %w", f.Text, errUnencodable)
		return
	}
	s.udata = userdata.AppendUint32(nil, udataSetKeyByteorder, byteorderBig)
	if m.Interval {
		s.flags |= setInterval
	}
	s.elems = vmapElems(m)
	lk := &expr.Lookup{SourceRegister: reg1, DestRegister: 0, IsDestRegSet: true, SetName: "__map%d"}
	s.lookup = lk
	e.sets = append(e.sets, s)
	e.add(load(f.Base, f.Offset, f.Bytes), lk)
}

// vmapElems are the elements of a verdict map: one key each, or for an
// interval map the ranges in order, each a start carrying the verdict
// and an end one past it unless the next range starts there, after an
// end at zero when the first range does not start there; a range that
// reaches the last value has no end.
func vmapElems(m *stmt.VMap) []setElem {
	els := append([]stmt.VMapElem(nil), m.Elems...)
	sort.Slice(els, func(i, j int) bool { return bytes.Compare(els[i].From, els[j].From) < 0 })
	var out []setElem
	if !m.Interval {
		for _, el := range els {
			out = append(out, setElem{key: el.From, verdict: el.Verdict, chain: el.Chain, hasData: true})
		}
		return out
	}
	if !isZero(els[0].From) {
		out = append(out, setElem{key: make([]byte, len(els[0].From)), flags: setElemIntervalEnd})
	}
	for i, el := range els {
		to := el.To
		if to == nil {
			to = el.From
		}
		end, ok := addOne(to)
		start := setElem{key: el.From, verdict: el.Verdict, chain: el.Chain, hasData: true}
		if !ok {
			start.udata = userdata.AppendUint32(nil, udataElemFlags, elemFlagIntervalOpen)
			out = append(out, start)
			continue
		}
		out = append(out, start)
		if i+1 < len(els) && bytes.Equal(els[i+1].From, end) {
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

// valueMap encodes a verdict map on a field of exact values (an
// interface name, a conntrack state, the protocol, an ICMP type):
// "ct state vmap { invalid : drop, established : accept }".
func (e *encoder) valueMap(m *stmt.VMap) {
	f, ok := keyField(m.Field)
	if !ok {
		switch m.Field {
		case stmt.ICMPType:
			f, ok = icmpField(false), true
		case stmt.ICMPv6Type:
			f, ok = icmp6Field(false), true
		}
	}
	if !ok {
		e.err = fmt.Errorf("a verdict map on %s: %w", m.Field.Name(), errUnencodable)
		return
	}
	order := uint32(byteorderBig)
	if f.meta != nil || f.ct != nil {
		order = byteorderHost
	}
	s := &anonSet{keyType: f.dtype, keyLen: f.len, flags: setAnonymous | setConstant | setMap, isMap: true}
	s.udata = userdata.AppendUint32(nil, udataSetKeyByteorder, order)
	s.udata = userdata.Append(s.udata, udataSetKeyTypeof, f.typeofExpr())
	s.elems = vmapElems(m)
	switch {
	case f.linkDep && !e.linkDep:
		e.add(&expr.Meta{Key: expr.MetaKeyIIFTYPE, Register: reg1}, &expr.Cmp{Op: expr.CmpOpEq, Register: reg1, Data: host16(arphrdEther)})
		e.linkDep = true
	case f.base == transport && f.meta == nil && f.ct == nil:
		if p, ok := m.Field.(*stmt.Payload); ok && p.Proto != 0 {
			e.l4dep(p.Proto)
		}
	}
	lk := &expr.Lookup{SourceRegister: reg1, DestRegister: 0, IsDestRegSet: true, SetName: "__map%d"}
	s.lookup = lk
	e.sets = append(e.sets, s)
	e.add(f.loadInto(reg1), lk)
}
