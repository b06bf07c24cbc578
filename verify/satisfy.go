package verify

import (
	"net/netip"
	"strings"

	"github.com/ruleshift/ruleshift/translate/ir"
)

// satisfy changes p so that it meets m and returns the variants that sit
// on m's edges. Kinds it does not know (rate limits, marks, strings…)
// leave p as it is: the probe then meets the rule only if the kernel's
// state happens to agree, which is the same on both sides.
func (g *gen) satisfy(p *Probe, m ir.Match) []variant {
	switch m := m.(type) {
	case *ir.Protocol:
		return g.protocol(p, m)
	case *ir.Addr:
		return g.addr(p, m)
	case *ir.SetRef:
		return g.setRef(p, m)
	case *ir.Iface:
		return g.iface(p, m)
	case *ir.TCP:
		vs := g.ports(p, m.SrcPorts, m.NegSrc, m.DstPorts, m.NegDst)
		return append(vs, tcpFlags(p, m.Flags)...)
	case *ir.UDP:
		return g.ports(p, m.SrcPorts, m.NegSrc, m.DstPorts, m.NegDst)
	case *ir.SCTP:
		return g.ports(p, m.SrcPorts, m.NegSrc, m.DstPorts, m.NegDst)
	case *ir.ICMP:
		return icmpMatch(p, m)
	case *ir.Multiport:
		return g.multiport(p, m)
	case *ir.State:
		return state(p, m)
	case *ir.Conntrack:
		var vs []variant
		if m.State != nil {
			vs = state(p, m.State)
		}
		if m.OrigSrc != nil {
			vs = append(vs, g.addr(p, ctAddr(ir.Src, m.OrigSrc))...)
		}
		if m.OrigDst != nil {
			vs = append(vs, g.addr(p, ctAddr(ir.Dst, m.OrigDst))...)
		}
		return vs
	}
	return nil
}

func ctAddr(d ir.Dir, c *ir.CtAddr) *ir.Addr {
	pfx, _ := c.Addr.Prefix(c.Bits)
	return &ir.Addr{Dir: d, Neg: c.Neg, Net: pfx}
}

func (g *gen) protocol(p *Probe, m *ir.Protocol) []variant {
	if m.All || m.Num == 0 {
		if m.Neg {
			return nil
		}
		return []variant{setProto(protoUDP), setProto(icmpProto(p.Family))}
	}
	other := uint8(protoTCP)
	if m.Num == protoTCP {
		other = protoUDP
	}
	if m.Neg {
		setProto(other)(p)
		return []variant{setProto(m.Num)}
	}
	setProto(m.Num)(p)
	return []variant{setProto(other)}
}

func (g *gen) addr(p *Probe, m *ir.Addr) []variant {
	set := func(a netip.Addr) variant {
		return func(q *Probe) {
			if m.Dir == ir.Src {
				q.Src = a
			} else {
				q.Dst = a
			}
		}
	}
	var edges []netip.Addr
	var pick netip.Addr
	if m.Mask.IsValid() {
		edges = maskEdges(m.Net.Addr(), m.Mask)
		for _, a := range edges {
			if maskMatch(a, m.Net.Addr(), m.Mask) != m.Neg {
				pick = a
				break
			}
		}
	} else {
		edges = prefixEdges(m.Net, g.rng)
		if m.Neg {
			pick = outside(m.Net, g.rng)
		} else {
			pick = inside(m.Net, g.rng)
		}
	}
	if pick.IsValid() {
		set(pick)(p)
	}
	vs := make([]variant, 0, len(edges))
	for _, a := range edges {
		vs = append(vs, set(a))
	}
	return vs
}

// setRef meets a lookup in a named address set: the probe takes the
// first element, and each element gives the variants an address match on
// it would (its edges, and an address inside it).
func (g *gen) setRef(p *Probe, m *ir.SetRef) []variant {
	s := g.sets[m.Name]
	if s == nil {
		return nil
	}
	var vs []variant
	first := true
	for _, e := range s.All() {
		if !e.Prefix.IsValid() {
			continue
		}
		a := &ir.Addr{Dir: m.Dir, Neg: m.Neg, Net: e.Prefix}
		if first {
			vs = append(vs, g.addr(p, a)...)
			first = false
			continue
		}
		q := *p
		vs = append(vs, g.addr(&q, a)...)
		in := q.Src
		if m.Dir == ir.Dst {
			in = q.Dst
		}
		vs = append(vs, func(r *Probe) {
			if m.Dir == ir.Src {
				r.Src = in
			} else {
				r.Dst = in
			}
		})
	}
	return vs
}

// ifaceMatches is the kernel's test: a name ending in "+" matches every
// interface with that prefix.
func ifaceMatches(pattern, name string) bool {
	if base, ok := strings.CutSuffix(pattern, "+"); ok {
		return strings.HasPrefix(name, base)
	}
	return pattern == name
}

func (g *gen) iface(p *Probe, m *ir.Iface) []variant {
	field := &p.In
	choices := g.ifaces
	if m.Dir == ir.Dst {
		field = &p.Out
		if p.Path == Forward {
			choices = g.routable
		}
	}
	if *field == "" { // -i on OUTPUT or -o on INPUT: iptables refuses it
		return nil
	}
	var hit, miss string
	for _, n := range choices {
		if ifaceMatches(m.Name, n) {
			if hit == "" {
				hit = n
			}
		} else if miss == "" {
			miss = n
		}
	}
	want, other := hit, miss
	if m.Neg {
		want, other = miss, hit
	}
	if want != "" {
		*field = want
	}
	if other == "" {
		return nil
	}
	return []variant{func(q *Probe) {
		if m.Dir == ir.Dst {
			q.Out = other
		} else {
			q.In = other
		}
	}}
}

func (g *gen) ports(p *Probe, src *ir.PortRange, negSrc bool, dst *ir.PortRange, negDst bool) []variant {
	var vs []variant
	if src != nil {
		vs = append(vs, g.portSide(p, &p.Sport, *src, negSrc, true)...)
	}
	if dst != nil {
		vs = append(vs, g.portSide(p, &p.Dport, *dst, negDst, false)...)
	}
	return vs
}

func (g *gen) portSide(p *Probe, field *uint16, r ir.PortRange, neg, isSrc bool) []variant {
	if !neg {
		*field = r.Lo
	} else if !r.Full() {
		*field = portOutside(r)
	}
	if isSrc {
		p.autoSport = false
	}
	var vs []variant
	for _, v := range portEdges(r, g.rng) {
		vs = append(vs, func(q *Probe) {
			if isSrc {
				q.Sport, q.autoSport = v, false
			} else {
				q.Dport = v
			}
		})
	}
	return vs
}

func tcpFlags(p *Probe, f *ir.TCPFlags) []variant {
	if f == nil {
		return nil
	}
	p.Flags = f.Comp & f.Mask
	if f.Neg {
		for b := uint8(1); b < 64; b <<= 1 {
			if f.Mask&b != 0 {
				p.Flags ^= b
				break
			}
		}
	}
	var vs []variant
	for b := uint8(1); b < 64; b <<= 1 {
		if f.Mask&b != 0 {
			vs = append(vs, func(q *Probe) { q.Flags ^= b })
		}
	}
	return vs
}

func icmpMatch(p *Probe, m *ir.ICMP) []variant {
	if m.Any {
		p.Type, p.Code = echoType(p.Family), 0
		return nil
	}
	p.Type, p.Code = m.Type, m.CodeMin
	if m.Neg {
		p.Type = m.Type + 1
	}
	set := func(t, c uint8) variant { return func(q *Probe) { q.Type, q.Code = t, c } }
	vs := []variant{set(m.Type+1, 0), set(m.Type-1, 0)}
	if !m.AnyCode() {
		vs = append(vs, set(m.Type, m.CodeMax))
		if m.CodeMin > 0 {
			vs = append(vs, set(m.Type, m.CodeMin-1))
		}
		if m.CodeMax < 255 {
			vs = append(vs, set(m.Type, m.CodeMax+1))
		}
	}
	return vs
}

func (g *gen) multiport(p *Probe, m *ir.Multiport) []variant {
	if len(m.Ports) == 0 {
		return nil
	}
	field := func(q *Probe) *uint16 {
		if m.Dir == ir.Src {
			q.autoSport = false
			return &q.Sport
		}
		return &q.Dport
	}
	if m.Neg {
		*field(p) = multiportMiss(m.Ports)
	} else {
		*field(p) = m.Ports[0].Lo
	}
	var vs []variant
	for _, r := range m.Ports {
		for _, v := range portEdges(r, g.rng) {
			vs = append(vs, func(q *Probe) { *field(q) = v })
			if m.Dir == ir.Both {
				vs = append(vs, func(q *Probe) { q.Sport, q.autoSport = v, false; q.Dport = 80 })
			}
		}
	}
	return vs
}

// multiportMiss is a port in none of the ranges.
func multiportMiss(rs []ir.PortRange) uint16 {
	for _, c := range []uint16{80, 443, 1, 1024, 40000, 65535, 0} {
		hit := false
		for _, r := range rs {
			hit = hit || inRange(c, r)
		}
		if !hit {
			return c
		}
	}
	return 0
}

// state makes p an original (NEW) or marks it as the reply of a flow
// (ESTABLISHED or RELATED), and offers the other as a variant.
func state(p *Probe, m *ir.State) []variant {
	wantNew := (m.States&ir.CtNew != 0) != m.Neg
	wantEst := (m.States&(ir.CtEstablished|ir.CtRelated) != 0) != m.Neg
	if wantNew || !wantEst {
		return []variant{func(q *Probe) { q.reverse = true }}
	}
	p.reverse = true
	return []variant{func(q *Probe) { q.reverse = false }}
}
