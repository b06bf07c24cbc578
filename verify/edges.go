package verify

import (
	"math/rand/v2"
	"net/netip"

	"github.com/ruleshift/ruleshift/translate/ir"
)

// Edges of prefixes, masks and port ranges: the values where an off-by-one
// in a translation shows (a /24 rendered as /23, 80:90 as 80-89).

// lastAddr is the highest address of a prefix.
func lastAddr(p netip.Prefix) netip.Addr {
	p = p.Masked()
	b := p.Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// randomIn is a random address inside p.
func randomIn(p netip.Prefix, rng *rand.Rand) netip.Addr {
	p = p.Masked()
	b := p.Addr().AsSlice()
	for i := p.Bits(); i < len(b)*8; i++ {
		if rng.IntN(2) == 1 {
			b[i/8] |= 0x80 >> (i % 8)
		}
	}
	a, _ := netip.AddrFromSlice(b)
	return a
}

// inside returns an address a packet can carry that lies in p, preferring
// the first host address so that probes read naturally; the zero Addr when
// no usable address is in p.
func inside(p netip.Prefix, rng *rand.Rand) netip.Addr {
	p = p.Masked()
	cands := []netip.Addr{p.Addr().Next(), p.Addr(), randomIn(p, rng), lastAddr(p)}
	if p.Bits() == 0 {
		cands = nil
	}
	for i := 0; i < 16; i++ {
		cands = append(cands, randomIn(p, rng))
	}
	for _, a := range cands {
		if a.IsValid() && p.Contains(a) && usable(a) {
			return a
		}
	}
	return netip.Addr{}
}

// outside returns a usable address just outside p, or the zero Addr.
func outside(p netip.Prefix, rng *rand.Rand) netip.Addr {
	p = p.Masked()
	for _, a := range []netip.Addr{p.Addr().Prev(), lastAddr(p).Next()} {
		if a.IsValid() && usable(a) {
			return a
		}
	}
	for i := 0; i < 16; i++ {
		a := randomAddr(p.Addr().Is6(), rng)
		if !p.Contains(a) && usable(a) {
			return a
		}
	}
	return netip.Addr{}
}

// prefixEdges lists the edges of p: its first and last address, the one
// after the first and before the last, a random one inside, and the
// neighbours just outside. Unusable addresses are left out.
func prefixEdges(p netip.Prefix, rng *rand.Rand) []netip.Addr {
	p = p.Masked()
	first, last := p.Addr(), lastAddr(p)
	var out []netip.Addr
	add := func(a netip.Addr) {
		if a.IsValid() && usable(a) {
			out = append(out, a)
		}
	}
	if p.Bits() > 0 {
		add(first)
		add(last)
		add(first.Prev())
		add(last.Next())
	}
	if first != last {
		add(first.Next())
		add(last.Prev())
		add(randomIn(p, rng))
	}
	return out
}

// maskEdges handles a non-contiguous mask (iptables allows -s
// 10.0.0.0/255.0.255.0): the address itself matches, and flipping one bit
// inside the mask or outside it gives a miss and a hit.
func maskEdges(a netip.Addr, mask netip.Addr) []netip.Addr {
	var out []netip.Addr
	b, m := a.AsSlice(), mask.AsSlice()
	out = append(out, a)
	for _, want := range []bool{true, false} {
		for i := len(b)*8 - 1; i >= 0; i-- {
			in := m[i/8]&(0x80>>(i%8)) != 0
			if in == want {
				c := append([]byte(nil), b...)
				c[i/8] ^= 0x80 >> (i % 8)
				if x, ok := netip.AddrFromSlice(c); ok && usable(x) {
					out = append(out, x)
				}
				break
			}
		}
	}
	return out
}

// maskMatch reports whether a&mask == net&mask.
func maskMatch(a, net, mask netip.Addr) bool {
	x, n, m := a.AsSlice(), net.AsSlice(), mask.AsSlice()
	if len(x) != len(m) {
		return false
	}
	for i := range x {
		if x[i]&m[i] != n[i]&m[i] {
			return false
		}
	}
	return true
}

func randomAddr(v6 bool, rng *rand.Rand) netip.Addr {
	if v6 {
		var b [16]byte
		b[0], b[1] = 0x20, 0x01 // global unicast
		for i := 2; i < 16; i++ {
			b[i] = byte(rng.UintN(256))
		}
		return netip.AddrFrom16(b)
	}
	var b [4]byte
	for i := range b {
		b[i] = byte(rng.UintN(256))
	}
	b[0] = byte(1 + rng.UintN(222))
	if b[0] == 127 {
		b[0] = 128
	}
	return netip.AddrFrom4(b)
}

// usable reports whether a packet from or to a can cross F: the kernel
// drops martians (0/8, 127/8, multicast, class E, link-local IPv6,
// v4-mapped) before netfilter sees them, on both sides alike, so probes
// with them would only measure the routing code.
func usable(a netip.Addr) bool {
	if !a.IsValid() || a.IsUnspecified() || a.IsLoopback() || a.IsMulticast() {
		return false
	}
	if a.Is4() {
		b := a.As4()
		return b[0] != 0 && b[0] < 224
	}
	if a.Is4In6() || a.IsLinkLocalUnicast() {
		return false
	}
	return true
}

// portEdges lists the edges of a port range: its ends, the ports just
// outside, and one inside.
func portEdges(r ir.PortRange, rng *rand.Rand) []uint16 {
	out := []uint16{r.Lo, r.Hi}
	if r.Lo > 0 {
		out = append(out, r.Lo-1)
	}
	if r.Hi < 65535 {
		out = append(out, r.Hi+1)
	}
	if r.Hi > r.Lo+1 {
		out = append(out, r.Lo+1+uint16(rng.UintN(uint(r.Hi-r.Lo-1))))
	}
	return out
}

// portOutside is a port outside r (r must not be the full range).
func portOutside(r ir.PortRange) uint16 {
	if r.Hi < 65535 {
		return r.Hi + 1
	}
	return r.Lo - 1
}

func inRange(p uint16, r ir.PortRange) bool { return p >= r.Lo && p <= r.Hi }
