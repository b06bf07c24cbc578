package nftables

import (
	"encoding/binary"
	"fmt"
	"math"
	"net"

	"github.com/google/nftables/expr"
	"github.com/google/nftables/userdata"
	"github.com/ruleshift/ruleshift/backends/nftables/stmt"
	"github.com/ruleshift/ruleshift/internal/netns"
	"github.com/ruleshift/ruleshift/translate/diag"
	"github.com/ruleshift/ruleshift/translate/ir"
	"golang.org/x/sys/unix"
)

// Netlink encoding of the statements that were loaded with nft -f before
// the encoder covered them: the time matches, shifted marks, connlimit,
// meters on concatenations and byte rates, queue, dup to a device and fib
// lookups in a set. Each was checked against nft 1.0.6 --debug=netlink.

// nf_tables meta keys google/nftables does not name.
const (
	metaKeyTimeNS   = 30 // NFT_META_TIME_NS
	metaKeyTimeDay  = 31 // NFT_META_TIME_DAY
	metaKeyTimeHour = 32 // NFT_META_TIME_HOUR

	typeDay       = 45 // nft's day datatype
	typeFibAddr   = 38 // fib_addrtype
	typeICMP6Type = 29
	typeICMP6Code = 33
	exprMeta      = 9  // typeof: meta expression
	exprFib       = 26 // typeof: fib expression
	protoDescIC6  = 14 // PROTO_DESC_ICMPV6
	bitwiseLshift = 1  // NFT_BITWISE_LSHIFT

	protoICMPv6 = 58
)

// timeStmt encodes the time matches as nft 1.0.6 does with TZ=UTC, the
// zone Apply's nft -f ran with: the host-order key converted to network
// order and compared with the range, a range whose start is after its end
// (a span over midnight) as the complement of the range between them.
func (e *encoder) timeStmt(s stmt.Stmt) {
	switch s := s.(type) {
	case *stmt.MetaHour:
		e.metaRange(metaKeyTimeHour, 4, uint64(s.From), uint64(s.To))
	case *stmt.MetaTime:
		e.metaRange(metaKeyTimeNS, 8, uint64(s.From)*1e9, uint64(s.To)*1e9)
	case *stmt.MetaDay:
		ld := &expr.Meta{Key: metaKeyTimeDay, Register: reg1}
		if len(s.Days) == 1 {
			e.add(ld, &expr.Cmp{Op: expr.CmpOpEq, Register: reg1, Data: []byte{s.Days[0]}})
			return
		}
		set := &anonSet{keyType: typeDay, keyLen: 1, flags: setAnonymous | setConstant}
		set.udata = userdata.AppendUint32(nil, udataSetKeyByteorder, byteorderHost)
		set.udata = append(set.udata, keyTypeof(exprMeta, metaKeyTimeDay)...)
		for _, d := range s.Days {
			set.elems = append(set.elems, setElem{key: []byte{d}})
		}
		e.lookupIn(set, ld, false)
	}
}

func (e *encoder) metaRange(key expr.MetaKey, n uint32, lo, hi uint64) {
	be := func(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v)[8-n:] }
	x := []any{&expr.Meta{Key: key, Register: reg1},
		&expr.Byteorder{SourceRegister: reg1, DestRegister: reg1, Op: expr.ByteorderHton, Len: n, Size: n}}
	if lo > hi {
		e.add(append(x, &expr.Range{Op: expr.CmpOpNeq, Register: reg1, FromData: be(hi), ToData: be(lo)})...)
		return
	}
	e.add(append(x, &expr.Cmp{Op: expr.CmpOpGte, Register: reg1, Data: be(lo)}, &expr.Cmp{Op: expr.CmpOpLte, Register: reg1, Data: be(hi)})...)
}

// keyTypeof is a set's "typeof" user data for a key of one meta or fib
// expression: the expression's type and its attributes in order.
func keyTypeof(exprType uint32, attrs ...uint32) []byte {
	var inner []byte
	for i, a := range attrs {
		inner = userdata.AppendUint32(inner, userdata.Type(i), a)
	}
	v := userdata.AppendUint32(nil, 0, exprType)
	v = userdata.Append(v, 1, inner)
	return userdata.Append(nil, udataSetKeyTypeof, v)
}

// lookupIn loads ld and looks it up in the anonymous set.
func (e *encoder) lookupIn(set *anonSet, ld any, neg bool) {
	lk := &expr.Lookup{SourceRegister: reg1, SetName: "__set%d", Invert: neg}
	set.lookup = lk
	e.sets = append(e.sets, set)
	e.add(ld, lk)
}

// fibSet looks a fib result up in a set, as "fib daddr type { local,
// broadcast }".
func (e *encoder) fibSet(x *expr.Fib, f *stmt.Fib, c *stmt.Cmp) {
	set := &anonSet{keyType: typeFibAddr, keyLen: 4, flags: setAnonymous | setConstant}
	set.udata = userdata.AppendUint32(nil, udataSetKeyByteorder, byteorderHost)
	set.udata = append(set.udata, keyTypeof(exprFib, f.Result, f.Flags)...)
	for _, el := range c.Set.Elems {
		if len(el.From) != 4 || el.To != nil {
			e.err = fmt.Errorf("internal error: %s: a set element of %d bytes", f.Text, len(el.From))
			return
		}
		set.elems = append(set.elems, setElem{key: el.From})
	}
	e.lookupIn(set, x, c.Neg)
}

// markShift appends the shift of a MarkSet to its loaded and masked
// source: a bitwise of the shift kind (nft's "<<" and ">>"), written by
// hand as google/nftables has only the mask-and-xor kind.
func markShift(m *stmt.MarkSet) *rawExpr {
	var b msgBuf
	b.u32(unix.NFTA_BITWISE_SREG, reg1)
	b.u32(unix.NFTA_BITWISE_DREG, reg1)
	b.u32(unix.NFTA_BITWISE_LEN, 4)
	op := uint32(bitwiseLshift)
	if m.ShiftRight {
		op = nftBitwiseRshift
	}
	b.u32(nftaBitwiseOp, op)
	d := b.nest(nftaBitwiseData)
	b.attr(unix.NFTA_DATA_VALUE, host32(uint32(m.Shift)))
	b.nestEnd(d)
	return &rawExpr{name: "bitwise", data: b.b}
}

// foldMark is the value of a constant MarkSet: nft evaluates the steps
// of a constant and stores the result.
func foldMark(m *stmt.MarkSet) uint32 {
	v := m.Value
	for _, o := range m.Ops {
		switch o.Op {
		case '&':
			v &= o.V
		case '|':
			v |= o.V
		default:
			v ^= o.V
		}
	}
	if m.ShiftRight {
		return v >> m.Shift
	}
	return v << m.Shift
}

// connCount is "add @SET { ADDR [and MASK] ct count [over] N }": the
// address loaded (and masked) and a dynset adding it to the declared set
// with a connlimit expression attached.
func (e *encoder) connCount(c *stmt.ConnCount) {
	n := uint32(4)
	if c.Addr6 {
		n = 16
	}
	if c.Addr6 != e.v6() {
		e.err = fmt.Errorf("internal error: connlimit on %d-byte addresses in an %s table", n, e.fam)
		return
	}
	x := []any{load(network, e.addrOffset(c.Dst), n)}
	if c.Mask.IsValid() {
		x = append(x, &expr.Bitwise{SourceRegister: reg1, DestRegister: reg1, Len: n, Mask: c.Mask.AsSlice(), Xor: make([]byte, n)})
	}
	var flags uint32
	if c.Over {
		flags = 1 // NFT_CONNLIMIT_F_INV
	}
	e.brk(append(x, &dynsetExpr{set: &anonSet{name: c.Set, lookup: &expr.Lookup{}}, named: true,
		inner: &expr.Connlimit{Count: c.Limit, Flags: flags}})...)
}

// meterKeys loads the fields of a meter's key into the registers nft
// gives a concatenation (one field: reg 1) and returns the set's key type
// and length.
func (e *encoder) meterKeys(m *stmt.Meter) (x []any, keyType, keyLen uint32, ok bool) {
	slot := uint32(0)
	for _, k := range m.Keys {
		var ld []any
		var t, n uint32
		switch k.Proto {
		case 0:
			t, n = typeIPAddr, 4
			if k.V6 {
				t, n = typeIP6Addr, 16
			}
			ld = []any{load(network, e.addrOffset(k.Dst), n)}
			if k.Bits != uint8(n*8) {
				ld = append(ld, &expr.Bitwise{Len: n, Mask: maskBytes(int(k.Bits), int(n)), Xor: make([]byte, n)})
			}
		case protoTCP, protoUDP, protoSCTP, protoDCCP, protoUDPLite:
			e.l4dep(k.Proto)
			off := uint32(0)
			if k.Dst {
				off = 2
			}
			t, n = typeInetService, 2
			ld = []any{load(transport, off, 2)}
		default:
			e.err = fmt.Errorf("internal error: a meter key on %s ports", stmt.ProtoName(k.Proto))
			return nil, 0, 0, false
		}
		r := uint32(reg1)
		if len(m.Keys) > 1 {
			r = concatReg(slot)
		}
		for _, l := range ld {
			switch l := l.(type) {
			case *expr.Payload:
				l.DestRegister = r
			case *expr.Bitwise:
				l.SourceRegister, l.DestRegister = r, r
			}
		}
		x = append(x, ld...)
		keyType = keyType<<6 | t
		if len(m.Keys) > 1 {
			n = (n + 3) &^ 3
		}
		keyLen += n
		slot += (n + 3) / 4
	}
	return x, keyType, keyLen, true
}

// meterLimit is the limit expression of a meter: packets, or the byte
// rate and burst the text printer writes, scaled back as nft reads them.
func meterLimit(m *stmt.Meter) (expr.Limit, bool) {
	l := m.Limit
	if m.Cost == 0 {
		if m.Burst > math.MaxUint32 {
			return l, false
		}
		l.Burst = uint32(m.Burst)
		return l, true
	}
	rate, burst := stmt.BytesRate(m.Cost, m.Burst)
	if burst > math.MaxUint32 {
		return l, false
	}
	l.Type, l.Rate, l.Unit, l.Burst = expr.LimitTypePktBytes, rate, expr.LimitTimeSecond, uint32(burst)
	return l, true
}

// queue is "queue num N[-LAST] [bypass][,fanout]": the first queue, the
// number of queues and, if any, the flags, as nft sends them (checked
// with nft --debug=mnl; google/nftables also sends zero flags). The test
// kernels have no nft_queue to load it.
func queue(q *stmt.Queue) *rawExpr {
	var m msgBuf
	m.attr(unix.NFTA_QUEUE_NUM, be16(q.Num))
	m.attr(unix.NFTA_QUEUE_TOTAL, be16(q.Last-q.Num+1))
	var flags uint16
	if q.Bypass {
		flags |= unix.NFT_QUEUE_FLAG_BYPASS
	}
	if q.Fanout {
		flags |= unix.NFT_QUEUE_FLAG_CPU_FANOUT
	}
	if flags != 0 {
		m.attr(unix.NFTA_QUEUE_FLAGS, be16(flags))
	}
	return &rawExpr{name: "queue", data: m.b}
}

// devIndex is the immediate of a device's index, which nft looks up where
// it loads the rule: the batch resolves it in the namespace it loads into
// (resolveDevs).
type devIndex struct {
	imm  *expr.Immediate
	name string
}

// dupDev is "dup to ADDR device DEV": the address in reg 1, the device's
// index in reg 2.
func (e *encoder) dupDev(s *stmt.Dup) {
	imm := &expr.Immediate{Register: reg1 + 1}
	e.devs = append(e.devs, devIndex{imm, s.Dev})
	e.brk(&expr.Immediate{Register: reg1, Data: s.Addr.AsSlice()}, imm,
		&expr.Dup{RegAddr: reg1, RegDev: reg1 + 1, IsRegDevSet: true})
}

// resolveDevs fills in the device indexes of r from the namespace the
// batch loads into.
func (b *batch) resolveDevs(r *nlRule) error {
	for _, d := range r.devs {
		if b.ifindex == nil {
			return fmt.Errorf("device %q: no namespace to look it up in", d.name)
		}
		i, err := b.ifindex(d.name)
		if err != nil {
			return fmt.Errorf("device %q: %w", d.name, err)
		}
		d.imm.Data = host32(i)
	}
	return nil
}

// refuse records the first rule whose device is missing: nft refuses
// such a rule when it loads it, and so does Apply.
func (b *batch) refuse(o origin, err error) {
	if b.devErr != nil {
		return
	}
	what := fmt.Sprintf("rule %d of chain %s in table %s", o.index, o.chain, o.table)
	if o.rule != nil && !o.rule.Src.IsZero() {
		what = o.rule.Src.String() + ": " + what
	}
	b.devErr = fmt.Errorf("%s: %w; nothing was changed", what, err)
}

// ifindexIn looks a device up in the network namespace at path ns ("":
// the process's own), as nft does where it runs.
func ifindexIn(ns, name string) (uint32, error) {
	var idx uint32
	err := netns.Do(ns, func() error {
		i, err := net.InterfaceByName(name)
		if err != nil {
			return err
		}
		idx = uint32(i.Index)
		return nil
	})
	return idx, err
}

// icmp6Field is "icmpv6 type|code".
func icmp6Field(code bool) concatField {
	if code {
		return concatField{base: transport, off: 1, len: 1, dtype: typeICMP6Code, desc: protoDescIC6, field: 2}
	}
	return concatField{base: transport, off: 0, len: 1, dtype: typeICMP6Type, desc: protoDescIC6, field: 1}
}

// predeclare writes, before any other set of the table, the connlimit sets
// its rules declare while they are lowered: nft -f creates the table's
// declared sets first, and the kernel lists named sets in the order they
// were created. The rules that count connections are lowered once more
// for this, into a copy of the declarations, which the real pass then
// repeats name for name (addNamedMeterSet skips a set already written).
func (b *batch) predeclare(nt *nlTable, t *ir.Table, ctx RuleContext, decls *Decls, o origin) {
	scratch := &Decls{items: append([]stmt.Decl(nil), decls.items...), used: map[string]bool{}, reserved: decls.reserved}
	for k, v := range decls.used {
		scratch.used[k] = v
	}
	for _, c := range t.Chains {
		cx := ctx
		cx.Chain, cx.Base, cx.Decls, cx.scratch = c.Name, c.Base, scratch, &stmt.Rule{}
		for _, r := range c.Rules {
			if countsConns(r) {
				lowerRule(r, cx, &diag.List{})
			}
		}
	}
	for _, x := range scratch.items[len(decls.items):] {
		if s, ok := x.(*stmt.SetDecl); ok {
			b.addNamedMeterSet(nt, s, o)
		}
	}
}

func countsConns(r *ir.Rule) bool {
	for _, m := range r.Matches {
		if _, ok := m.(*ir.ConnLimit); ok {
			return true
		}
	}
	return false
}
