package nftables

import (
	"encoding/binary"
	"strconv"

	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// TTL and hop limit, address ranges, the Ethernet source, the IPv6
// routing header, IPsec, TCP MSS and user and group names, compiled as nft
// 1.0.6 compiles them (checked with nft --debug=netlink).

// Keys google/nftables has no names for (linux nf_tables.h).
const (
	metaKeySecpath = expr.MetaKey(25) // NFT_META_SECPATH
	rtKeyXfrm      = expr.RtKey(4)    // NFT_RT_XFRM
	arphrdEther    = 1                // ARPHRD_ETHER, what nft's "ether" dependency compares iiftype with
	ipv6Routing    = 43               // the routing header's next-header number
	tcpoptMaxseg   = 2
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

// loadCmp adds "[!=] N" or "[!=] N-M" on what ld loads, a big-endian
// field of n bytes that nft never merges (extension header fields).
func (e *encoder) loadCmp(ld expr.Any, n int) {
	neg := e.neg()
	lo, hi, ok := e.rangeTok(e.next(), 1<<(8*n)-1)
	if !ok {
		return
	}
	enc := func(v uint64) []byte {
		b := make([]byte, n)
		for i := n - 1; i >= 0; i-- {
			b[i] = byte(v)
			v >>= 8
		}
		return b
	}
	if lo == hi {
		e.add(ld, &expr.Cmp{Op: cmpOp(neg), Register: reg1, Data: enc(lo)})
		return
	}
	e.rangeCmp(ld, enc(lo), enc(hi), neg)
}

// host16 is a 16-bit value in host byte order (an interface type).
func host16(v uint16) []byte { return binary.NativeEndian.AppendUint16(nil, v) }

// rtHdrFields are the routing header fields nft names, by offset.
var rtHdrFields = map[string]uint32{"nexthdr": 0, "hdrlength": 1, "type": 2, "seg-left": 3}

// rt compiles the routing header fields
// "rt type|seg-left|hdrlength [!=] N[-M]", each an extension header load
// of its own: nft merges no extension header loads and adds no dependency.
func (e *encoder) rt() {
	f := e.next()
	off, ok := rtHdrFields[f]
	if !ok || !e.v6() {
		e.pos -= 2
		e.unencodable("rt %s", f)
		return
	}
	e.loadCmp(&expr.Exthdr{DestRegister: reg1, Type: ipv6Routing, Offset: off, Len: 1, Op: expr.ExthdrOpIpv6}, 1)
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

// tcpOption compiles what follows "tcp option": "N exists|missing",
// "maxseg exists|missing", "maxseg size [!=] N[-M]" and "maxseg size set
// rt mtu|N". The kernel's exthdr checks the protocol itself; nft adds no
// dependency for it.
func (e *encoder) tcpOption() {
	kind := e.next()
	n, err := strconv.ParseUint(kind, 10, 8)
	if kind == "maxseg" {
		n, err = tcpoptMaxseg, nil
	}
	if err != nil {
		e.unencodable("tcp option %s", kind)
		return
	}
	if kind == "maxseg" && e.peek() == "size" {
		e.pos++
		e.mss()
		return
	}
	e.boolCmp(&expr.Exthdr{DestRegister: reg1, Type: uint8(n), Offset: 0, Len: 1, Flags: unix.NFT_EXTHDR_F_PRESENT, Op: expr.ExthdrOpTcpopt})
}

// mss compiles the MSS test or assignment after "tcp option maxseg size".
// The route's MSS is a host-order value nft turns to network order.
func (e *encoder) mss() {
	field := func() *expr.Exthdr {
		return &expr.Exthdr{Type: tcpoptMaxseg, Offset: 2, Len: 2, Op: expr.ExthdrOpTcpopt}
	}
	if e.peek() != "set" {
		ld := field()
		ld.DestRegister = reg1
		e.loadCmp(ld, 2)
		return
	}
	e.pos++
	w := field()
	w.SourceRegister = reg1
	if e.peek() == "rt" {
		e.pos++
		if e.next() != "mtu" {
			e.unencodable("tcp option maxseg size set form")
			return
		}
		e.brk(&expr.Rt{Key: expr.RtTCPMSS, Register: reg1},
			&expr.Byteorder{SourceRegister: reg1, DestRegister: reg1, Op: expr.ByteorderHton, Len: 2, Size: 2}, w)
		return
	}
	lo, _, ok := e.rangeTok(e.next(), 65535)
	if ok {
		e.brk(&expr.Immediate{Register: reg1, Data: be16(uint16(lo))}, w)
	}
}
