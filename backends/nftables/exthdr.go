package nftables

import (
	"fmt"

	"github.com/ruleshift/ruleshift/translate/ir"
)

// IPsec and IPv6 extension header matches.

// u32Cond writes "EXPR [!=] lo[-hi]". A full range is left to the caller
// unless negated: a negated full range never matches and must stay.
func (w *rw) u32Cond(what, expr string, r ir.U32Range, neg bool) bool {
	switch {
	case r.Full() && !neg:
		return false
	case r.Lo > r.Hi && neg:
		return false
	case r.Lo > r.Hi:
		w.unsupported(fmt.Sprintf("%s %d:%d", what, r.Lo, r.Hi), "the range is reversed and matches no packet; remove the rule")
	case r.Lo == r.Hi:
		w.addf("%s %s%d", expr, neq(neg), r.Lo)
	default:
		w.addf("%s %s%d-%d", expr, neq(neg), r.Lo, r.Hi)
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
func (w *rw) lenCond(what, expr string, bytes uint32, neg bool, add, unit uint32) bool {
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
	w.addf("%s %s%d", expr, neq(neg), raw)
	return true
}

// ah writes the AH tests. nf_tables stops its transport header search at
// the first AH header (IP6_FH_F_AUTH), so "ah …" and meta l4proto ah find
// the header in IPv6 as ip6t_ah does.
func (w *rw) ah(m *ir.AH) {
	n := 0
	if w.u32Cond("ah --ahspi", "ah spi", m.SPI, m.NegSPI) {
		n++
	}
	// ip6t_ah compares (hdrlen+2)*4 bytes with --ahlen, and --ahres
	// requires the reserved field to be zero.
	if w.lenCond("ah --ahlen", "ah hdrlength", m.Len, m.NegLen, 2, 4) {
		n++
	}
	if m.Res {
		w.add("ah reserved 0")
		n++
	}
	if n == 0 && w.l4Needed() {
		w.l4Only("ah")
	}
}

func (w *rw) esp(m *ir.ESP) {
	if !w.u32Cond("esp --espspi", "esp spi", m.SPI, m.NegSPI) && w.l4Needed() {
		w.l4Only("esp")
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
	if !w.u32Cond("ipcomp --ipcompspi", "comp cpi", r, neg) && w.l4Needed() {
		w.l4Only("comp")
	}
}

func (w *rw) frag6(m *ir.Frag) {
	n := 0
	if w.u32Cond("frag --fragid", "frag id", m.ID, m.NegID) {
		n++
	}
	// --fraglen is stored but never compared by ip6t_frag.
	for _, f := range []struct {
		on   bool
		expr string
	}{{m.Res, "frag reserved 0 frag reserved2 0"}, {m.First, "frag frag-off 0"}, {m.More, "frag more-fragments 1"}, {m.Last, "frag more-fragments 0"}} {
		if f.on {
			w.add(f.expr)
			n++
		}
	}
	if n == 0 {
		w.add("exthdr frag exists")
	}
}

func (w *rw) ipv6Opts(m *ir.IPv6Opts) {
	hdr := "hbh"
	if m.Dst {
		hdr = "dst"
	}
	if len(m.Opts) > 0 {
		w.unsupported(fmt.Sprintf("%s --%s-opts", hdr, hdr), "nft 1.0.6 cannot test the options inside the header")
		return
	}
	if !w.lenCond(hdr+" length", hdr+" hdrlength", m.Len, m.NegLen, 1, 8) {
		w.add("exthdr " + hdr + " exists")
	}
}

func (w *rw) rt(m *ir.RT) {
	if m.Res || len(m.Addrs) > 0 {
		w.unsupported("rt --rt-0-res / --rt-0-addrs", "nft 1.0.6 cannot test the type 0 routing header's reserved field or address list")
		return
	}
	n := 0
	if m.Type != nil {
		w.addf("rt type %s%d", neq(m.NegType), *m.Type)
		n++
	}
	if w.segsLeft(m) {
		n++
	}
	if w.lenCond("rt --rt-len", "rt hdrlength", m.Len, m.NegLen, 1, 8) {
		n++
	}
	if n == 0 {
		w.add("exthdr rt exists")
	}
}

func (w *rw) mh(m *ir.MH) {
	if m.Lo == 0 && m.Hi == 255 && !m.Neg {
		w.add("exthdr mh exists")
		return
	}
	w.u16Cond("mh --mh-type", "mh type", uint16(m.Lo), uint16(m.Hi), m.Neg)
}

var pkIPv6HeaderNft = map[ir.IPv6HeaderSet]string{0x80: "hbh", 0x40: "dst", 0x20: "rt", 0x10: "frag"}

func (w *rw) ipv6Header(m *ir.IPv6Header) {
	// Only the soft form ("at least these headers") over the headers nft
	// knows as exthdr can be written; the exact form needs every other
	// header to be absent, AH and ESP included, which nft 1.0.6 cannot test.
	if !m.Soft || m.Headers&0x0f != 0 {
		w.unsupported("ipv6header", "nft 1.0.6 can only test that hop-by-hop, dst, route or frag headers exist (the --soft form)")
		return
	}
	var hs []string
	for _, h := range ir.IPv6HeaderNames {
		if m.Headers&h.Bit != 0 {
			hs = append(hs, pkIPv6HeaderNft[h.Bit])
		}
	}
	if m.Neg {
		if len(hs) != 1 {
			w.unsupported("! ipv6header with several headers", "nft cannot OR header tests in one rule")
			return
		}
		w.addf("exthdr %s missing", hs[0])
		return
	}
	for _, h := range hs {
		w.addf("exthdr %s exists", h)
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
		w.add("rt seg-left != 0-255")
		return true
	}
	if r.Lo == 0 && r.Hi == 255 {
		return false
	}
	return w.u32Cond("rt --rt-segsleft", "rt seg-left", r, neg)
}
