package nftables

import (
	"bytes"
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
	typeICMPType = 14
	typeICMPCode = 32
	exprConcat   = 13
	exprPayload  = 7
	setConcat    = 0x80 // NFT_SET_CONCAT
	protoDescIC  = 4    // PROTO_DESC_ICMP
)

// concatField is one field of a concatenation.
type concatField struct {
	base     expr.PayloadBase
	off, len uint32 // in the header of base
	dtype    uint32 // nft datatype id
	desc     uint32 // typeof: proto_desc id
	field    uint32 // typeof: header field number
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
	for i, f := range c.Fields {
		switch {
		case f.Base == expr.PayloadBaseNetworkHeader && (f.Dt == stmt.IPv4Addr || f.Dt == stmt.IPv6Addr):
			fields[i] = addrField(f)
			continue
		case portDesc[f.Proto] != 0:
			fields[i] = portField(f.Proto, f.Offset)
		case f.Proto == protoICMP:
			fields[i] = icmpField(f.Offset == 1)
		case f.Proto == protoICMPv6:
			fields[i] = icmp6Field(f.Offset == 1)
		default:
			e.err = fmt.Errorf("a concatenation with %s: %w", f.Text, errUnencodable)
			return
		}
		if proto != 0 && f.Proto != proto {
			e.err = fmt.Errorf("a concatenation of two protocols: %w", errUnencodable)
			return
		}
		proto = f.Proto
	}
	if len(c.Elems) == 0 {
		e.err = fmt.Errorf("a lookup in an empty set: %w", errUnencodable)
		return
	}
	if proto != 0 {
		e.l4dep(proto)
	}
	set := concatSet(fields, c.Elems)
	x := make([]any, 0, len(fields)+1)
	slot := uint32(0)
	for _, f := range fields {
		ld := load(f.base, f.off, f.len)
		ld.DestRegister = concatReg(slot)
		x = append(x, ld)
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
		inner := userdata.AppendUint32(nil, 0, f.desc)
		inner = userdata.AppendUint32(inner, 1, f.field)
		sub := userdata.AppendUint32(nil, 0, exprPayload)
		sub = userdata.Append(sub, 1, inner)
		subs = userdata.Append(subs, userdata.Type(i), sub)
	}
	v := userdata.AppendUint32(nil, 0, exprConcat)
	v = userdata.Append(v, 1, subs)
	return userdata.Append(nil, udataSetKeyTypeof, v)
}
