package nftables

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/google/nftables/expr"
	"github.com/google/nftables/userdata"
	"github.com/ruleshift/ruleshift/backends/nftables/stmt"
)

// Concatenations looked up in anonymous sets, as nft 1.0.6 compiles them:
// "tcp sport . tcp dport [!=] { 0-65535 . 10, 10 . 0-65535 }" (multiport
// --ports) and "icmp type . icmp code [!=] { 3 . 4 }". Each field is loaded
// into a 32-bit register of its own, the first into reg 1; the set's key is
// the fields, each padded to 4 bytes. With a range the set is an interval
// set with the concat flag and field lengths, whose elements carry a key
// and a key end.

// nft datatype ids of the fields and its concat expression type.
const (
	typeICMPType   = 14
	typeICMPCode   = 32
	typeIfname     = 41
	typeCtState    = 26
	typeInetProto  = 12
	typeEtherAddr  = 9
	exprConcat     = 13
	exprPayload    = 7
	exprCt         = 12
	protoDescEther = 17
	setConcat      = 0x80 // NFT_SET_CONCAT
	protoDescIC    = 4    // PROTO_DESC_ICMP
)

// concatField is one field of a concatenation: a payload field (base,
// off, len) or, with meta or ct set, a meta or ct key of len bytes.
type concatField struct {
	base     expr.PayloadBase
	off, len uint32 // in the header of base
	dtype    uint32 // nft datatype id
	desc     uint32 // typeof: proto_desc id
	field    uint32 // typeof: header field number
	meta     *expr.MetaKey
	ct       *expr.CtKey
	linkDep  bool // a link layer field: nft's "meta iiftype ether" first
	// hostInt: a 32-bit value in host byte order (ct state), which an
	// interval set holds in network order, converted after the load.
	hostInt bool
}

// typeofExpr is the field's part of the set's "typeof" user data.
func (f concatField) typeofExpr() []byte {
	var kind uint32
	var inner []byte
	switch {
	case f.meta != nil:
		kind, inner = exprMeta, userdata.AppendUint32(nil, 0, uint32(*f.meta))
	case f.ct != nil:
		// ct's key and direction (none: -1 as nft stores it).
		kind = exprCt
		inner = userdata.AppendUint32(userdata.AppendUint32(nil, 0, uint32(*f.ct)), 1, 0xffffffff)
	default:
		kind = exprPayload
		inner = userdata.AppendUint32(userdata.AppendUint32(nil, 0, f.desc), 1, f.field)
	}
	sub := userdata.AppendUint32(nil, 0, kind)
	return userdata.Append(sub, 1, inner)
}

// loadInto loads the field into register reg.
func (f concatField) loadInto(reg uint32) any {
	switch {
	case f.meta != nil:
		return &expr.Meta{Key: *f.meta, Register: reg}
	case f.ct != nil:
		return &expr.Ct{Key: *f.ct, Register: reg}
	}
	ld := load(f.base, f.off, f.len)
	ld.DestRegister = reg
	return ld
}

// keyField is the concatenation field of a meta or ct key, or of a
// network or link layer header field other than an address.
func keyField(f stmt.Field) (concatField, bool) {
	switch f := f.(type) {
	case *stmt.Meta:
		k := f.Key
		switch k {
		case expr.MetaKeyIIFNAME, expr.MetaKeyOIFNAME:
			return concatField{len: f.Bytes, dtype: typeIfname, meta: &k}, true
		case expr.MetaKeyL4PROTO:
			return concatField{len: 1, dtype: typeInetProto, meta: &k}, true
		}
	case *stmt.Ct:
		if f.Key == expr.CtKeySTATE {
			k := f.Key
			return concatField{len: 4, dtype: typeCtState, ct: &k, hostInt: true}, true
		}
	case *stmt.Payload:
		switch f {
		case stmt.IPProtocol:
			return concatField{base: expr.PayloadBaseNetworkHeader, off: 9, len: 1, dtype: typeInetProto, desc: protoDescIP, field: 9}, true
		case stmt.IPTTL:
			return concatField{base: expr.PayloadBaseNetworkHeader, off: 8, len: 1, dtype: typeInteger, desc: protoDescIP, field: 8}, true
		case stmt.IP6HopLimit:
			return concatField{base: expr.PayloadBaseNetworkHeader, off: 7, len: 1, dtype: typeInteger, desc: protoDescIP6, field: 7}, true
		case stmt.EtherSaddr:
			return concatField{base: expr.PayloadBaseLLHeader, off: 6, len: 6, dtype: typeEtherAddr, desc: protoDescEther, field: 2, linkDep: true}, true
		}
	}
	return concatField{}, false
}

// portField is "PROTO sport|dport" of a protocol of portDesc.
func portField(proto uint8, off uint32) concatField {
	return concatField{base: transport, off: off, len: 2, dtype: typeInetService, desc: portDesc[proto], field: 1 + off/2}
}

// nft's proto_desc ids and header field numbers of the address fields
// (nftables' proto.h: PROTO_DESC_IP, IPHDR_SADDR …).
const (
	protoDescIP  = 12
	protoDescIP6 = 13
)

// addrField is "ip saddr|daddr" or "ip6 saddr|daddr" (by length).
func addrField(f *stmt.Payload) concatField {
	if f.Bytes == 16 {
		return concatField{base: expr.PayloadBaseNetworkHeader, off: f.Offset, len: 16, dtype: typeIPv6Addr, desc: protoDescIP6, field: 8 + (f.Offset-8)/16}
	}
	return concatField{base: expr.PayloadBaseNetworkHeader, off: f.Offset, len: 4, dtype: typeIPv4Addr, desc: protoDescIP, field: 11 + (f.Offset-12)/4}
}

// icmpField is "icmp type|code".
func icmpField(code bool) concatField {
	if code {
		return concatField{base: transport, off: 1, len: 1, dtype: typeICMPCode, desc: protoDescIC, field: 2}
	}
	return concatField{base: transport, off: 0, len: 1, dtype: typeICMPType, desc: protoDescIC, field: 1}
}

// concatReg is the register nft gives to 32-bit slot k: NFT_REG_1.. for
// slots that start a 128-bit register, NFT_REG32_00+k for the others
// (netlink_put_register).
func concatReg(k uint32) uint32 {
	if k%4 == 0 {
		return reg1 + k/4
	}
	return 8 + k
}

// concatLookup encodes a typed concatenation: its protocol dependency,
// each field loaded into its slot, and the lookup in the anonymous set.
func (e *encoder) concatLookup(c *stmt.Concat) {
	fields := make([]concatField, len(c.Fields))
	proto := uint8(0)
	link := false
	for i, f := range c.Fields {
		if k, ok := keyField(f); ok {
			fields[i] = k
			link = link || k.linkDep
			continue
		}
		p, ok := f.(*stmt.Payload)
		switch {
		case !ok:
			e.err = fmt.Errorf("a concatenation with %s: %w", f.Name(), errUnencodable)
			return
		case p.Base == expr.PayloadBaseNetworkHeader && (p.Dt == stmt.IPv4Addr || p.Dt == stmt.IPv6Addr):
			fields[i] = addrField(p)
			continue
		case portDesc[p.Proto] != 0:
			fields[i] = portField(p.Proto, p.Offset)
		case p.Proto == protoICMP:
			fields[i] = icmpField(p.Offset == 1)
		case p.Proto == protoICMPv6:
			fields[i] = icmp6Field(p.Offset == 1)
		default:
			e.err = fmt.Errorf("a concatenation with %s: %w", p.Text, errUnencodable)
			return
		}
		if proto != 0 && p.Proto != proto {
			e.err = fmt.Errorf("a concatenation of two protocols: %w", errUnencodable)
			return
		}
		proto = p.Proto
	}
	if len(c.Elems) == 0 {
		e.err = fmt.Errorf("a lookup in an empty set: %w", errUnencodable)
		return
	}
	if link {
		e.etherDep()
	}
	if proto != 0 {
		e.l4dep(proto)
	}
	elems := c.Elems
	interval := isInterval(elems)
	if interval {
		elems = networkOrder(fields, elems)
	}
	set := concatSet(fields, elems)
	x := make([]any, 0, len(fields)+1)
	slot := uint32(0)
	for _, f := range fields {
		r := concatReg(slot)
		x = append(x, f.loadInto(r))
		if interval && f.hostInt {
			x = append(x, &expr.Byteorder{SourceRegister: r, DestRegister: r, Op: expr.ByteorderHton, Len: f.len, Size: f.len})
		}
		slot += (f.len + 3) / 4
	}
	lk := &expr.Lookup{SourceRegister: reg1, SetName: "__set%d", Invert: c.Neg}
	set.lookup = lk
	e.sets = append(e.sets, set)
	e.add(append(x, lk)...)
}

// concatSet builds the anonymous set of the elements; with a range it is
// an interval set whose elements carry a key and a key end.
func concatSet(fields []concatField, elems [][]stmt.Elem) *anonSet {
	var lo, hi [][]byte
	interval := false
	for _, el := range elems {
		var l, h []byte
		for i := range fields {
			a, b := el[i].From, el[i].To
			if b == nil {
				b = a
			}
			interval = interval || !bytes.Equal(a, b)
			l, h = appendPaddedBytes(l, a), appendPaddedBytes(h, b)
		}
		lo, hi = append(lo, l), append(hi, h)
	}
	s := &anonSet{flags: setAnonymous | setConstant}
	for _, f := range fields {
		s.keyType = s.keyType<<6 | f.dtype
		s.keyLen += (f.len + 3) &^ 3
	}
	s.udata = userdata.AppendUint32(nil, udataSetKeyByteorder, 0)
	if interval {
		s.flags |= setInterval | setConcat
		s.udata = userdata.AppendUint32(s.udata, udataSetMerge, 1)
		for _, f := range fields {
			s.fieldLens = append(s.fieldLens, f.len)
		}
	}
	s.udata = append(s.udata, concatTypeof(fields)...)
	for i := range lo {
		el := setElem{key: lo[i]}
		if interval {
			el.keyEnd = hi[i]
		}
		s.elems = append(s.elems, el)
	}
	return s
}

// appendPaddedBytes appends a big-endian value padded to 4 bytes.
func appendPaddedBytes(b, v []byte) []byte {
	b = append(b, v...)
	for i := len(v); i%4 != 0; i++ {
		b = append(b, 0)
	}
	return b
}

// concatTypeof is the set's "typeof F1 . F2" user data.
func concatTypeof(fields []concatField) []byte {
	var subs []byte
	for i, f := range fields {
		subs = userdata.Append(subs, userdata.Type(i), f.typeofExpr())
	}
	v := userdata.AppendUint32(nil, 0, exprConcat)
	v = userdata.Append(v, 1, subs)
	return userdata.Append(nil, udataSetKeyTypeof, v)
}

// valueLookup encodes a lookup of one field of exact values in an
// anonymous set, what the optimiser makes of rules that differed in it
// alone: "iifname { "eth0", "eth1" }", "icmp type { 0, 8 }". It reports
// false for fields it does not take, which go the ways they always went.
func (e *encoder) valueLookup(c *stmt.Cmp) bool {
	if c.Set == nil || c.Set.Name != "" || c.Mask != nil || c.Prefix || c.To != nil {
		return false
	}
	f, ok := exactField(c.Field)
	if !ok {
		return false
	}
	if len(c.Set.Elems) == 0 {
		e.err = fmt.Errorf("a lookup in an empty set: %w", errUnencodable)
		return true
	}
	set := &anonSet{flags: setAnonymous | setConstant}
	f.describe(set)
	for _, el := range c.Set.Elems {
		if uint32(len(el.From)) != f.len || el.To != nil {
			e.err = fmt.Errorf("internal error: %s: a set element of %d bytes", c.Field.Name(), len(el.From))
			return true
		}
		set.elems = append(set.elems, setElem{key: el.From})
	}
	e.lookupIn(set, e.loadExact(f, c.Field), c.Neg)
	return true
}

// exactField is the field of a lookup of exact values: a meta or ct key,
// a header field keyField knows, or the ICMP or ICMPv6 type.
func exactField(fld stmt.Field) (concatField, bool) {
	if f, ok := keyField(fld); ok {
		return f, true
	}
	switch fld {
	case stmt.ICMPType:
		return icmpField(false), true
	case stmt.ICMPv6Type:
		return icmp6Field(false), true
	}
	return concatField{}, false
}

// describe gives a set keyed on the field its key type, length and user
// data (the key's byte order and typeof), as nft 1.0.6 does.
func (f concatField) describe(s *anonSet) {
	order := uint32(byteorderBig)
	if f.meta != nil || f.ct != nil {
		order = byteorderHost
	}
	s.keyType, s.keyLen = f.dtype, f.len
	s.udata = userdata.AppendUint32(nil, udataSetKeyByteorder, order)
	s.udata = userdata.Append(s.udata, udataSetKeyTypeof, f.typeofExpr())
}

// loadExact adds the field's dependency (nft's "meta iiftype ether"
// before a link layer field, the protocol before a transport one) and
// returns its load into register 1.
func (e *encoder) loadExact(f concatField, fld stmt.Field) any {
	switch {
	case f.linkDep:
		e.etherDep()
	case f.base == transport && f.meta == nil && f.ct == nil:
		if p, ok := fld.(*stmt.Payload); ok && p.Proto != 0 {
			e.l4dep(p.Proto)
		}
	}
	return f.loadInto(reg1)
}

// isInterval reports whether an element holds a range.
func isInterval(elems [][]stmt.Elem) bool {
	for _, el := range elems {
		for _, v := range el {
			if v.To != nil && !bytes.Equal(v.From, v.To) {
				return true
			}
		}
	}
	return false
}

// networkOrder returns the elements with the values of host-order fields
// in network order, as an interval set keeps them.
func networkOrder(fields []concatField, elems [][]stmt.Elem) [][]stmt.Elem {
	out := make([][]stmt.Elem, len(elems))
	for i, el := range elems {
		out[i] = append([]stmt.Elem(nil), el...)
		for k, f := range fields {
			if !f.hostInt {
				continue
			}
			v := &out[i][k]
			v.From = hostToNet(v.From)
			if v.To != nil {
				v.To = hostToNet(v.To)
			}
		}
	}
	return out
}

func hostToNet(b []byte) []byte {
	if len(b) != 4 {
		return b
	}
	return binary.BigEndian.AppendUint32(nil, binary.NativeEndian.Uint32(b))
}
