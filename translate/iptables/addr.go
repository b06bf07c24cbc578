package iptables

import (
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/ruleshift/ruleshift/translate/ir"
)

// Addresses as libxtables 1.8.9 reads -s/-d (xtables_ipparse_multiple,
// xtables_ip6parse_multiple): each list element loses its leading blanks;
// the text after the last '/' is a mask, a dotted (or IPv6) mask or a
// base-0 number of bits; a zero mask makes the address 0.0.0.0 whatever
// it was ("any/0"); the address goes through xtables' own numeric parser
// (IPv4: base-0 octets, a partial quad completed with zeros, "10.1" is
// 10.1.0.0; IPv6: inet_pton), and what that refuses goes to
// getaddrinfo, whose first step is inet_aton ("2130706433" and
// "10.1.300" are addresses there), and then to host-name resolution.

// parseAddr parses one element of a -s/-d list.
func parseAddr(s string, f ir.Family) (addrSpec, error) {
	a := addrSpec{bits: -1}
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	host, maskStr, hasMask := s, "", false
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		host, maskStr, hasMask = s[:i], s[i+1:], true
	}
	nbits := bitsOf(f)
	var mask netip.Addr
	if hasMask {
		m, ok := parseMask(maskStr, f)
		if !ok {
			return a, fmt.Errorf("invalid mask %q specified", maskStr)
		}
		mask = m
	} else {
		mask = allOnes(f)
	}
	bits, contiguous := maskBits(mask)
	var ip netip.Addr
	switch {
	case bits == 0 && contiguous:
		// iptables ignores the name under a zero mask ("any/0").
		ip = netip.IPv6Unspecified()
		if f == ir.IPv4 {
			ip = netip.IPv4Unspecified()
		}
	case f == ir.IPv4:
		var ok bool
		if ip, ok = numericIPv4(host); !ok {
			ip, ok = inetAton(host)
		}
		if !ok {
			return hostSpec(a, host, hasMask, bits, contiguous, f)
		}
	default:
		var err error
		if ip, err = netip.ParseAddr(host); err != nil || !ip.Is6() || ip.Zone() != "" {
			return hostSpec(a, host, hasMask, bits, contiguous, f)
		}
	}
	if !contiguous {
		a.mask = mask
		a.net = netip.PrefixFrom(andAddr(ip, mask), nbits)
		return a, nil
	}
	a.net, _ = ip.Prefix(bits)
	return a, nil
}

// hostSpec records a host name to be resolved later, refusing what no
// resolver would take.
func hostSpec(a addrSpec, host string, hasMask bool, bits int, contiguous bool, f ir.Family) (addrSpec, error) {
	if host == "" || strings.Contains(host, ":") || !validHostName(host) {
		return a, fmt.Errorf("host/network %q not found", host)
	}
	if f == ir.IPv4 && looksNumeric(host) {
		return a, fmt.Errorf("invalid IPv4 address %q", host)
	}
	if !contiguous {
		return a, fmt.Errorf("a non-contiguous mask with the host name %q is not supported", host)
	}
	a.host = host
	if hasMask {
		a.bits = bits
	}
	return a, nil
}

// parseMask reads the part after '/': a full dotted (or IPv6) mask, which
// may be non-contiguous, or a base-0 number of bits.
func parseMask(s string, f ir.Family) (netip.Addr, bool) {
	if f == ir.IPv4 {
		if m, ok := numericIPv4Mask(s); ok {
			return m, true
		}
	} else if m, err := netip.ParseAddr(s); err == nil && m.Is6() && m.Zone() == "" {
		return m, true
	}
	n, ok := xtUint(s, 0, uint64(bitsOf(f)))
	if !ok {
		return netip.Addr{}, false
	}
	p := netip.PrefixFrom(allOnes(f), int(n)).Masked()
	b := p.Addr().AsSlice()
	for i := range b {
		b[i] = 0
	}
	for i := 0; i < int(n); i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	m, _ := netip.AddrFromSlice(b)
	return m, true
}

// numericIPv4 is xtables_numeric_to_ipaddr: up to four dot-separated
// base-0 numbers of at most 255; fewer than four are completed with zero
// octets. Like iptables it looks at the first 19 bytes only.
func numericIPv4(s string) (netip.Addr, bool) { return numericQuad(s, false) }

// numericIPv4Mask is xtables_numeric_to_ipmask: four octets, no
// completion.
func numericIPv4Mask(s string) (netip.Addr, bool) { return numericQuad(s, true) }

func numericQuad(s string, full bool) (netip.Addr, bool) {
	if len(s) > 19 {
		s = s[:19]
	}
	var b [4]byte
	for i := 0; i < 4; i++ {
		part, rest, more := strings.Cut(s, ".")
		if i == 3 {
			part, more = s, false
		}
		v, ok := xtUint(part, 0, 255)
		if !ok {
			return netip.Addr{}, false
		}
		b[i] = byte(v)
		if !more {
			if i < 3 && full {
				return netip.Addr{}, false
			}
			return netip.AddrFrom4(b), true
		}
		s = rest
	}
	return netip.AddrFrom4(b), true
}

// inetAton is glibc's inet_aton as getaddrinfo uses it (the exact form,
// nothing after the number): "a", "a.b", "a.b.c" or "a.b.c.d", each part
// a base-0 number that starts with a digit, the last part filling the
// remaining bytes.
func inetAton(s string) (netip.Addr, bool) {
	var parts []uint64
	for {
		if s == "" || s[0] < '0' || s[0] > '9' {
			return netip.Addr{}, false
		}
		v, n, overflow := strtoumax(s, 0)
		if overflow || v > 0xffffffff {
			return netip.Addr{}, false
		}
		parts = append(parts, v)
		s = s[n:]
		if s == "" {
			break
		}
		if s[0] != '.' || len(parts) == 4 {
			return netip.Addr{}, false
		}
		s = s[1:]
	}
	n := len(parts)
	last := parts[n-1]
	if last >= 1<<(8*uint(5-n)) {
		return netip.Addr{}, false
	}
	var v uint32
	for i, p := range parts[:n-1] {
		if p > 255 {
			return netip.Addr{}, false
		}
		v |= uint32(p) << (24 - 8*uint(i))
	}
	v |= uint32(last)
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}), true
}

// hostAddr reads a single address as xtables' XTTYPE_HOST does, through
// getaddrinfo: for IPv4 anything inet_aton takes ("10.1" is 10.0.0.1,
// unlike -s), for IPv6 what inet_pton takes. Host names are not resolved
// in extension options.
func hostAddr(s string, f ir.Family) (netip.Addr, bool) {
	if f == ir.IPv4 {
		return inetAton(s)
	}
	a, err := netip.ParseAddr(s)
	return a, err == nil && a.Is6() && a.Zone() == ""
}

// numericAddr is xtables_numeric_to_ipaddr (IPv4, "10.1" is 10.1.0.0) or
// xtables_numeric_to_ip6addr (inet_pton), as libxt_iprange uses them.
func numericAddr(s string, f ir.Family) (netip.Addr, bool) {
	if f == ir.IPv4 {
		return numericIPv4(s)
	}
	a, err := netip.ParseAddr(s)
	return a, err == nil && a.Is6() && a.Zone() == ""
}

// parseEtherMAC is xtables' XTTYPE_ETHERMAC: six hex numbers of at most
// two characters each ("0:1:2:3:4:5"), separated by ':'.
func parseEtherMAC(s string) (net.HardwareAddr, bool) {
	hw := make(net.HardwareAddr, 6)
	for i := 0; i < 6; i++ {
		v, n, _ := strtoumax(s, 16)
		if n > 2 || (n == 0 && s != "" && s[0] != ':') {
			return nil, false
		}
		hw[i] = byte(v)
		s = s[n:]
		if i < 5 {
			if !strings.HasPrefix(s, ":") {
				return nil, false
			}
			s = s[1:]
		}
	}
	return hw, s == ""
}
