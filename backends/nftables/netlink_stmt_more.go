package nftables

import (
	"encoding/binary"
	"net/netip"
	"strconv"
	"strings"

	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// Conntrack, marks, limit, fib and NAT statements.

// statementMore compiles statements beyond the core ones; false when kw
// starts none it knows.
func (e *encoder) statementMore(kw string) bool {
	switch kw {
	case "ct":
		e.ct()
	case "limit":
		e.limit()
	case "meter":
		e.meter()
	case "add", "update":
		e.dynsetStmt(kw)
	case "fib":
		e.fib()
	case "masquerade", "redirect":
		e.masqRedirect(kw)
	case "snat", "dnat":
		e.nat(kw)
	case "notrack":
		e.brk(&expr.Notrack{})
	case "ether":
		e.ether()
	case "rt":
		e.rt()
	case "mark": // nft's short form of "meta mark"
		e.markStmt(&expr.Meta{Key: expr.MetaKeyMARK, Register: reg1})
	default:
		return false
	}
	return true
}

// host32 is a 32-bit value in host byte order, as marks, uids, conntrack
// state and status and fib results are held.
func host32(v uint32) []byte { return binary.NativeEndian.AppendUint32(nil, v) }

// metaMore compiles "meta mark …", "meta skuid|skgid ID" and "meta
// secpath exists|missing".
func (e *encoder) metaMore(key string) bool {
	switch key {
	case "mark":
		e.markStmt(&expr.Meta{Key: expr.MetaKeyMARK, Register: reg1})
	case "skuid", "skgid":
		k := expr.MetaKeySKUID
		if key == "skgid" {
			k = expr.MetaKeySKGID
		}
		neg := e.neg()
		if n, ok := e.idValue(key == "skgid"); ok {
			e.metaCmp(k, host32(n), neg)
		}
	case "secpath":
		e.boolCmp(&expr.Meta{Key: metaKeySecpath, Register: reg1})
	default:
		return false
	}
	return true
}

func (e *encoder) hex32() (uint32, bool) {
	t := e.next()
	n, err := strconv.ParseUint(t, 0, 32)
	if err != nil {
		e.unencodable("value %q", t)
		return 0, false
	}
	return uint32(n), true
}

// markStmt compiles, after "meta mark" or "ct mark": a condition
// ("[!=] V", "and M ==|!= V") or an assignment ("set …").
func (e *encoder) markStmt(ld expr.Any) {
	switch e.peek() {
	case "set":
		e.pos++
		e.markSet(ld)
	case "and":
		e.pos++
		m, ok1 := e.hex32()
		neg := e.neg()
		v, ok2 := e.hex32()
		if ok1 && ok2 {
			e.add(ld, &expr.Bitwise{SourceRegister: reg1, DestRegister: reg1, Len: 4, Mask: host32(m), Xor: host32(0)},
				&expr.Cmp{Op: cmpOp(neg), Register: reg1, Data: host32(v)})
		}
	default:
		neg := e.neg()
		if v, ok := e.hex32(); ok {
			e.add(ld, &expr.Cmp{Op: cmpOp(neg), Register: reg1, Data: host32(v)})
		}
	}
}

// markSet compiles the right side of "KEY set …" as markSet writes it.
func (e *encoder) markSet(ld expr.Any) {
	var store expr.Any = &expr.Meta{Key: expr.MetaKeyMARK, SourceRegister: true, Register: reg1}
	if _, ct := ld.(*expr.Ct); ct {
		store = &expr.Ct{Key: expr.CtKeyMARK, SourceRegister: true, Register: reg1}
	}
	var src expr.Any
	switch t := e.peek(); {
	case strings.HasPrefix(t, "0x"):
		v, _ := e.hex32()
		e.brk(&expr.Immediate{Register: reg1, Data: host32(v)}, store)
		return
	case t == "meta" || t == "ct":
		e.pos++
		if e.next() != "mark" {
			e.unencodable("mark set form")
			return
		}
		src = &expr.Meta{Key: expr.MetaKeyMARK, Register: reg1}
		if t == "ct" {
			src = &expr.Ct{Key: expr.CtKeyMARK, Register: reg1}
		}
	default:
		e.unencodable("mark set form %q", t)
		return
	}
	mask, xor := ^uint32(0), uint32(0)
	for done := false; !done; {
		switch e.peek() {
		case "and":
			e.pos++
			v, ok := e.hex32()
			if !ok {
				return
			}
			mask, xor = mask&v, xor&v
		case "or":
			e.pos++
			v, ok := e.hex32()
			if !ok {
				return
			}
			mask, xor = mask&^v, xor|v
		case "xor":
			e.pos++
			v, ok := e.hex32()
			if !ok {
				return
			}
			xor ^= v
		default:
			done = true
		}
	}
	x := []any{src}
	if mask != ^uint32(0) || xor != 0 {
		x = append(x, &expr.Bitwise{SourceRegister: reg1, DestRegister: reg1, Len: 4, Mask: host32(mask), Xor: host32(xor)})
	}
	e.brk(append(x, store)...)
}

var ctStateBits = map[string]uint32{"invalid": 1, "established": 2, "related": 4, "new": 8, "untracked": 64}

var ctStatusBits = map[string]uint32{
	"expected": 0x1, "seen-reply": 0x2, "assured": 0x4, "confirmed": 0x8, "snat": 0x10, "dnat": 0x20, "dying": 0x200,
}

// ct compiles "ct state", "ct status" and "ct mark".
func (e *encoder) ct() {
	switch k := e.next(); k {
	case "state", "status":
		key, bits := expr.CtKeySTATE, ctStateBits
		if k == "status" {
			key, bits = expr.CtKeySTATUS, ctStatusBits
		}
		e.ctFlags(key, bits)
	case "mark":
		e.markStmt(&expr.Ct{Key: expr.CtKeyMARK, Register: reg1})
	case "helper":
		e.ctHelperSet()
	case "zone":
		e.ctZoneSet()
	default:
		e.pos -= 2
		e.unencodable("ct %s", k)
	}
}

// ctFlags compiles a flag test: "LIST" (some flag set), "! LIST" (none
// set) and "!= LIST" (the value differs), as nft 1.0.6 does.
func (e *encoder) ctFlags(key expr.CtKey, bits map[string]uint32) {
	op := ""
	if t := e.peek(); t == "!" || t == "!=" {
		op = t
		e.pos++
	}
	var v uint32
	for _, n := range strings.Split(e.next(), ",") {
		b, ok := bits[n]
		if !ok {
			e.unencodable("ct flag %q", n)
			return
		}
		v |= b
	}
	ld := &expr.Ct{Key: key, Register: reg1}
	if op == "!=" {
		e.add(ld, &expr.Cmp{Op: expr.CmpOpNeq, Register: reg1, Data: host32(v)})
		return
	}
	e.add(ld, &expr.Bitwise{SourceRegister: reg1, DestRegister: reg1, Len: 4, Mask: host32(v), Xor: host32(0)},
		&expr.Cmp{Op: cmpOp(op == ""), Register: reg1, Data: host32(0)})
}

var limitUnits = map[string]expr.LimitTime{
	"second": expr.LimitTimeSecond, "minute": expr.LimitTimeMinute, "hour": expr.LimitTimeHour,
	"day": expr.LimitTimeDay, "week": expr.LimitTimeWeek,
}

// limit compiles "limit rate [over] N/UNIT [burst B packets]".
func (e *encoder) limit() {
	if l := e.limitExpr(); l != nil {
		e.brk(l)
	}
}

// limitExpr reads what follows "limit"; nil when it cannot.
func (e *encoder) limitExpr() *expr.Limit {
	if e.next() != "rate" {
		e.unencodable("limit form")
		return nil
	}
	l := &expr.Limit{Type: expr.LimitTypePkts}
	if e.peek() == "over" {
		e.pos++
		l.Over = true
	}
	n, u, _ := strings.Cut(e.next(), "/")
	rate, err := strconv.ParseUint(n, 10, 64)
	unit, ok := limitUnits[u]
	if err != nil || !ok {
		e.unencodable("limit rate %s/%s", n, u)
		return nil
	}
	l.Rate, l.Unit = rate, unit
	if e.peek() == "burst" {
		e.pos++
		b, err := strconv.ParseUint(e.next(), 10, 32)
		if err != nil || e.next() != "packets" {
			e.unencodable("limit burst form")
			return nil
		}
		l.Burst = uint32(b)
	}
	return l
}

var fibTypes = map[string]uint32{
	"unspec": 0, "unicast": 1, "local": 2, "broadcast": 3, "anycast": 4, "multicast": 5,
	"blackhole": 6, "unreachable": 7, "prohibit": 8,
}

// fib compiles "fib saddr|daddr [. iif|. oif] type [!=] T".
func (e *encoder) fib() {
	f := &expr.Fib{Register: reg1, ResultADDRTYPE: true}
	switch e.next() {
	case "saddr":
		f.FlagSADDR = true
	case "daddr":
		f.FlagDADDR = true
	default:
		e.unencodable("fib form")
		return
	}
	if e.peek() == "." {
		e.pos++
		switch e.next() {
		case "iif":
			f.FlagIIF = true
		case "oif":
			f.FlagOIF = true
		default:
			e.unencodable("fib form")
			return
		}
	}
	if e.next() != "type" {
		e.unencodable("fib result")
		return
	}
	neg := e.neg()
	t := e.next()
	v, ok := fibTypes[t]
	if !ok {
		n, err := strconv.ParseUint(t, 10, 32)
		if err != nil {
			e.unencodable("fib type %q", t)
			return
		}
		v = uint32(n)
	}
	e.add(f, &expr.Cmp{Op: cmpOp(neg), Register: reg1, Data: host32(v)})
}

// natFlagBits are NF_NAT_RANGE_* of "random,fully-random,persistent".
var natFlagBits = map[string]uint32{"random": 0x4, "fully-random": 0x10, "persistent": 0x8}

const natProtoSpecified = 0x2

func (e *encoder) natFlags() (uint32, bool) {
	switch e.peek() {
	case "random", "fully-random", "persistent", "random,persistent", "random,fully-random",
		"fully-random,persistent", "random,fully-random,persistent":
	default:
		return 0, true
	}
	var f uint32
	for _, n := range strings.Split(e.next(), ",") {
		f |= natFlagBits[n]
	}
	return f, true
}

// portRegs loads ":P" or ":P-Q" into registers from reg on; it returns
// the registers of the minimum and maximum (0 when a single port).
func (e *encoder) portRegs(s string, reg uint32) (uint32, uint32, bool) {
	lo, hi, ok := e.rangeTok(s, 65535)
	if !ok {
		return 0, 0, false
	}
	x := []any{&expr.Immediate{Register: reg, Data: be16(uint16(lo))}}
	max := uint32(0)
	if hi != lo {
		max = reg + 1
		x = append(x, &expr.Immediate{Register: max, Data: be16(uint16(hi))})
	}
	e.brk(x...)
	return reg, max, true
}

// masqRedirect compiles "masquerade|redirect [to :P[-Q]] [flags]".
func (e *encoder) masqRedirect(kw string) {
	var pmin, pmax uint32
	if e.peek() == "to" {
		e.pos++
		t := e.next()
		if !strings.HasPrefix(t, ":") {
			e.unencodable("%s to %s", kw, t)
			return
		}
		var ok bool
		if pmin, pmax, ok = e.portRegs(t[1:], reg1); !ok {
			return
		}
	}
	flags, _ := e.natFlags()
	if pmin != 0 {
		flags |= natProtoSpecified
	}
	if kw == "redirect" {
		e.brk(&expr.Redir{RegisterProtoMin: pmin, RegisterProtoMax: pmax, Flags: flags})
		return
	}
	// google/nftables drops the flags of a masquerade with ports; nft
	// sends them, so this one is written by hand.
	var m msgBuf
	if flags != 0 {
		m.u32(unix.NFTA_MASQ_FLAGS, flags)
	}
	if pmin != 0 {
		m.u32(unix.NFTA_MASQ_REG_PROTO_MIN, pmin)
	}
	if pmax != 0 {
		m.u32(unix.NFTA_MASQ_REG_PROTO_MAX, pmax)
	}
	e.brk(&rawExpr{name: "masq", data: m.b})
}

// nat compiles "snat|dnat to [ADDR[-ADDR]][:P[-Q]] [flags]".
func (e *encoder) nat(kw string) {
	if e.next() != "to" {
		e.unencodable("%s form", kw)
		return
	}
	addrs, ports, err := splitNATTarget(e.next())
	if err != nil {
		e.unencodable("%s to: %v", kw, err)
		return
	}
	n := &expr.NAT{Type: expr.NATTypeSourceNAT, Family: uint32(nfproto(e.fam))}
	if kw == "dnat" {
		n.Type = expr.NATTypeDestNAT
	}
	reg := uint32(reg1)
	for i, a := range addrs {
		if a.Is6() != e.v6() {
			e.unencodable("%s to %s in an %s table", kw, a, e.fam)
			return
		}
		e.brk(&expr.Immediate{Register: reg, Data: a.AsSlice()})
		if i == 0 {
			n.RegAddrMin = reg
		} else {
			n.RegAddrMax = reg
		}
		reg++
	}
	if ports != "" {
		var ok bool
		if n.RegProtoMin, n.RegProtoMax, ok = e.portRegs(ports, reg); !ok {
			return
		}
		n.Specified = true
	}
	flags, _ := e.natFlags()
	n.Random, n.FullyRandom, n.Persistent = flags&0x4 != 0, flags&0x10 != 0, flags&0x8 != 0
	e.brk(n)
}

// splitNATTarget splits "1.2.3.4-1.2.3.9:80-90", "[fec0::1]-[fec0::9]:80",
// "fec0::1" or ":80" into addresses and the port text.
func splitNATTarget(s string) ([]netip.Addr, string, error) {
	var addrPart, ports string
	switch {
	case strings.HasPrefix(s, ":"):
		ports = s[1:]
	case strings.HasPrefix(s, "["):
		i := strings.LastIndex(s, "]")
		addrPart = strings.NewReplacer("[", "", "]", "").Replace(s[:i+1])
		if rest := s[i+1:]; strings.HasPrefix(rest, ":") {
			ports = rest[1:]
		}
	case strings.Count(s, ":") == 1:
		addrPart, ports, _ = strings.Cut(s, ":")
	default:
		addrPart = s
	}
	var out []netip.Addr
	if addrPart != "" {
		for _, p := range strings.SplitN(addrPart, "-", 2) {
			a, err := netip.ParseAddr(p)
			if err != nil {
				return nil, "", err
			}
			out = append(out, a)
		}
	}
	return out, ports, nil
}
