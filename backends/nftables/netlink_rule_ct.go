package nftables

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/google/nftables/expr"
	"github.com/google/nftables/userdata"
	"github.com/ruleshift/ruleshift/backends/nftables/stmt"
	"golang.org/x/sys/unix"
)

// Netlink encoding of the conntrack and mark statements (stmt/ct.go).

func (e *encoder) ctStmt(s stmt.Stmt) {
	switch s := s.(type) {
	case *stmt.MarkSet:
		e.markSetStmt(s)
	case *stmt.Notrack:
		e.brk(&expr.Notrack{})
	case *stmt.CtZoneSet:
		// The zone, a host order 16-bit value, in reg 1 stored by a ct
		// expression.
		e.brk(&expr.Immediate{Register: reg1, Data: host16(s.Zone)}, ctStore(unix.NFT_CT_ZONE, s.Dir))
	case *stmt.CtEventSet:
		mask := uint32(0)
		for _, ev := range s.Events {
			bit, ok := ctEventBits[ev]
			if !ok {
				e.err = fmt.Errorf("internal error: ct event %q", ev)
				return
			}
			mask |= 1 << bit
		}
		e.brk(&expr.Immediate{Register: reg1, Data: host32(mask)}, ctStore(unix.NFT_CT_EVENTMASK, stmt.CtDirNone))
	case *stmt.CtHelperSet:
		e.brk(&expr.Objref{Type: objCtHelper, Name: s.Obj})
	case *stmt.CtMatch:
		e.ctMatch(s)
	case *stmt.CtLabelSet:
		e.brk(&expr.Immediate{Register: reg1, Data: labelBit(s.Bit)}, ctStore(unix.NFT_CT_LABELS, stmt.CtDirNone))
	}
}

// ctLoad is a ct load into reg 1, with the tuple's direction when dir is
// set. Written by hand: google/nftables sends the direction as 32 bits,
// where the kernel reads 8.
func ctLoad(key uint32, dir stmt.CtDir) *rawExpr {
	var m msgBuf
	m.u32(unix.NFTA_CT_DREG, reg1)
	m.u32(unix.NFTA_CT_KEY, key)
	if dir != stmt.CtDirNone {
		m.attr(unix.NFTA_CT_DIRECTION, []byte{byte(dir - stmt.CtOriginal)})
	}
	return &rawExpr{name: "ct", data: m.b}
}

// ctStore is a ct store of reg 1, with a direction as ctLoad.
func ctStore(key uint32, dir stmt.CtDir) *rawExpr {
	var m msgBuf
	m.u32(unix.NFTA_CT_KEY, key)
	if dir != stmt.CtDirNone {
		m.attr(unix.NFTA_CT_DIRECTION, []byte{byte(dir - stmt.CtOriginal)})
	}
	m.u32(unix.NFTA_CT_SREG, reg1)
	return &rawExpr{name: "ct", data: m.b}
}

// ctEventBits are the kernel's event bits (enum ip_conntrack_events) by
// nft's names.
var ctEventBits = map[string]uint{
	"new": 0, "related": 1, "destroy": 2, "reply": 3, "assured": 4, "protoinfo": 5,
	"helper": 6, "mark": 7, "seqadj": 8, "secmark": 9, "label": 10,
}

// ctMatch encodes the conntrack matches nft 1.0.6 compiles without a
// byte order conversion: the direction, the tuple's protocol, addresses
// and ports; the counters and the lifetime, which it converts, are
// ctCounter's.
func (e *encoder) ctMatch(m *stmt.CtMatch) {
	neg := cmpOp(m.Op == stmt.CtNeq)
	switch {
	case m.Kind == stmt.CtDirection:
		e.add(ctLoad(unix.NFT_CT_DIRECTION, stmt.CtDirNone), &expr.Cmp{Op: expr.CmpOpEq, Register: reg1, Data: []byte{byte(m.Dir - stmt.CtOriginal)}})
	case m.Kind == stmt.CtHelper && len(m.Name) < ctHelperNameLen:
		// The name padded to NF_CT_HELPER_NAME_LEN, as nft compares it.
		v := make([]byte, ctHelperNameLen)
		copy(v, m.Name)
		e.add(ctLoad(unix.NFT_CT_HELPER, stmt.CtDirNone), &expr.Cmp{Op: neg, Register: reg1, Data: v})
	case m.Kind == stmt.CtExpiration || m.Kind == stmt.CtBytes || m.Kind == stmt.CtPackets || m.Kind == stmt.CtAvgpkt:
		e.ctCounter(m)
	case m.Kind == stmt.CtLabel && m.Lo < 128:
		// A flag test: the bit and-ed, compared with zero, or, for "and
		// BIT != BIT", with the bit.
		v := labelBit(uint16(m.Lo))
		want, op := make([]byte, len(v)), expr.CmpOpNeq
		if m.Op == stmt.CtNeq {
			want = v
		}
		e.add(ctLoad(unix.NFT_CT_LABELS, stmt.CtDirNone), &expr.Bitwise{SourceRegister: reg1, DestRegister: reg1, Len: uint32(len(v)), Mask: v, Xor: make([]byte, len(v))},
			&expr.Cmp{Op: op, Register: reg1, Data: want})
	case m.Op == stmt.CtLt || m.Op == stmt.CtGe:
		e.ctUnencodable(m)
	case m.Kind == stmt.CtProtocol:
		e.add(ctLoad(unix.NFT_CT_PROTOCOL, m.Dir), &expr.Cmp{Op: neg, Register: reg1, Data: []byte{byte(m.Lo)}})
		if m.Op == stmt.CtEq {
			// nft takes the protocol as known from here on, as after
			// "meta l4proto": a later tcp match gets no dependency.
			e.l4 = uint8(m.Lo)
		}
	case m.Kind == stmt.CtPort:
		key := uint32(unix.NFT_CT_PROTO_SRC)
		if m.Dst {
			key = unix.NFT_CT_PROTO_DST
		}
		lo, hi := be16(uint16(m.Lo)), be16(uint16(m.Hi))
		switch {
		case m.Lo == m.Hi:
			e.add(ctLoad(key, m.Dir), &expr.Cmp{Op: neg, Register: reg1, Data: lo})
		case m.Op == stmt.CtNeq:
			e.add(ctLoad(key, m.Dir), &expr.Range{Op: expr.CmpOpNeq, Register: reg1, FromData: lo, ToData: hi})
		default:
			e.add(ctLoad(key, m.Dir), &expr.Cmp{Op: expr.CmpOpGte, Register: reg1, Data: lo}, &expr.Cmp{Op: expr.CmpOpLte, Register: reg1, Data: hi})
		}
	case m.Kind == stmt.CtAddr && m.Addr.Addr().Is6() == m.V6 && m.V6 == e.v6():
		key := uint32(unix.NFT_CT_SRC_IP)
		if m.V6 {
			key = unix.NFT_CT_SRC_IP6
		}
		if m.Dst {
			key++ // NFT_CT_DST_IP, NFT_CT_DST_IP6
		}
		v := m.Addr.Addr().AsSlice()
		if m.Addr.Bits() == len(v)*8 {
			e.add(ctLoad(key, m.Dir), &expr.Cmp{Op: neg, Register: reg1, Data: v})
			return
		}
		if b := m.Addr.Bits(); b%8 == 0 {
			// nft compares the prefix bytes alone.
			e.add(ctLoad(key, m.Dir), &expr.Cmp{Op: neg, Register: reg1, Data: v[:b/8]})
			return
		}
		n := uint32(len(v))
		e.add(ctLoad(key, m.Dir), &expr.Bitwise{SourceRegister: reg1, DestRegister: reg1, Len: n, Mask: maskBytes(m.Addr.Bits(), len(v)), Xor: make([]byte, n)},
			&expr.Cmp{Op: neg, Register: reg1, Data: v})
	default:
		e.ctUnencodable(m)
	}
}

// labelBit is the 128-bit label map with one bit set, as the kernel
// holds it (bit N in byte N/8).
func labelBit(n uint16) []byte {
	b := make([]byte, 16)
	b[n/8&15] = 1 << (n % 8)
	return b
}

const ctHelperNameLen = 16 // NF_CT_HELPER_NAME_LEN

var ctCounterKeys = map[stmt.CtKind]uint32{stmt.CtExpiration: unix.NFT_CT_EXPIRATION, stmt.CtBytes: unix.NFT_CT_BYTES,
	stmt.CtPackets: unix.NFT_CT_PKTS, stmt.CtAvgpkt: unix.NFT_CT_AVGPKT}

// ctCounter compares the lifetime (32-bit milliseconds) or a counter
// (64 bits), held in host byte order: an equality compares it as it is,
// an ordered comparison or a range converts it to big endian first, as
// nft does.
func (e *encoder) ctCounter(m *stmt.CtMatch) {
	n, lo, hi := uint32(8), m.Lo, m.Hi
	if m.Kind == stmt.CtExpiration {
		n, lo, hi = 4, lo*1000, hi*1000
		if hi > math.MaxUint32 {
			e.ctUnencodable(m)
			return
		}
	}
	val := func(v uint64, host bool) []byte {
		b := make([]byte, 8)
		if host {
			binary.NativeEndian.PutUint64(b, v)
			if n == 4 {
				binary.NativeEndian.PutUint32(b, uint32(v))
			}
		} else {
			binary.BigEndian.PutUint64(b, v)
			b = b[8-n:]
		}
		return b[:n]
	}
	ld := ctLoad(ctCounterKeys[m.Kind], m.Dir)
	if m.Op != stmt.CtLt && m.Op != stmt.CtGe && lo == hi {
		e.add(ld, &expr.Cmp{Op: cmpOp(m.Op == stmt.CtNeq), Register: reg1, Data: val(lo, true)})
		return
	}
	swap := &expr.Byteorder{SourceRegister: reg1, DestRegister: reg1, Op: expr.ByteorderHton, Len: n, Size: n}
	switch m.Op {
	case stmt.CtLt:
		e.add(ld, swap, &expr.Cmp{Op: expr.CmpOpLt, Register: reg1, Data: val(lo, false)})
	case stmt.CtGe:
		e.add(ld, swap, &expr.Cmp{Op: expr.CmpOpGte, Register: reg1, Data: val(lo, false)})
	case stmt.CtNeq:
		e.add(ld, swap, &expr.Range{Op: expr.CmpOpNeq, Register: reg1, FromData: val(lo, false), ToData: val(hi, false)})
	default:
		e.add(ld, swap, &expr.Cmp{Op: expr.CmpOpGte, Register: reg1, Data: val(lo, false)}, &expr.Cmp{Op: expr.CmpOpLte, Register: reg1, Data: val(hi, false)})
	}
}

// ctUnencodable reports a conntrack match the lowering (conntrack.go)
// does not produce: an ordered comparison of another key, a lifetime
// beyond 32-bit milliseconds, an address of the other family.
func (e *encoder) ctUnencodable(s stmt.Stmt) {
	e.err = fmt.Errorf("internal error: no netlink encoding for %s", stmt.AppendRule(nil, &stmt.Rule{Stmts: []stmt.Stmt{s}}))
}

// markSetStmt loads the source, folds its steps into one bitwise (mask,
// then xor) as nft does, and stores the result.
func (e *encoder) markSetStmt(m *stmt.MarkSet) {
	var store expr.Any = &expr.Meta{Key: expr.MetaKeyMARK, SourceRegister: true, Register: reg1}
	if m.Ct {
		store = &expr.Ct{Key: expr.CtKeyMARK, SourceRegister: true, Register: reg1}
	}
	var src expr.Any
	switch m.Src {
	case stmt.MarkImm:
		e.brk(&expr.Immediate{Register: reg1, Data: host32(foldMark(m))}, store)
		return
	case stmt.MarkMeta:
		src = &expr.Meta{Key: expr.MetaKeyMARK, Register: reg1}
	case stmt.MarkCt:
		src = &expr.Ct{Key: expr.CtKeyMARK, Register: reg1}
	}
	mask, xor := ^uint32(0), uint32(0)
	for _, o := range m.Ops {
		switch o.Op {
		case '&':
			mask, xor = mask&o.V, xor&o.V
		case '|':
			mask, xor = mask&^o.V, xor|o.V
		default:
			xor ^= o.V
		}
	}
	x := []any{src}
	if mask != ^uint32(0) || xor != 0 {
		x = append(x, &expr.Bitwise{SourceRegister: reg1, DestRegister: reg1, Len: 4, Mask: host32(mask), Xor: host32(xor)})
	}
	if m.Shift != 0 {
		x = append(x, markShift(m))
	}
	e.brk(append(x, store)...)
}

// statefulStmt encodes the statements of stmt/stateful.go that nft -f
// was not needed for before: the ipsec tests and single owner ids.
func (e *encoder) statefulStmt(s stmt.Stmt) {
	switch s := s.(type) {
	case *stmt.Secpath:
		var ld expr.Any = &expr.Meta{Key: metaKeySecpath, Register: reg1}
		if s.Out {
			ld = &expr.Rt{Key: rtKeyXfrm, Register: reg1}
		}
		v := byte(0)
		if s.Exists {
			v = 1
		}
		e.add(ld, &expr.Cmp{Op: expr.CmpOpEq, Register: reg1, Data: []byte{v}})
	case *stmt.SkID:
		k := expr.MetaKeySKUID
		if s.Gid {
			k = expr.MetaKeySKGID
		}
		if s.Min != s.Max {
			// A range of host order values: converted first, as nft does.
			ld := &expr.Meta{Key: k, Register: reg1}
			swap := &expr.Byteorder{SourceRegister: reg1, DestRegister: reg1, Op: expr.ByteorderHton, Len: 4, Size: 4}
			lo, hi := binary.BigEndian.AppendUint32(nil, s.Min), binary.BigEndian.AppendUint32(nil, s.Max)
			if s.Neg {
				e.add(ld, swap, &expr.Range{Op: expr.CmpOpNeq, Register: reg1, FromData: lo, ToData: hi})
				return
			}
			e.add(ld, swap, &expr.Cmp{Op: expr.CmpOpGte, Register: reg1, Data: lo}, &expr.Cmp{Op: expr.CmpOpLte, Register: reg1, Data: hi})
			return
		}
		// A name was resolved on this host when the rule was read (as
		// iptables does), and nft resolves it here again when it loads
		// the text: Min is the id either way.
		e.metaCmp(k, host32(s.Min), s.Neg)
	case *stmt.Random:
		op := expr.CmpOpLt
		if s.Neg {
			op = expr.CmpOpGte
		}
		// nft takes meta random as a big-endian value: no conversion.
		e.add(&expr.Meta{Key: expr.MetaKeyPRANDOM, Register: reg1},
			&expr.Bitwise{SourceRegister: reg1, DestRegister: reg1, Len: 4, Mask: binary.BigEndian.AppendUint32(nil, 0x7fffffff), Xor: make([]byte, 4)},
			&expr.Cmp{Op: op, Register: reg1, Data: binary.BigEndian.AppendUint32(nil, s.Prob)})
	case *stmt.Quota:
		e.brk(&expr.Quota{Bytes: s.Bytes, Over: s.Over})
	case *stmt.Numgen:
		if s.Mod > math.MaxUint32 {
			// The lowering refuses it (stateful.go).
			e.err = fmt.Errorf("internal error: numgen modulus %d", s.Mod)
			return
		}
		e.add(&expr.Numgen{Register: reg1, Modulus: uint32(s.Mod), Type: unix.NFT_NG_INCREMENTAL},
			&expr.Cmp{Op: cmpOp(s.Neg), Register: reg1, Data: host32(s.Packet)})
	default:
		e.err = fmt.Errorf("internal error: no netlink encoding for %T", s)
	}
}

// meterStmt encodes a meter as nft 1.0.6 compiles "meter NAME { KEY
// [timeout T] limit rate [over] N/UNIT burst B packets }": a set of that
// name created with the rule (flags anonymous and eval, the key's type and
// length, its byte order as user data, no description and no elements),
// the key loaded (and masked) into reg 1, and a dynset expression that
// adds the key to the set with a limit expression attached; with a
// timeout the set has the timeout flag and the dynset updates the key. A
// shared name's set is declared in the table (meters.go); its id is
// filled in when the rule is written.
func (e *encoder) meterStmt(m *stmt.Meter) {
	l, ok := meterLimit(m)
	if !ok || len(m.Keys) == 0 {
		e.err = fmt.Errorf("internal error: meter %s: a burst of %d", m.Name, m.Burst)
		return
	}
	x, keyType, keyLen, ok := e.meterKeys(m)
	if !ok {
		return
	}
	timeout := uint64(m.Timeout)
	if m.Shared {
		e.brk(append(x, &dynsetExpr{set: &anonSet{name: m.Name, lookup: &expr.Lookup{}}, named: true, timeout: timeout, inner: &l})...)
		return
	}
	// A concatenation's key has no byte order (0), a single field's is
	// big endian.
	order := uint32(byteorderBig)
	if len(m.Keys) > 1 {
		order = 0
	}
	set := &anonSet{name: m.Name, keyType: keyType, keyLen: keyLen, flags: setAnonymous | setEval,
		udata: userdata.AppendUint32(nil, udataSetKeyByteorder, order), lookup: &expr.Lookup{}}
	if timeout > 0 {
		set.flags |= setTimeout
	}
	e.sets = append(e.sets, set)
	e.brk(append(x, &dynsetExpr{set: set, timeout: timeout, inner: &l})...)
}
