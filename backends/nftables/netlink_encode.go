package nftables

import (
	"encoding/binary"
	"errors"
	"sort"

	"github.com/google/nftables/expr"
	"github.com/ruleshift/ruleshift/backends/nftables/stmt"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// The netlink encoder turns a lowered rule (stmt.Rule, see netlink_rule.go)
// into nf_tables expressions, doing what nft 1.0.6's compiler does for the
// statements ruleshift emits: the same protocol dependencies ("tcp dport"
// needs "meta l4proto tcp" unless the protocol is already known),
// byte-aligned prefixes loaded short instead of masked, ranges as two
// comparisons, and the merge of adjacent payload equalities into one load.
// netlink_test.go and netlink_ext_test.go check that a ruleset loaded
// either way lists back identically. A statement the encoder does not know
// makes the rule fall back to nft -f: it is never skipped.

// errUnencodable marks a statement the encoder does not cover.
var errUnencodable = errors.New("not encodable over netlink")

// nlRule is one encoded rule.
type nlRule struct {
	exprs []any
	sets  []*anonSet
	udata []byte
	devs  []devIndex // device indexes the batch looks up
}

// anonSet is an anonymous constant set a rule looks values up in.
type anonSet struct {
	// name is a meter's name, "" for an anonymous set.
	name    string
	keyType uint32 // nft datatype id
	keyLen  uint32
	flags   uint32
	// fieldLens are the field lengths of an interval set on a
	// concatenation (NFTA_SET_DESC_CONCAT), nil for other sets.
	fieldLens []uint32
	elems     []setElem
	udata     []byte
	lookup    *expr.Lookup // gets the set id when the batch is written
	// isMap: a verdict map (named __map%d, data type verdict).
	isMap bool
	// dataType and dataLen: a map to values (named __map%d too).
	dataType, dataLen uint32
}

type setElem struct {
	key    []byte
	keyEnd []byte // the end of an element of a concatenated interval set
	flags  uint32 // NFT_SET_ELEM_INTERVAL_END
	udata  []byte
	// hasData: the element of a verdict map carries verdict.
	hasData bool
	verdict expr.VerdictKind
	chain   string // of a jump or goto
	data    []byte // the value of a map to values
}

// stmt is one nft statement: its expressions, and for a payload equality
// what the merge pass needs.
type nlStmt struct {
	exprs []any
	pay   *payEq
	// brk: not an expression statement (counter, log, a verdict), which
	// nft does not merge across.
	brk bool
}

type payEq struct {
	base     expr.PayloadBase
	off, len uint32
	val      []byte
}

// encoder compiles one rule.
type encoder struct {
	fam ir.Family
	// shared: a rule of an inet table without a family match.
	shared bool
	stmts  []nlStmt
	sets   []*anonSet
	udata  []byte
	devs   []devIndex
	l4     uint8 // protocol known from an earlier equality, 0 if none
	// linkDep: the rule has its "meta iiftype ether" dependency.
	linkDep bool
	err     error
}

const reg1 = 1 // NFT_REG_1

const (
	protoICMP = 1
	protoTCP  = 6
	protoUDP  = 17
	protoESP  = 50
	protoAH   = 51
	protoComp = 108
	protoSCTP = 132

	network   = expr.PayloadBaseNetworkHeader
	transport = expr.PayloadBaseTransportHeader
)

// Keys google/nftables has no names for (linux nf_tables.h), and NAT
// flags.
const (
	metaKeySecpath = expr.MetaKey(25) // NFT_META_SECPATH
	rtKeyXfrm      = expr.RtKey(4)    // NFT_RT_XFRM
	arphrdEther    = 1                // ARPHRD_ETHER, what nft's "ether" dependency compares iiftype with
	// natProtoSpecified is NF_NAT_RANGE_PROTO_SPECIFIED: ports are given.
	natProtoSpecified = 0x2
)

func (e *encoder) add(x ...any) { e.stmts = append(e.stmts, nlStmt{exprs: x}) }
func (e *encoder) brk(x ...any) { e.stmts = append(e.stmts, nlStmt{exprs: x, brk: true}) }

func (e *encoder) v6() bool { return e.fam == ir.IPv6 }

func cmpOp(neg bool) expr.CmpOp {
	if neg {
		return expr.CmpOpNeq
	}
	return expr.CmpOpEq
}

func load(base expr.PayloadBase, off, n uint32) *expr.Payload {
	return &expr.Payload{DestRegister: reg1, Base: base, Offset: off, Len: n}
}

// payCmp adds "payload == / != value"; equalities may be merged later.
func (e *encoder) payCmp(base expr.PayloadBase, off uint32, val []byte, neg bool) {
	s := nlStmt{exprs: []any{load(base, off, uint32(len(val))), &expr.Cmp{Op: cmpOp(neg), Register: reg1, Data: val}}}
	if !neg {
		s.pay = &payEq{base: base, off: off, len: uint32(len(val)), val: val}
	}
	e.stmts = append(e.stmts, s)
}

// metaCmp adds "meta KEY ==/!= value".
func (e *encoder) metaCmp(key expr.MetaKey, val []byte, neg bool) {
	e.add(&expr.Meta{Key: key, Register: reg1}, &expr.Cmp{Op: cmpOp(neg), Register: reg1, Data: val})
}

// l4dep inserts nft's protocol dependency before a transport header match.
func (e *encoder) l4dep(proto uint8) {
	if e.l4 == proto {
		return
	}
	e.metaCmp(expr.MetaKeyL4PROTO, []byte{proto}, false)
	e.l4 = proto
}

// merge does what nft's payload_try_merge does: within a run of expression
// statements, payload equalities are sorted by header position and
// adjacent ones are loaded and compared at once, as long as the merged
// field fits 32 bits (what nft 1.0.6 merges; wider ones it keeps apart).
func (e *encoder) merge() []any {
	runStart := 0
	for i := 0; i <= len(e.stmts); i++ {
		if i == len(e.stmts) || e.stmts[i].brk {
			e.mergeRun(runStart, i)
			runStart = i + 1
		}
	}
	n := 0
	for _, s := range e.stmts {
		n += len(s.exprs)
	}
	out := make([]any, 0, n)
	for _, s := range e.stmts {
		out = append(out, s.exprs...)
	}
	return out
}

func (e *encoder) mergeRun(from, to int) {
	var idx []int
	for i := from; i < to; i++ {
		if e.stmts[i].pay != nil {
			idx = append(idx, i)
		}
	}
	if len(idx) < 2 {
		return
	}
	sort.SliceStable(idx, func(a, b int) bool {
		pa, pb := e.stmts[idx[a]].pay, e.stmts[idx[b]].pay
		if pa.base != pb.base {
			return pa.base < pb.base
		}
		return pa.off < pb.off
	})
	last := idx[0]
	for _, i := range idx[1:] {
		l, t := e.stmts[last].pay, e.stmts[i].pay
		if l.base != t.base || l.off+l.len != t.off || l.len+t.len > 4 {
			last = i
			continue
		}
		l.val = append(append([]byte(nil), l.val...), t.val...)
		l.len += t.len
		e.stmts[last].exprs = []any{load(l.base, l.off, l.len), &expr.Cmp{Op: expr.CmpOpEq, Register: reg1, Data: l.val}}
		e.stmts[i] = nlStmt{}
	}
}

// rawExpr is an expression written by hand where google/nftables does not
// encode it as nft does: its name and its NFTA_EXPR_DATA attributes.
type rawExpr struct {
	name string
	data []byte
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

// rangeCmp adds a load and a range test on it: "lo-hi" is a gte and an
// lte comparison, "!= lo-hi" a range expression.
func (e *encoder) rangeCmp(ld expr.Any, lo, hi []byte, neg bool) {
	if neg {
		e.add(ld, &expr.Range{Op: expr.CmpOpNeq, Register: reg1, FromData: lo, ToData: hi})
		return
	}
	e.add(ld, &expr.Cmp{Op: expr.CmpOpGte, Register: reg1, Data: lo}, &expr.Cmp{Op: expr.CmpOpLte, Register: reg1, Data: hi})
}

func be16(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }

// host16 is a 16-bit value in host byte order (an interface type).
func host16(v uint16) []byte { return binary.NativeEndian.AppendUint16(nil, v) }

// host32 is a 32-bit value in host byte order, as marks, uids, conntrack
// state and status and fib results are held.
func host32(v uint32) []byte { return binary.NativeEndian.AppendUint32(nil, v) }
