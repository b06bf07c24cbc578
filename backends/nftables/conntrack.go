package nftables

import (
	"fmt"
	"math"
	"net/netip"
	"strings"

	"github.com/ruleshift/ruleshift/backends/nftables/stmt"
	"github.com/ruleshift/ruleshift/translate/ir"
	"github.com/ruleshift/ruleshift/translate/passes"
)

// Conntrack and mark extensions, in the forms iptables-translate uses
// where those load and mean the same in nft 1.0.6.

var ctStateNft = map[ir.CtState]string{
	ir.CtInvalid: "invalid", ir.CtNew: "new", ir.CtRelated: "related",
	ir.CtEstablished: "established", ir.CtUntracked: "untracked",
}

func (w *rw) state(m *ir.State) {
	f := &stmt.Flags{Field: stmt.CtState, None: m.Neg}
	for _, s := range ir.CtStateOrder {
		if m.States&s.Bit != 0 {
			f.Bits |= stmt.FlagBit(stmt.CtStateDt, ctStateNft[s.Bit])
		}
	}
	w.emit(f)
}

func (w *rw) conntrack(m *ir.Conntrack) {
	dir := "original"
	if m.Dir != "" {
		dir = strings.ToLower(string(m.Dir))
		w.emit(&stmt.CtMatch{Kind: stmt.CtDirection, Dir: ctDir(dir)})
	}
	if p := m.Proto; p != nil {
		if !p.Neg && w.l4() != 0 && w.l4() != p.Num && w.transportAfter(m) {
			// nft takes "ct original protocol N" as the protocol of the
			// transport header for the expressions after it, and refuses
			// a later header of another protocol ("conflicting protocols
			// specified"), found by the property test.
			w.unsupported(fmt.Sprintf("--ctproto %d with -p %d", p.Num, w.l4()), "nft 1.0.6 reads the conntrack protocol as the packet's own and refuses the later match on the packet's header; put the conntrack match last")
			return
		}
		w.emit(&stmt.CtMatch{Kind: stmt.CtProtocol, Dir: ctDir(dir), Op: ctNeg(p.Neg), Lo: uint64(p.Num), Hi: uint64(p.Num)})
	}
	if m.State != nil {
		rest := *m
		rest.State, rest.At = nil, ir.At{}
		if admitsNoCt(m.State) && rest != (ir.Conntrack{}) {
			// xt_conntrack returns true for a packet without a connection
			// once the state test passes, whatever the other options say;
			// nft's other ct expressions never match such a packet.
			w.unsupported("--ctstate admitting INVALID or UNTRACKED packets together with other conntrack options", "xt_conntrack ignores the other options for packets without a connection, nft does not")
			return
		}
		w.ctStateCond(m.State)
	}
	if m.StatusSet {
		w.ctStatus(m.Status, m.NegStatus)
	}
	if e := m.Expire; e != nil {
		w.ctExpire(e)
	}
	for _, a := range []struct {
		key string
		a   *ir.CtAddr
	}{{"original saddr", m.OrigSrc}, {"original daddr", m.OrigDst}, {"reply saddr", m.ReplSrc}, {"reply daddr", m.ReplDst}} {
		if a.a != nil {
			w.ctAddr(a.key, a.a)
		}
	}
	for _, p := range []struct {
		key string
		p   *ir.CtPorts
	}{{"original proto-src", m.OrigSrcPort}, {"original proto-dst", m.OrigDstPort}, {"reply proto-src", m.ReplSrcPort}, {"reply proto-dst", m.ReplDstPort}} {
		if p.p != nil {
			w.ctPorts(m, p.key, p.p)
		}
	}
}

// transportAfter reports whether a match after m reads the transport
// header of the packet.
func (w *rw) transportAfter(m ir.Match) bool {
	after := false
	for _, x := range w.rule.Matches {
		if x == m {
			after = true
			continue
		}
		if !after {
			continue
		}
		switch x := x.(type) {
		case *ir.TCP, *ir.UDP, *ir.SCTP, *ir.ICMP, *ir.DCCP, *ir.AH, *ir.ESP, *ir.IPComp, *ir.Multiport, *ir.MH, *ir.TCPMSSMatch, *ir.ECNMatch:
			return true
		case *ir.Hashlimit:
			if x.Mode&(ir.HashSrcPort|ir.HashDstPort) != 0 {
				return true
			}
		}
	}
	return false
}

// admitsNoCt reports whether a state test passes for packets without a
// connection (INVALID, UNTRACKED).
func admitsNoCt(s *ir.State) bool {
	noct := ir.CtInvalid | ir.CtUntracked
	if s.Neg {
		return s.States&noct != noct
	}
	return s.States&noct != 0
}

var ctCounters = map[ir.ConnBytesMode]stmt.CtKind{
	ir.ConnBytesBytes: stmt.CtBytes, ir.ConnBytesPackets: stmt.CtPackets, ir.ConnBytesAvgPkt: stmt.CtAvgpkt,
}

// ctDir is the tuple named "original" or "reply".
func ctDir(s string) stmt.CtDir {
	if s == "reply" {
		return stmt.CtReply
	}
	return stmt.CtOriginal
}

func ctNeg(neg bool) stmt.CtOp {
	if neg {
		return stmt.CtNeq
	}
	return stmt.CtEq
}

// ctStateCond renders --ctstate. The kernel ORs the SNAT and DNAT pseudo
// states, which nft reads from ct status, with the real states.
func (w *rw) ctStateCond(s *ir.State) {
	nat := s.States & (ir.CtSNAT | ir.CtDNAT)
	if nat == 0 {
		w.state(s)
		return
	}
	if s.Neg {
		w.unsupported("! --ctstate SNAT/DNAT", "xt_conntrack matches packets without a connection there, but nft's ct status never does")
		return
	}
	if s.States != nat {
		w.unsupported("--ctstate mixing SNAT/DNAT with other states", "nft reads NAT from ct status and the other states from ct state, and one rule cannot OR the two")
		return
	}
	f := &stmt.Flags{Field: stmt.CtStatus, None: s.Neg}
	if nat&ir.CtSNAT != 0 {
		f.Bits |= stmt.FlagBit(stmt.CtStatusDt, "snat")
	}
	if nat&ir.CtDNAT != 0 {
		f.Bits |= stmt.FlagBit(stmt.CtStatusDt, "dnat")
	}
	w.emit(f)
}

var ctStatusNft = map[ir.CtStatus]string{
	ir.CtExpected: "expected", ir.CtSeenReply: "seen-reply", ir.CtAssured: "assured", ir.CtConfirmed: "confirmed",
}

func (w *rw) ctStatus(st ir.CtStatus, neg bool) {
	if st == 0 {
		// The kernel tests "some bit of the mask is set": NONE never
		// matches, and "! NONE" always does.
		if !neg {
			w.unsupported("--ctstatus NONE", "it matches no packet; remove the rule")
		}
		return
	}
	f := &stmt.Flags{Field: stmt.CtStatus, None: neg}
	for _, s := range ir.CtStatusOrder {
		if st&s.Bit != 0 {
			f.Bits |= stmt.FlagBit(stmt.CtStatusDt, ctStatusNft[s.Bit])
		}
	}
	w.emit(f)
}

// maxExpireSec is the largest lifetime nft can compare: ct expiration is
// a 32-bit count of milliseconds.
const maxExpireSec = math.MaxUint32 / 1000

func (w *rw) ctExpire(e *ir.CtExpire) {
	switch {
	case e.Min > e.Max:
		// A reversed range matches nothing; its negation everything.
		if !e.Neg {
			w.unsupported(fmt.Sprintf("--ctexpire %d:%d", e.Min, e.Max), "the range is reversed and matches no packet")
		}
	case e.Max == math.MaxUint32 || e.Max > maxExpireSec:
		if e.Min > maxExpireSec {
			w.unsupported(fmt.Sprintf("--ctexpire %d", e.Min), "nft compares lifetimes in 32-bit milliseconds")
			return
		}
		op := stmt.CtGe
		if e.Neg {
			op = stmt.CtLt
		}
		w.emit(&stmt.CtMatch{Kind: stmt.CtExpiration, Op: op, Lo: uint64(e.Min), Hi: uint64(e.Min)})
	default:
		w.emit(&stmt.CtMatch{Kind: stmt.CtExpiration, Op: ctNeg(e.Neg), Lo: uint64(e.Min), Hi: uint64(e.Max)})
	}
}

// ctAddr names the family ("ct original ip saddr"): nft 1.0.6 compiles a
// prefix after plain "ct original saddr" into a wrong comparison (it
// lists "ct original saddr 10.100.0.0/16" back as "… 0.0.10.100").
func (w *rw) ctAddr(key string, a *ir.CtAddr) {
	dir, field, _ := strings.Cut(key, " ")
	p := ipPrefix(a.Addr, a.Bits)
	if a.Bits == 0 {
		// Every address matches; a negation matches none.
		if a.Neg {
			w.unsupported("! --ct"+dir[:4]+field[:3]+" with a /0 mask", "it matches no packet; remove the rule")
		}
		return
	}
	w.emit(&stmt.CtMatch{Kind: stmt.CtAddr, Dir: ctDir(dir), Dst: field == "daddr", V6: w.v6(), Op: ctNeg(a.Neg), Addr: p})
}

// ctPorts renders a conntrack port test. nft can read the tuple's port
// only once the rule names the conntrack protocol.
func (w *rw) ctPorts(m *ir.Conntrack, key string, p *ir.CtPorts) {
	if m.Proto == nil || m.Proto.Neg {
		w.unsupported("--ct"+strings.ReplaceAll(strings.ReplaceAll(key, "original proto-", "orig"), "reply proto-", "repl")+"port without --ctproto", "nft 1.0.6 reads the conntrack port only after \"ct original protocol\" names the protocol; add --ctproto")
		return
	}
	switch {
	case p.Lo > p.Hi:
		if !p.Neg {
			w.unsupported(fmt.Sprintf("port range %d:%d", p.Lo, p.Hi), "the range is reversed and matches no packet")
		}
	case p.Lo == 0 && p.Hi == math.MaxUint16 && p.Lo != p.Hi:
		if p.Neg {
			w.unsupported("a negated full port range", "it matches no packet; remove the rule")
		}
	default:
		dir, field, _ := strings.Cut(key, " ")
		w.emit(&stmt.CtMatch{Kind: stmt.CtPort, Dir: ctDir(dir), Dst: field == "proto-dst", Op: ctNeg(p.Neg), Lo: uint64(p.Lo), Hi: uint64(p.Hi)})
	}
}

// markCond writes "KEY [!= ]V" or "KEY and MASK ==|!= V".
func (w *rw) markCond(f stmt.Field, neg bool, v, mask uint32) {
	c := &stmt.Cmp{Field: f, Neg: neg, Value: host32(v)}
	if mask != math.MaxUint32 {
		c.Mask = host32(mask)
	}
	w.emit(c)
}

func (w *rw) helper(m *ir.Helper) {
	if m.Name == "" || strings.Contains(m.Name, `"`) {
		w.unsupported(fmt.Sprintf("helper %q", m.Name), "nft matches a helper by its name, which must be non-empty and hold no double quote")
		return
	}
	if len(m.Name) >= ctHelperNameLen {
		w.unsupported(fmt.Sprintf("helper %q", m.Name), fmt.Sprintf("the kernel names helpers in at most %d bytes, so no connection has that helper and nft compares at most that many", ctHelperNameLen-1))
		return
	}
	w.emit(&stmt.CtMatch{Kind: stmt.CtHelper, Op: ctNeg(m.Neg), Name: m.Name})
}

func (w *rw) connLimit(m *ir.ConnLimit) {
	if w.ctx.Decls == nil {
		w.unsupported("connlimit", "it needs a set declared in the table, and this output has no table")
		return
	}
	typ := stmt.IPv4Addr
	if w.v6() {
		typ = stmt.IPv6Addr
	}
	name := w.ctx.Decls.AddSet("connlimit", &stmt.SetDecl{Keys: []stmt.Datatype{typ}})
	c := &stmt.ConnCount{Set: name, Dst: m.DAddr, Addr6: w.v6(), Over: !m.Upto, Limit: m.Limit}
	if mask := prefixMask(m.Bits, w.v6()); m.Bits != mask.BitLen() {
		c.Mask = mask
	}
	w.emit(c)
}

func (w *rw) connBytes(m *ir.ConnBytes) {
	c := &stmt.CtMatch{Kind: ctCounters[m.Mode], Op: ctNeg(m.Neg), Lo: m.From, Hi: m.To}
	if m.Dir != ir.ConnBytesBoth {
		c.Dir = ctDir(string(m.Dir))
	}
	if m.From != m.To && m.To == math.MaxUint64 {
		c.Op, c.Hi = stmt.CtGe, m.From
		if m.Neg {
			c.Op = stmt.CtLt
		}
	}
	w.emit(c)
}

// connLabel follows xt_connlabel: with --set the label is set first and
// the match then holds (or, negated, never holds).
func (w *rw) connLabel(m *ir.ConnLabel) {
	if m.Set {
		w.emit(&stmt.CtLabelSet{Bit: uint16(m.Bit)})
	}
	w.emit(&stmt.CtMatch{Kind: stmt.CtLabel, Op: ctNeg(m.Neg), Lo: uint64(m.Bit), Hi: uint64(m.Bit)})
}

// ipPrefix is addr masked to bits.
func ipPrefix(a netip.Addr, bits int) netip.Prefix {
	p, _ := a.Prefix(bits)
	return p
}

// prefixMask is the netmask of a prefix length, as an address.
func prefixMask(bits int, v6 bool) netip.Addr {
	b := make([]byte, 4)
	if v6 {
		b = make([]byte, 16)
	}
	for i := 0; i < bits && i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// markSet sets the packet or conntrack mark to (KEY & ^mask) ^ value,
// the way the kernel changes a mark, in the simplest form nft lists back
// the same.
func markSet(ct bool, value, mask uint32) *stmt.MarkSet {
	src := stmt.MarkMeta
	if ct {
		src = stmt.MarkCt
	}
	m := &stmt.MarkSet{Ct: ct, Src: src}
	switch {
	case mask == math.MaxUint32:
		m.Src, m.Value = stmt.MarkImm, value
	case value == 0:
		m.Ops = []stmt.MarkOp{{Op: '&', V: ^mask}}
	case value == mask:
		m.Ops = []stmt.MarkOp{{Op: '|', V: value}}
	case mask == 0:
		m.Ops = []stmt.MarkOp{{Op: '^', V: value}}
	default:
		// and, then xor: nft 1.0.6 folds "xor V and M" (the order
		// iptables-translate writes for CONNMARK) into a plain copy.
		m.Ops = []stmt.MarkOp{{Op: '&', V: ^mask}, {Op: '^', V: value}}
	}
	return m
}

func (w *rw) markTarget(t *ir.MarkTarget) {
	w.emit(markSet(false, t.Value, t.Mask))
}

// connMarkTarget follows xt_CONNMARK v2. Save and restore merge two marks
// under masks; nft 1.0.6 can only combine a mark with constants, so only
// the forms where one side is copied whole are expressible.
func (w *rw) connMarkTarget(t *ir.ConnMarkTarget) {
	var m *stmt.MarkSet
	switch t.Mode {
	case ir.ConnMarkSet:
		m = markSet(true, t.Value, t.CtMask)
	case ir.ConnMarkSave:
		if t.CtMask != math.MaxUint32 {
			w.unsupported(fmt.Sprintf("CONNMARK --save-mark --ctmask 0x%x", t.CtMask), "keeping conntrack mark bits while copying the packet mark needs an OR of two marks, which nft 1.0.6 cannot write")
			return
		}
		m = &stmt.MarkSet{Ct: true, Src: stmt.MarkMeta}
		if t.NfMask != math.MaxUint32 {
			m.Ops = []stmt.MarkOp{{Op: '&', V: t.NfMask}}
		}
	case ir.ConnMarkRestore:
		if t.NfMask != math.MaxUint32 {
			w.unsupported(fmt.Sprintf("CONNMARK --restore-mark --nfmask 0x%x", t.NfMask), "keeping packet mark bits while copying the conntrack mark needs an OR of two marks, which nft 1.0.6 cannot write")
			return
		}
		m = &stmt.MarkSet{Src: stmt.MarkCt}
		if t.CtMask != math.MaxUint32 {
			m.Ops = []stmt.MarkOp{{Op: '&', V: t.CtMask}}
		}
	default:
		w.errorf("internal error: CONNMARK without a mode")
		return
	}
	m.Shift, m.ShiftRight = t.Shift, t.ShiftRight
	w.emit(m)
}

// ctTarget renders CT and NOTRACK in the raw chain, at priority raw (-300),
// before conntrack (-200): notrack and zones work there, as in iptables.
// Helpers and event masks are assigned by the mirror chain after
// conntrack (see cthelper.go), where the same CT target renders as the
// assignment.
func (w *rw) ctTarget(t *ir.CtTarget) {
	if t.NoTrack {
		// xt_CT ignores every other option with --notrack.
		w.emit(&stmt.Notrack{})
		return
	}
	switch {
	case t.ExpEvents != 0:
		w.unsupported("CT --expevents", "nft has no expectation event mask")
		return
	case t.Timeout != "":
		w.unsupported("CT --timeout "+t.Timeout, "it names a nfct timeout policy, which nft tables cannot reference (nft has its own ct timeout objects)")
		return
	case t.ZoneMark:
		w.unsupported("CT --zone mark", "nft 1.0.6 refuses \"ct zone set mark\" (datatype mismatch)")
		return
	}
	obj := ""
	if _, eff := passes.CtAssigns(t); eff {
		var ok bool
		if obj, ok = w.ctAfterConntrack(t); !ok {
			return
		}
	}
	if w.ctx.mirror {
		w.ctAssign(t, obj)
		return
	}
	w.ctTemplate(t)
}
