package pktset

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/ruleshift/ruleshift/translate/ir"
)

// Of returns the set of packets a rule's matches select, in the space of
// the rule's table. The rule's target plays no part.
func (sp *Space) Of(r *ir.Rule) Set {
	s := All()
	for _, m := range r.Matches {
		sp.match(&s, m)
		if len(s.Boxes) == 0 {
			break
		}
	}
	return s
}

// one intersects s with a single field condition, negated when neg.
func (sp *Space) one(s *Set, f Field, v ISet, neg bool) {
	if neg {
		v = sp.Complement(f, v)
	}
	var b Box
	b.Constrain(f, v)
	s.and([]Box{b})
}

func (sp *Space) opaque(s *Set, m ir.Match, why string) {
	name := strings.TrimPrefix(fmt.Sprintf("%T", m), "*ir.")
	if why != "" {
		name += " (" + why + ")"
	}
	s.Opaque = append(s.Opaque, strings.ToLower(name))
}

// l4 restricts s to first fragments of protocol proto: what every layer 4
// match of xtables requires (they fail on fragment offsets other than 0).
func (sp *Space) l4(s *Set, proto uint8) {
	var b Box
	b.Constrain(Frag, Point(U64(0)))
	if proto != 0 {
		b.Constrain(Proto, Point(U64(uint64(proto))))
	}
	s.and([]Box{b})
}

func ports(r *ir.PortRange) ISet { return Range(U64(uint64(r.Lo)), U64(uint64(r.Hi))) }

func (sp *Space) match(s *Set, m ir.Match) {
	if sp.Inet {
		switch m.(type) {
		case *ir.Addr, *ir.IPRange, *ir.ICMP:
			sp.opaque(s, m, "inet table")
			return
		}
	}
	switch m := m.(type) {
	case *ir.Comment:
	case *ir.Protocol:
		if m.All || m.Num == 0 {
			if m.Neg {
				s.Boxes = nil
			}
			return
		}
		sp.one(s, Proto, Point(U64(uint64(m.Num))), m.Neg)
	case *ir.Addr:
		f := SAddr
		if m.Dir == ir.Dst {
			f = DAddr
		}
		if !m.Net.IsValid() || m.Mask.IsValid() || m.Net.Addr().Is6() != sp.V6 {
			sp.opaque(s, m, "")
			return
		}
		sp.one(s, f, prefixSet(m.Net), m.Neg)
	case *ir.IPRange:
		for _, x := range []struct {
			r   *ir.AddrRange
			f   Field
			neg bool
		}{{m.Src, SAddr, m.NegSrc}, {m.Dst, DAddr, m.NegDst}} {
			if x.r == nil {
				continue
			}
			if !x.r.From.IsValid() || !x.r.To.IsValid() || x.r.From.Is6() != sp.V6 || x.r.To.Is6() != sp.V6 {
				sp.opaque(s, m, "")
				return
			}
			sp.one(s, x.f, Range(addrU(x.r.From), addrU(x.r.To)), x.neg)
		}
	case *ir.Iface:
		f := InIf
		if m.Dir == ir.Dst {
			f = OutIf
		}
		sp.one(s, f, IfaceSet(m.Name), m.Neg)
	case *ir.Fragment:
		sp.one(s, Frag, Point(U64(1)), m.Neg)
	case *ir.TCP:
		sp.l4(s, 6)
		if m.SrcPorts != nil {
			sp.one(s, SPort, ports(m.SrcPorts), m.NegSrc)
		}
		if m.DstPorts != nil {
			sp.one(s, DPort, ports(m.DstPorts), m.NegDst)
		}
		if m.Flags != nil {
			sp.one(s, Flags, FlagSet(m.Flags.Mask, m.Flags.Comp), m.Flags.Neg)
		}
		if m.Option != nil {
			sp.opaque(s, m, "--tcp-option")
		}
	case *ir.UDP:
		sp.l4(s, 17)
		if m.SrcPorts != nil {
			sp.one(s, SPort, ports(m.SrcPorts), m.NegSrc)
		}
		if m.DstPorts != nil {
			sp.one(s, DPort, ports(m.DstPorts), m.NegDst)
		}
	case *ir.SCTP:
		sp.l4(s, 132)
		if m.SrcPorts != nil {
			sp.one(s, SPort, ports(m.SrcPorts), m.NegSrc)
		}
		if m.DstPorts != nil {
			sp.one(s, DPort, ports(m.DstPorts), m.NegDst)
		}
		if m.ChunkMatch != "" {
			sp.opaque(s, m, "--chunk-types")
		}
	case *ir.ICMP:
		if m.V6 != sp.V6 {
			sp.opaque(s, m, "")
			return
		}
		proto := uint8(1)
		if m.V6 {
			proto = 58
		}
		sp.l4(s, proto)
		if m.Any {
			if m.Neg {
				s.Boxes = nil
			}
			return
		}
		t := uint64(m.Type) << 8
		sp.one(s, ICMP, Range(U64(t|uint64(m.CodeMin)), U64(t|uint64(m.CodeMax))), m.Neg)
	case *ir.Multiport:
		sp.l4(s, 0)
		var v ISet
		for i := range m.Ports {
			v = Union(v, ports(&m.Ports[i]))
		}
		if v == nil {
			v = ISet{}
		}
		switch {
		case m.Dir == ir.Src:
			sp.one(s, SPort, v, m.Neg)
		case m.Dir == ir.Dst:
			sp.one(s, DPort, v, m.Neg)
		case m.Neg: // neither port in the list
			sp.one(s, SPort, v, true)
			sp.one(s, DPort, v, true)
		default: // either port in the list
			var a, b Box
			a.Constrain(SPort, v)
			b.Constrain(DPort, v)
			s.and([]Box{a, b})
		}
	case *ir.State:
		sp.state(s, m, m)
	case *ir.Conntrack:
		plain := *m
		plain.State = nil
		if plain != (ir.Conntrack{At: m.At}) {
			sp.opaque(s, m, "")
		}
		if m.State != nil {
			sp.state(s, m, m.State)
		}
	case *ir.Mark:
		if v, ok := maskedSet(m.Value, m.Mask); ok {
			sp.one(s, Mark, v, m.Neg)
			return
		}
		sp.opaque(s, m, "mask")
	case *ir.Owner:
		if m.UID != nil && !m.NegUID && m.GID == nil && !m.SocketExists && !m.SupplGroups {
			sp.one(s, UID, Range(U64(uint64(m.UID.Min)+1), U64(uint64(m.UID.Max)+1)), false)
			return
		}
		sp.opaque(s, m, "")
	default:
		sp.opaque(s, m, "")
	}
}

// state maps a conntrack state set to the Ct field; the SNAT and DNAT
// pseudo-states are not modelled.
func (sp *Space) state(s *Set, m ir.Match, st *ir.State) {
	if st.States&(ir.CtSNAT|ir.CtDNAT) != 0 {
		sp.opaque(s, m, "SNAT/DNAT state")
		return
	}
	v := ISet{}
	for bit, val := range map[ir.CtState]uint64{ir.CtInvalid: CtInvalid, ir.CtNew: CtNew, ir.CtEstablished: CtEstablished, ir.CtRelated: CtRelated, ir.CtUntracked: CtUntracked} {
		if st.States&bit != 0 {
			v = Union(v, Point(U64(val)))
		}
	}
	sp.one(s, Ct, v, st.Neg)
}

// maskedSet is {x : x & mask == value} when that is an interval: a mask
// of leading ones (0 and all ones included).
func maskedSet(value, mask uint32) (ISet, bool) {
	if mask != 0 && ^mask&(^mask+1) != 0 {
		return nil, false // not leading ones
	}
	if value&^mask != 0 {
		return ISet{}, true
	}
	return Range(U64(uint64(value)), U64(uint64(value|^mask))), true
}

// FlagSet is the set of flag bytes f with f & mask == comp.
func FlagSet(mask, comp uint8) ISet {
	var out ISet
	for v := 0; v < 256; v++ {
		if uint8(v)&mask == comp {
			out = Union(out, Point(U64(uint64(v))))
		}
	}
	if out == nil {
		out = ISet{}
	}
	return out
}

// addrU is an address as a number (32 or 128 bits).
func addrU(a netip.Addr) U128 {
	if a.Is4() {
		b := a.As4()
		return U64(uint64(b[0])<<24 | uint64(b[1])<<16 | uint64(b[2])<<8 | uint64(b[3]))
	}
	b := a.As16()
	var u U128
	for i := 0; i < 8; i++ {
		u.Hi = u.Hi<<8 | uint64(b[i])
		u.Lo = u.Lo<<8 | uint64(b[8+i])
	}
	return u
}

// AddrValue is the value of an address in the SAddr and DAddr fields.
func AddrValue(a netip.Addr) U128 { return addrU(a) }

func prefixSet(p netip.Prefix) ISet {
	p = p.Masked()
	lo := addrU(p.Addr())
	width := 32
	if p.Addr().Is6() {
		width = 128
	}
	host := width - p.Bits()
	hi := lo
	switch {
	case host >= 128:
		hi = ones128
	case host >= 64:
		hi.Lo = ^uint64(0)
		hi.Hi |= 1<<(host-64) - 1
	default:
		hi.Lo |= 1<<host - 1
	}
	return Range(lo, hi)
}

// IfaceValue is an interface name as a value of InIf and OutIf: its 16
// bytes (IFNAMSIZ), NUL-padded, big-endian.
func IfaceValue(name string) U128 {
	var b [16]byte
	copy(b[:], name)
	var u U128
	for i := 0; i < 8; i++ {
		u.Hi = u.Hi<<8 | uint64(b[i])
		u.Lo = u.Lo<<8 | uint64(b[8+i])
	}
	return u
}

// IfaceSet is the set of interface names -i/-o NAME selects: one name, or
// with a trailing "+" every name starting with the rest.
func IfaceSet(name string) ISet {
	if !strings.HasSuffix(name, "+") {
		return Point(IfaceValue(name))
	}
	pre := strings.TrimSuffix(name, "+")
	if len(pre) >= 16 {
		pre = pre[:16]
	}
	lo := IfaceValue(pre)
	var hiB [16]byte
	copy(hiB[:], pre)
	for i := len(pre); i < 16; i++ {
		hiB[i] = 0xff
	}
	return Range(lo, IfaceValue(string(hiB[:])))
}
