package nftables

import (
	"encoding/binary"

	"github.com/google/nftables/expr"
)

// Ranges, the link-layer dependency, IPsec and user and group names,
// compiled as nft 1.0.6 compiles them (checked with nft --debug=netlink).

// Keys google/nftables has no names for (linux nf_tables.h).
const (
	metaKeySecpath = expr.MetaKey(25) // NFT_META_SECPATH
	rtKeyXfrm      = expr.RtKey(4)    // NFT_RT_XFRM
	arphrdEther    = 1                // ARPHRD_ETHER, what nft's "ether" dependency compares iiftype with
)

// rangeCmp adds a load and a range test on it: "lo-hi" is a gte and an
// lte comparison, "!= lo-hi" a range expression.
func (e *encoder) rangeCmp(ld expr.Any, lo, hi []byte, neg bool) {
	if neg {
		e.add(ld, &expr.Range{Op: expr.CmpOpNeq, Register: reg1, FromData: lo, ToData: hi})
		return
	}
	e.add(ld, &expr.Cmp{Op: expr.CmpOpGte, Register: reg1, Data: lo}, &expr.Cmp{Op: expr.CmpOpLte, Register: reg1, Data: hi})
}

// host16 is a 16-bit value in host byte order (an interface type).
func host16(v uint16) []byte { return binary.NativeEndian.AppendUint16(nil, v) }

// rt compiles "rt ipsec exists|missing"; the routing header fields are
// typed (stmt.Exthdr).
func (e *encoder) rt() {
	if f := e.next(); f != "ipsec" {
		e.pos -= 2
		e.unencodable("rt %s", f)
		return
	}
	e.boolCmp(&expr.Rt{Key: rtKeyXfrm, Register: reg1})
}

// boolCmp compiles "exists" or "missing" after a boolean key, a one-byte
// value.
func (e *encoder) boolCmp(ld expr.Any) {
	v := byte(0)
	switch t := e.next(); t {
	case "exists":
		v = 1
	case "missing":
	default:
		e.unencodable("boolean %q", t)
		return
	}
	e.add(ld, &expr.Cmp{Op: expr.CmpOpEq, Register: reg1, Data: []byte{v}})
}
