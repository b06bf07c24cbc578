package nftables

import (
	"encoding/binary"
	"strings"

	"github.com/google/nftables/expr"
	"github.com/ruleshift/ruleshift/backends/nftables/stmt"
)

// Statements of the nft grammar as RuleText writes them, one compiler each.

const (
	protoTCP  = 6
	protoUDP  = 17
	protoSCTP = 132
	protoICMP = 1

	network   = expr.PayloadBaseNetworkHeader
	transport = expr.PayloadBaseTransportHeader
)

// statement compiles the statement at the current token.
func (e *encoder) statement() {
	start := e.pos
	switch kw := e.next(); kw {
	case "meta":
		e.meta()
	default:
		if !e.statementMore(kw) {
			e.pos = start
			e.unencodable("statement %q", strings.Join(e.toks[start:min(start+3, len(e.toks))], " "))
		}
	}
}

// padName pads an exact interface name to IFNAMSIZ, as the kernel compares it.
func padName(s string) []byte {
	b := make([]byte, stmt.IfNameSize)
	copy(b, s)
	return b
}

// addrOffset is where saddr or daddr sits in the network header.
func (e *encoder) addrOffset(dst bool) uint32 {
	switch {
	case e.v6() && dst:
		return 24
	case e.v6():
		return 8
	case dst:
		return 16
	}
	return 12
}

func (e *encoder) masked(base expr.PayloadBase, off uint32, mask, val []byte, neg bool) {
	n := uint32(len(mask))
	e.add(load(base, off, n),
		&expr.Bitwise{SourceRegister: reg1, DestRegister: reg1, Len: n, Mask: mask, Xor: make([]byte, n)},
		&expr.Cmp{Op: cmpOp(neg), Register: reg1, Data: val})
}

// maskBytes returns the netmask bytes of a prefix length.
func maskBytes(bits, n int) []byte {
	b := make([]byte, n)
	for i := 0; i < bits; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	return b
}

// meta compiles the meta keys of metaMore.
func (e *encoder) meta() {
	if k := e.next(); !e.metaMore(k) {
		e.pos -= 2
		e.unencodable("meta %s", k)
	}
}

var protoNums = func() map[string]uint8 {
	m := map[string]uint8{}
	for i := 0; i < 256; i++ {
		m[protoKeyword(uint8(i))] = uint8(i)
	}
	return m
}()

func be16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }
