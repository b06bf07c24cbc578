package nftables

import (
	"fmt"
	"math"
	"os/user"
	"strconv"

	"github.com/google/nftables/expr"
	"github.com/google/nftables/userdata"
	"github.com/ruleshift/ruleshift/backends/nftables/stmt"
)

// Netlink encoding of the conntrack and mark statements (stmt/ct.go).

func (e *encoder) ctStmt(s stmt.Stmt) {
	switch s := s.(type) {
	case *stmt.MarkSet:
		e.markSetStmt(s)
	case *stmt.Notrack:
		e.brk(&expr.Notrack{})
	case *stmt.CtZoneSet:
		if s.Dir != stmt.CtDirNone {
			e.err = fmt.Errorf("ct %s zone set: %w", s.Dir, errUnencodable)
			return
		}
		// The zone, a host order 16-bit value, in reg 1 stored by a ct
		// expression.
		e.brk(&expr.Immediate{Register: reg1, Data: host16(s.Zone)},
			&expr.Ct{Key: expr.CtKeyZONE, Register: reg1, SourceRegister: true})
	case *stmt.CtHelperSet:
		e.brk(&expr.Objref{Type: objCtHelper, Name: s.Obj})
	case *stmt.CtMatch, *stmt.CtLabelSet, *stmt.CtEventSet:
		// Not sent over netlink yet: the rule goes through nft -f.
		e.err = fmt.Errorf("%s: %w", stmt.AppendRule(nil, &stmt.Rule{Stmts: []stmt.Stmt{s}}), errUnencodable)
	}
}

// markSetStmt loads the source, folds its steps into one bitwise (mask,
// then xor) as nft does, and stores the result.
func (e *encoder) markSetStmt(m *stmt.MarkSet) {
	if m.Shift != 0 {
		e.err = fmt.Errorf("a shifted mark: %w", errUnencodable)
		return
	}
	var store expr.Any = &expr.Meta{Key: expr.MetaKeyMARK, SourceRegister: true, Register: reg1}
	if m.Ct {
		store = &expr.Ct{Key: expr.CtKeyMARK, SourceRegister: true, Register: reg1}
	}
	var src expr.Any
	switch m.Src {
	case stmt.MarkImm:
		if len(m.Ops) == 0 {
			e.brk(&expr.Immediate{Register: reg1, Data: host32(m.Value)}, store)
			return
		}
		e.err = fmt.Errorf("a constant mark with operations: %w", errUnencodable)
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
		if s.Min != s.Max {
			e.err = fmt.Errorf("an owner id range: %w", errUnencodable)
			return
		}
		k := expr.MetaKeySKUID
		if s.Gid {
			k = expr.MetaKeySKGID
		}
		id := s.Min
		if s.Name != "" {
			var ok bool
			if id, ok = lookupID(s.Name, s.Gid); !ok {
				e.err = fmt.Errorf("meta id %q: %w", s.Name, errUnencodable)
				return
			}
		}
		e.metaCmp(k, host32(id), s.Neg)
	default:
		// Not sent over netlink yet: the rule goes through nft -f.
		e.err = fmt.Errorf("%s: %w", stmt.AppendRule(nil, &stmt.Rule{Stmts: []stmt.Stmt{s}}), errUnencodable)
	}
}

// lookupID resolves a user or group name as nft does on the host where it
// runs (getpwnam and getgrnam); Apply runs on that host, so the lookup
// gives the same id.
func lookupID(name string, group bool) (uint32, bool) {
	id := ""
	if group {
		if g, err := user.LookupGroup(name); err == nil {
			id = g.Gid
		}
	} else if u, err := user.Lookup(name); err == nil {
		id = u.Uid
	}
	n, err := strconv.ParseUint(id, 10, 32)
	return uint32(n), err == nil
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
	switch {
	case len(m.Keys) != 1:
		e.err = fmt.Errorf("meter on a concatenation: %w", errUnencodable)
		return
	case m.Cost != 0 || m.Burst > math.MaxUint32:
		e.err = fmt.Errorf("meter with a byte rate: %w", errUnencodable)
		return
	case !plainIdent.MatchString(m.Name):
		e.err = fmt.Errorf("meter name %q: %w", m.Name, errUnencodable)
		return
	}
	k := m.Keys[0]
	var x []any
	var keyType, keyLen uint32
	switch k.Proto {
	case 0:
		keyType, keyLen = typeIPAddr, 4
		if k.V6 {
			keyType, keyLen = typeIP6Addr, 16
		}
		x = []any{load(network, e.addrOffset(k.Dst), keyLen)}
		if k.Bits != uint8(keyLen*8) {
			x = append(x, &expr.Bitwise{SourceRegister: reg1, DestRegister: reg1, Len: keyLen, Mask: maskBytes(int(k.Bits), int(keyLen)), Xor: make([]byte, keyLen)})
		}
	case protoTCP, protoUDP, protoSCTP:
		e.l4dep(k.Proto)
		off := uint32(0)
		if k.Dst {
			off = 2
		}
		x, keyType, keyLen = []any{load(transport, off, 2)}, typeInetService, 2
	default:
		e.err = fmt.Errorf("meter key on %s ports: %w", stmt.ProtoName(k.Proto), errUnencodable)
		return
	}
	l := m.Limit
	l.Burst = uint32(m.Burst)
	timeout := uint64(m.Timeout)
	if m.Shared {
		e.brk(append(x, &dynsetExpr{set: &anonSet{name: m.Name, lookup: &expr.Lookup{}}, named: true, timeout: timeout, inner: &l})...)
		return
	}
	set := &anonSet{name: m.Name, keyType: keyType, keyLen: keyLen, flags: setAnonymous | setEval,
		udata: userdata.AppendUint32(nil, udataSetKeyByteorder, byteorderBig), lookup: &expr.Lookup{}}
	if timeout > 0 {
		set.flags |= setTimeout
	}
	e.sets = append(e.sets, set)
	e.brk(append(x, &dynsetExpr{set: set, timeout: timeout, inner: &l})...)
}
