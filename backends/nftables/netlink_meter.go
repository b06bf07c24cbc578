package nftables

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/google/nftables/expr"
	"github.com/google/nftables/userdata"
	"golang.org/x/sys/unix"
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
	set *anonSet
	// named: the set is declared in the table (a shared hashlimit
	// name), not created with the rule.
	named   bool
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
	x, keyType, keyLen, timeout, l, ok := e.meterBody()
	if !ok {
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

// dynsetStmt compiles what follows "add" or "update": "@NAME { KEY
// [timeout T] limit … }", a hashlimit name shared by several rules
// (meters.go). The set is declared in the table; its id is filled in when
// the rule is written.
func (e *encoder) dynsetStmt(op string) {
	name, ok := strings.CutPrefix(e.next(), "@")
	if !ok || !plainIdent.MatchString(name) || e.next() != "{" {
		e.unencodable("%s statement", op)
		return
	}
	x, _, _, timeout, l, ok := e.meterBody()
	if !ok {
		return
	}
	// As nft compiles a meter: update with a timeout, add without.
	if (op == "update") != (timeout > 0) {
		e.unencodable("%s @%s without the timeout it implies", op, name)
		return
	}
	e.brk(append(x, &dynsetExpr{set: &anonSet{name: name, lookup: &expr.Lookup{}}, named: true, timeout: timeout, inner: l})...)
}

// meterBody reads "KEY [timeout T] limit … }" after a meter's or a
// dynset's opening brace.
func (e *encoder) meterBody() (x []any, keyType, keyLen uint32, timeout uint64, l expr.Any, ok bool) {
	x, keyType, keyLen, ok = e.meterKey()
	if !ok {
		return
	}
	if e.peek() == "timeout" {
		e.pos++
		t := e.next()
		ms, good := parseNftMillis(t)
		if !good || ms == 0 {
			e.unencodable("meter timeout %q", t)
			return x, 0, 0, 0, nil, false
		}
		timeout = ms
	}
	if e.next() != "limit" {
		e.pos--
		e.unencodable("meter statement %q", e.peek())
		return x, 0, 0, 0, nil, false
	}
	l = e.limitExpr()
	if l == nil {
		return x, 0, 0, 0, nil, false
	}
	if e.next() != "}" {
		e.pos--
		e.unencodable("meter option %q", e.peek())
		return x, 0, 0, 0, nil, false
	}
	return x, keyType, keyLen, timeout, l, true
}

// parseNftMillis reads what nftMillis writes: "60s", "1s500ms", "500ms".
func parseNftMillis(t string) (uint64, bool) {
	secs, ms := t, ""
	if strings.HasSuffix(t, "ms") {
		secs, ms = "", t[:len(t)-2]
		if i := strings.IndexByte(ms, 's'); i >= 0 {
			secs, ms = ms[:i+1], ms[i+1:]
		}
	}
	var total uint64
	if secs != "" {
		n, err := strconv.ParseUint(strings.TrimSuffix(secs, "s"), 10, 32)
		if err != nil || !strings.HasSuffix(secs, "s") {
			return 0, false
		}
		total = n * 1000
	}
	if ms != "" {
		n, err := strconv.ParseUint(ms, 10, 32)
		if err != nil {
			return 0, false
		}
		total += n
	}
	return total, true
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
	m.str(unix.NFTA_EXPR_NAME, "dynset")
	d := m.nest(unix.NFTA_EXPR_DATA)
	m.u32(unix.NFTA_DYNSET_SREG_KEY, reg1)
	if x.timeout == 0 {
		m.u32(unix.NFTA_DYNSET_OP, 0) // NFTA_DYNSET_OP: add
	} else {
		m.u32(unix.NFTA_DYNSET_OP, 1) // update
		m.u64(unix.NFTA_DYNSET_TIMEOUT, x.timeout)
	}
	m.str(unix.NFTA_DYNSET_SET_NAME, x.set.name)
	m.u32(unix.NFTA_DYNSET_SET_ID, x.set.lookup.SetID)
	in := m.nest(unix.NFTA_DYNSET_EXPR)
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
	h.m.str(unix.NFTA_SET_TABLE, t.name)
	h.m.str(unix.NFTA_SET_NAME, s.name)
	h.m.u32(unix.NFTA_SET_FLAGS, s.flags)
	h.m.u32(unix.NFTA_SET_KEY_TYPE, s.keyType)
	h.m.u32(unix.NFTA_SET_KEY_LEN, s.keyLen)
	h.m.u32(unix.NFTA_SET_ID, s.lookup.SetID)
	h.m.attr(unix.NFTA_SET_USERDATA, s.udata)
	h.m.end()
}

// meterSetDecl is a parsed "{ type T; size 65535; flags dynamic[,timeout]; }",
// the set meters.go declares for a shared hashlimit name.
type meterSetDecl struct {
	keyType, keyLen, flags uint32
}

// parseMeterSet reads the body meters.go declares; a key on several
// fields is not covered.
func parseMeterSet(kind, body string) (meterSetDecl, bool) {
	var d meterSetDecl
	f := strings.Fields(strings.NewReplacer(";", " ; ").Replace(body))
	if kind != "set" || len(f) != 11 || f[0] != "{" || f[1] != "type" || f[3] != ";" || f[4] != "size" || f[5] != "65535" || f[6] != ";" || f[7] != "flags" || f[9] != ";" || f[10] != "}" {
		return d, false
	}
	switch f[2] {
	case "ipv4_addr":
		d.keyType, d.keyLen = typeIPAddr, 4
	case "ipv6_addr":
		d.keyType, d.keyLen = typeIP6Addr, 16
	case "inet_service":
		d.keyType, d.keyLen = typeInetService, 2
	default:
		return d, false
	}
	switch f[8] {
	case "dynamic":
		d.flags = setEval
	case "dynamic,timeout":
		d.flags = setEval | setTimeout
	default:
		return d, false
	}
	return d, true
}

// addNamedMeterSet writes the set of a shared hashlimit name as nft 1.0.6
// sends "set NAME { type T; size 65535; flags dynamic…; }": no elements.
func (b *batch) addNamedMeterSet(t *nlTable, name string, d meterSetDecl, o origin) {
	b.setID++
	b.named[name] = b.setID
	h := &b.head
	h.begin(msgNewSet, nlmFCreate, t.fam, o)
	h.m.str(unix.NFTA_SET_TABLE, t.name)
	h.m.str(unix.NFTA_SET_NAME, name)
	h.m.u32(unix.NFTA_SET_FLAGS, d.flags)
	h.m.u32(unix.NFTA_SET_KEY_TYPE, d.keyType)
	h.m.u32(unix.NFTA_SET_KEY_LEN, d.keyLen)
	h.m.u32(unix.NFTA_SET_ID, b.setID)
	desc := h.m.nest(unix.NFTA_SET_DESC)
	h.m.u32(unix.NFTA_SET_DESC_SIZE, 65535)
	h.m.nestEnd(desc)
	h.m.attr(unix.NFTA_SET_USERDATA, userdata.AppendUint32(nil, udataSetKeyByteorder, byteorderBig))
	h.m.end()
	b.place.handle++
}

// bindNamed gives the dynset expressions of r that update a declared set
// that set's id.
func (b *batch) bindNamed(r *nlRule) error {
	for _, x := range r.exprs {
		if d, ok := x.(*dynsetExpr); ok && d.named {
			id, ok := b.named[d.set.name]
			if !ok {
				return fmt.Errorf("set %s is not declared: %w", d.set.name, errUnencodable)
			}
			d.set.lookup.SetID = id
		}
	}
	return nil
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
