package nftables

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/google/nftables/expr"
	"github.com/google/nftables/userdata"
)

// Meters, as nft 1.0.6 compiles "meter NAME { KEY [and MASK] [timeout Ns]
// limit rate [over] N/UNIT burst B packets }": a set of that name created
// with the rule (flags anonymous and eval, the key's type and length, its
// byte order as user data, no description and no elements), the key
// loaded (and masked) into reg 1, and a dynset expression that adds the
// key to the set with a limit expression attached. With a timeout the set
// has the timeout flag and the dynset updates the key with that timeout.

const (
	typeIPAddr  = 7
	typeIP6Addr = 8
	setEval     = 0x20 // NFT_SET_EVAL
	setTimeout  = 0x10 // NFT_SET_TIMEOUT
)

// dynsetExpr is "dynset add reg_key 1 set NAME expr [ … ]"; the set's id
// is known only when the batch is written.
type dynsetExpr struct {
	set     *anonSet
	timeout uint64 // in ms; with a timeout nft updates instead of adding
	inner   expr.Any
}

// meter compiles what follows "meter".
func (e *encoder) meter() {
	name := e.next()
	if !plainIdent.MatchString(name) || e.next() != "{" {
		e.unencodable("meter form")
		return
	}
	x, keyType, keyLen, ok := e.meterKey()
	if !ok {
		return
	}
	var timeout uint64
	if e.peek() == "timeout" {
		e.pos++
		t := e.next()
		n, err := strconv.ParseUint(strings.TrimSuffix(t, "s"), 10, 32)
		if err != nil || !strings.HasSuffix(t, "s") || n == 0 {
			e.unencodable("meter timeout %q", t)
			return
		}
		timeout = n * 1000
	}
	if e.next() != "limit" {
		e.pos--
		e.unencodable("meter statement %q", e.peek())
		return
	}
	l := e.limitExpr()
	if l == nil {
		return
	}
	if e.next() != "}" {
		e.pos--
		e.unencodable("meter option %q", e.peek())
		return
	}
	set := &anonSet{name: name, keyType: keyType, keyLen: keyLen, flags: setAnonymous | setEval,
		udata: userdata.AppendUint32(nil, udataSetKeyByteorder, byteorderBig), lookup: &expr.Lookup{}}
	if timeout > 0 {
		set.flags |= setTimeout
	}
	e.sets = append(e.sets, set)
	e.brk(append(x, &dynsetExpr{set: set, timeout: timeout, inner: l})...)
}

// meterKey reads the key of a meter: "ip|ip6 saddr|daddr [and MASK]" or
// "tcp|udp|sctp sport|dport", and returns its loads.
func (e *encoder) meterKey() ([]any, uint32, uint32, bool) {
	kw, f := e.next(), e.next()
	if e.peek() == "." {
		e.unencodable("meter on a concatenation")
		return nil, 0, 0, false
	}
	switch {
	case (kw == "ip" || kw == "ip6") && (f == "saddr" || f == "daddr") && (kw == "ip6") == e.v6():
		n, typ := uint32(4), uint32(typeIPAddr)
		if e.v6() {
			n, typ = 16, typeIP6Addr
		}
		x := []any{load(network, e.addrOffset(f == "daddr"), n)}
		if e.peek() == "and" {
			e.pos++
			a, err := netip.ParseAddr(e.next())
			if err != nil || a.Is6() != e.v6() {
				e.unencodable("meter mask")
				return nil, 0, 0, false
			}
			x = append(x, &expr.Bitwise{SourceRegister: reg1, DestRegister: reg1, Len: n, Mask: a.AsSlice(), Xor: make([]byte, n)})
		}
		return x, typ, n, true
	case (kw == "tcp" || kw == "udp" || kw == "sctp") && (f == "sport" || f == "dport"):
		proto := map[string]uint8{"tcp": protoTCP, "udp": protoUDP, "sctp": protoSCTP}[kw]
		e.l4dep(proto)
		off := uint32(0)
		if f == "dport" {
			off = 2
		}
		return []any{load(transport, off, 2)}, typeInetService, 2, true
	}
	e.unencodable("meter key %s %s", kw, f)
	return nil, 0, 0, false
}

// writeDynset writes the attributes of a dynset expression in the order
// nft sends them.
func (m *msgBuf) writeDynset(fam byte, x *dynsetExpr) {
	m.str(1, "dynset") // NFTA_EXPR_NAME
	d := m.nest(2)     // NFTA_EXPR_DATA
	m.u32(4, reg1)     // NFTA_DYNSET_SREG_KEY
	if x.timeout == 0 {
		m.u32(3, 0) // NFTA_DYNSET_OP: add
	} else {
		m.u32(3, 1) // update
		m.u64(6, x.timeout)
	}
	m.str(1, x.set.name)
	m.u32(2, x.set.lookup.SetID)
	in := m.nest(7) // NFTA_DYNSET_EXPR
	if !m.writeExpr(x.inner) {
		data, err := expr.Marshal(fam, x.inner)
		if err != nil {
			panic(fmt.Sprintf("internal error: marshal %T: %v", x.inner, err))
		}
		m.raw(data)
	}
	m.nestEnd(in)
	m.nestEnd(d)
}

// addMeterSet writes the set of a meter: no description, no elements.
func (b *batch) addMeterSet(t *nlTable, s *anonSet, o origin) {
	h := &b.head
	h.begin(msgNewSet, nlmFCreate, t.fam, o)
	h.m.str(1, t.name)
	h.m.str(2, s.name)
	h.m.u32(3, s.flags)
	h.m.u32(4, s.keyType)
	h.m.u32(5, s.keyLen)
	h.m.u32(10, s.lookup.SetID) // NFTA_SET_ID
	h.m.attr(13, s.udata)
	h.m.end()
}

// meterClash names a meter of r that an earlier rule of the table
// already created, which nft would refuse.
func (b *batch) meterClash(r *nlRule) error {
	for _, s := range r.sets {
		if s.name == "" {
			continue
		}
		if b.meters[s.name] {
			return fmt.Errorf("meter %s in two rules: %w", s.name, errUnencodable)
		}
		b.meters[s.name] = true
	}
	return nil
}
