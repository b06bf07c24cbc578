package stmt

import (
	"net/netip"
	"strconv"
)

// NATKind is the NAT statement.
type NATKind uint8

const (
	SNAT NATKind = iota
	DNAT
	Masquerade
	Redirect
)

var natNames = [...]string{"snat", "dnat", "masquerade", "redirect"}

// NF_NAT_RANGE_* flags of a NAT statement.
const (
	NATRandom      uint32 = 0x4
	NATPersistent  uint32 = 0x8
	NATFullyRandom uint32 = 0x10
)

// NAT is "snat|dnat to [ADDR[-ADDR]][:P[-Q]] [flags]" or
// "masquerade|redirect [to :P[-Q]] [flags]".
type NAT struct {
	Kind             NATKind
	MinAddr, MaxAddr netip.Addr // invalid when no address is given
	// PortMin..PortMax is the port range when HasPorts.
	HasPorts         bool
	PortMin, PortMax uint16
	Flags            uint32
}

func (*NAT) stmt() {}

func appendNAT(dst []byte, n *NAT) []byte {
	dst = append(dst, natNames[n.Kind]...)
	if n.MinAddr.IsValid() || n.HasPorts {
		dst = append(dst, " to "...)
	}
	if n.MinAddr.IsValid() {
		// nft 1.0.6 takes an IPv6 range with ports as [a]-[b]:p, not
		// iptables' [a-b]:p.
		br := n.HasPorts && n.MinAddr.Is6()
		dst = appendAddr(dst, n.MinAddr, br)
		if n.MaxAddr != n.MinAddr {
			dst = appendAddr(append(dst, '-'), n.MaxAddr, br)
		}
	}
	if n.HasPorts {
		dst = strconv.AppendUint(append(dst, ':'), uint64(n.PortMin), 10)
		if n.PortMax != n.PortMin {
			dst = strconv.AppendUint(append(dst, '-'), uint64(n.PortMax), 10)
		}
	}
	sep := byte(' ')
	for _, f := range []struct {
		bit  uint32
		name string
	}{{NATRandom, "random"}, {NATFullyRandom, "fully-random"}, {NATPersistent, "persistent"}} {
		if n.Flags&f.bit != 0 {
			dst = append(append(dst, sep), f.name...)
			sep = ','
		}
	}
	return dst
}

func appendAddr(dst []byte, a netip.Addr, bracket bool) []byte {
	if bracket {
		return append(a.AppendTo(append(dst, '[')), ']')
	}
	return a.AppendTo(dst)
}
