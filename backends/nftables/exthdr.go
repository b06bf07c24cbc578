package nftables

import (
	"fmt"

	"github.com/google/nftables/expr"
	"github.com/ruleshift/ruleshift/backends/nftables/stmt"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// IPsec and IPv6 extension header matches.

// uintBytes is v big-endian in n bytes, or in 4 when it does not fit (the
// text then shows the value, and the encoder refuses the width).
func uintBytes(v uint32, n uint32) []byte {
	if n < 4 && v>>(8*n) != 0 {
		n = 4
	}
	b := make([]byte, n)
	for i := int(n) - 1; i >= 0; i-- {
		b[i] = byte(v)
		v >>= 8
	}
	return b
}

// fieldCmp compares an integer field with lo or lo-hi.
func (w *rw) fieldCmp(f stmt.Field, lo, hi uint32, neg bool) {
	c := &stmt.Cmp{Field: f, Neg: neg, Value: uintBytes(lo, f.Len())}
	if hi != lo {
		c.To = uintBytes(hi, f.Len())
	}
	w.emit(c)
}

// present writes "TEXT exists" or "TEXT missing" for an IPv6 extension
// header.
func (w *rw) present(name string, hdr uint8, missing bool) {
	w.emit(&stmt.Present{Text: "exthdr " + name, Op: expr.ExthdrOpIpv6, Hdr: hdr, Missing: missing})
}

// u32Cond writes "FIELD [!=] lo[-hi]". A full range is left to the caller
// unless negated: a negated full range never matches and must stay.
func (w *rw) u32Cond(what string, f stmt.Field, r ir.U32Range, neg bool) bool {
	switch {
	case r.Full() && !neg:
		return false
	case r.Lo > r.Hi && neg:
		return false
	case r.Lo > r.Hi:
		w.unsupported(fmt.Sprintf("%s %d:%d", what, r.Lo, r.Hi), "the range is reversed and matches no packet; remove the rule")
	default:
		w.fieldCmp(f, r.Lo, r.Hi, neg)
	}
	return true
}

// hdrLen converts a header length in bytes, as ip6t_ah/hbh/rt compare it,
// to the raw header field nft compares: bytes = (field + add) * unit.
// ok is false when no field value gives that length (the test can never
// be true).
func hdrLen(bytes uint32, add, unit uint32) (uint32, bool) {
	if bytes%unit != 0 || bytes/unit < add || bytes/unit-add > 255 {
		return 0, false
	}
	return bytes/unit - add, true
}

// lenCond writes a header length test; it reports whether it wrote one.
func (w *rw) lenCond(what string, f stmt.Field, bytes uint32, neg bool, add, unit uint32) bool {
	if bytes == 0 {
		return false
	}
	raw, ok := hdrLen(bytes, add, unit)
	switch {
	case !ok && neg:
		return false
	case !ok:
		w.unsupported(fmt.Sprintf("%s %d", what, bytes), fmt.Sprintf("the kernel compares the header length in bytes, a multiple of %d, so this never matches; remove the rule", unit))
		return true
	}
	w.fieldCmp(f, raw, raw, neg)
	return true
}

// ah writes the AH tests. nf_tables stops its transport header search at
// the first AH header (IP6_FH_F_AUTH), so "ah …" and meta l4proto ah find
// the header in IPv6 as ip6t_ah does.
func (w *rw) ah(m *ir.AH) {
	n := 0
	if w.u32Cond("ah --ahspi", stmt.AHSPI, m.SPI, m.NegSPI) {
		n++
	}
	// ip6t_ah compares (hdrlen+2)*4 bytes with --ahlen, and --ahres
	// requires the reserved field to be zero.
	if w.lenCond("ah --ahlen", stmt.AHHdrLen, m.Len, m.NegLen, 2, 4) {
		n++
	}
	if m.Res {
		w.fieldCmp(stmt.AHReserved, 0, 0, false)
		n++
	}
	if n == 0 && w.l4Needed() {
		w.l4Only(protoAH)
	}
}

func (w *rw) esp(m *ir.ESP) {
	if !w.u32Cond("esp --espspi", stmt.ESPSPI, m.SPI, m.NegSPI) && w.l4Needed() {
		w.l4Only(protoESP)
	}
}

func (w *rw) ipcomp(m *ir.IPComp) {
	if m.Res {
		w.unsupported("ipcomp --compres", "nft has no test for it")
		return
	}
	// The CPI is 16 bits on the wire; xt_ipcomp compares it with the
	// 32-bit range, so the part above 65535 never matches.
	r, neg := m.SPI, m.NegSPI
	switch {
	case r.Full() || r.Lo > r.Hi:
	case r.Lo > 0xffff && neg:
		r, neg = ir.FullU32, false
	case r.Lo > 0xffff:
		w.unsupported("ipcomp --ipcompspi", "the CPI is 16 bits, so a value above 65535 never matches; remove the rule")
		return
	case r.Hi > 0xffff:
		r.Hi = 0xffff
	}
	if !w.u32Cond("ipcomp --ipcompspi", stmt.CompCPI, r, neg) && w.l4Needed() {
		w.l4Only(protoComp)
	}
}

func (w *rw) frag6(m *ir.Frag) {
	n := 0
	if w.u32Cond("frag --fragid", stmt.FragID, m.ID, m.NegID) {
		n++
	}
	// --fraglen is stored but never compared by ip6t_frag.
	if m.Res {
		w.fieldCmp(stmt.FragReserved, 0, 0, false)
		w.fieldCmp(stmt.FragReserved2, 0, 0, false)
		n++
	}
	for _, f := range []struct {
		on    bool
		field *stmt.Exthdr
		v     uint32
	}{{m.First, stmt.FragOff, 0}, {m.More, stmt.FragMore, 1}, {m.Last, stmt.FragMore, 0}} {
		if f.on {
			w.fieldCmp(f.field, f.v, f.v, false)
			n++
		}
	}
	if n == 0 {
		w.present("frag", stmt.HdrFrag, false)
	}
}

func (w *rw) ipv6Opts(m *ir.IPv6Opts) {
	hdr, num, f := "hbh", uint8(stmt.HdrHbh), stmt.HbhHdrLen
	if m.Dst {
		hdr, num, f = "dst", stmt.HdrDst, stmt.DstHdrLen
	}
	if len(m.Opts) > 0 {
		w.unsupported(fmt.Sprintf("%s --%s-opts", hdr, hdr), "nft 1.0.6 cannot test the options inside the header")
		return
	}
	if !w.lenCond(hdr+" length", f, m.Len, m.NegLen, 1, 8) {
		w.present(hdr, num, false)
	}
}

func (w *rw) rt(m *ir.RT) {
	if m.Res || len(m.Addrs) > 0 {
		w.unsupported("rt --rt-0-res / --rt-0-addrs", "nft 1.0.6 cannot test the type 0 routing header's reserved field or address list")
		return
	}
	n := 0
	if m.Type != nil {
		w.fieldCmp(stmt.RtType, uint32(*m.Type), uint32(*m.Type), m.NegType)
		n++
	}
	if w.segsLeft(m) {
		n++
	}
	if w.lenCond("rt --rt-len", stmt.RtHdrLen, m.Len, m.NegLen, 1, 8) {
		n++
	}
	if n == 0 {
		w.present("rt", stmt.HdrRt, false)
	}
}

func (w *rw) mh(m *ir.MH) {
	if m.Lo == 0 && m.Hi == 255 && !m.Neg {
		w.present("mh", stmt.HdrMH, false)
		return
	}
	w.rangeCond("mh --mh-type", stmt.MHType, uint32(m.Lo), uint32(m.Hi), m.Neg)
}

var pkIPv6HeaderNft = map[ir.IPv6HeaderSet]struct {
	name string
	num  uint8
}{0x80: {"hbh", stmt.HdrHbh}, 0x40: {"dst", stmt.HdrDst}, 0x20: {"rt", stmt.HdrRt}, 0x10: {"frag", stmt.HdrFrag}}

func (w *rw) ipv6Header(m *ir.IPv6Header) {
	// Only the soft form ("at least these headers") over the headers nft
	// knows as exthdr can be written; the exact form needs every other
	// header to be absent, AH and ESP included, which nft 1.0.6 cannot test.
	if !m.Soft || m.Headers&0x0f != 0 {
		w.unsupported("ipv6header", "nft 1.0.6 can only test that hop-by-hop, dst, route or frag headers exist (the --soft form)")
		return
	}
	var hs []ir.IPv6HeaderSet
	for _, h := range ir.IPv6HeaderNames {
		if m.Headers&h.Bit != 0 {
			hs = append(hs, h.Bit)
		}
	}
	if m.Neg {
		if len(hs) != 1 {
			w.unsupported("! ipv6header with several headers", "nft cannot OR header tests in one rule")
			return
		}
		h := pkIPv6HeaderNft[hs[0]]
		w.present(h.name, h.num, true)
		return
	}
	for _, b := range hs {
		h := pkIPv6HeaderNft[b]
		w.present(h.name, h.num, false)
	}
}

// segsLeft writes the segments-left test. The header field is 8 bits but
// ip6t_rt compares it with a 32-bit range: the range is cut to 0-255, and
// a range above 255 never matches (so negated, it always does).
func (w *rw) segsLeft(m *ir.RT) bool {
	r, neg := m.SegsLeft, m.NegSegsLeft
	if r.Full() && !neg {
		return false
	}
	if r.Lo <= r.Hi && r.Lo > 255 {
		if neg {
			return false
		}
		w.unsupported("rt --rt-segsleft", "the field is 8 bits, so a value above 255 never matches; remove the rule")
		return true
	}
	if r.Lo <= r.Hi && r.Hi > 255 {
		r.Hi = 255
	}
	if r.Lo == 0 && r.Hi == 255 && neg {
		// Never true: keep a test that says so rather than dropping it.
		w.fieldCmp(stmt.RtSegLeft, 0, 255, true)
		return true
	}
	if r.Lo == 0 && r.Hi == 255 {
		return false
	}
	return w.u32Cond("rt --rt-segsleft", stmt.RtSegLeft, r, neg)
}
