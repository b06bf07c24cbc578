package nftables

import (
	"encoding/binary"
	"strconv"
	"strings"

	"github.com/google/nftables/expr"
)

// Conntrack, marks, limit and NAT statements.

// statementMore compiles statements beyond the core ones; false when kw
// starts none it knows.
func (e *encoder) statementMore(kw string) bool {
	switch kw {
	case "rt":
		e.rt()
	default:
		return false
	}
	return true
}

// host32 is a 32-bit value in host byte order, as marks, uids, conntrack
// state and status and fib results are held.
func host32(v uint32) []byte { return binary.NativeEndian.AppendUint32(nil, v) }

// metaMore compiles "meta mark set …".
func (e *encoder) metaMore(key string) bool {
	switch key {
	case "mark":
		e.markStmt(&expr.Meta{Key: expr.MetaKeyMARK, Register: reg1})
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

// markStmt compiles, after "meta mark" or "ct mark", an assignment
// ("set …"); conditions are typed (stmt.Cmp).
func (e *encoder) markStmt(ld expr.Any) {
	if e.next() != "set" {
		e.unencodable("mark condition as text")
		return
	}
	e.markSet(ld)
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

var limitUnits = map[string]expr.LimitTime{
	"second": expr.LimitTimeSecond, "minute": expr.LimitTimeMinute, "hour": expr.LimitTimeHour,
	"day": expr.LimitTimeDay, "week": expr.LimitTimeWeek,
}

// natProtoSpecified is NF_NAT_RANGE_PROTO_SPECIFIED: ports are given.
const natProtoSpecified = 0x2
