package ir

import "net/netip"

// NAT targets of the nat table: SNAT, DNAT, MASQUERADE, REDIRECT and NETMAP.
// Each holds what the kernel's nf_nat_range2 holds for it.

// NATRange is the --to-source / --to-destination argument:
// [addr[-addr]][:port[-port[/base]]].
type NATRange struct {
	// MinAddr and MaxAddr bound the address range; both are invalid when
	// only ports were given (":80"). A single address has MinAddr == MaxAddr.
	// The kernel accepts MinAddr > MaxAddr, and so does iptables.
	MinAddr, MaxAddr netip.Addr
	// Ports is the port (or ICMP id) range; nil when no ports were given.
	Ports *PortRange
	// BasePort is DNAT's "/BASE" port shift (NF_NAT_RANGE_PROTO_OFFSET,
	// revision 2); 0 when not given.
	BasePort uint16
}

// HasAddr reports whether an address range was given.
func (r NATRange) HasAddr() bool { return r.MinAddr.IsValid() }

// SNAT is -j SNAT: rewrite the source address, in POSTROUTING or INPUT.
type SNAT struct {
	At
	To NATRange
	// Random is --random (NF_NAT_RANGE_PROTO_RANDOM).
	Random bool
	// RandomFully is --random-fully (NF_NAT_RANGE_PROTO_RANDOM_FULLY).
	RandomFully bool
	// Persistent is --persistent (NF_NAT_RANGE_PERSISTENT).
	Persistent bool
}

// DNAT is -j DNAT: rewrite the destination address, in PREROUTING or
// OUTPUT. iptables 1.8.9 has no --random-fully for DNAT.
type DNAT struct {
	At
	To         NATRange
	Random     bool
	Persistent bool
}

// Masquerade is -j MASQUERADE: SNAT to the address of the outgoing
// interface.
type Masquerade struct {
	At
	// Ports is --to-ports; nil when not given.
	Ports       *PortRange
	Random      bool
	RandomFully bool
}

// Redirect is -j REDIRECT: DNAT to the local host.
type Redirect struct {
	At
	// Ports is --to-ports; nil when not given.
	Ports  *PortRange
	Random bool
}

// Netmap is -j NETMAP --to: map a network onto another, keeping host
// bits. The kernel translates destinations in PREROUTING and OUTPUT and
// sources in POSTROUTING and INPUT.
type Netmap struct {
	At
	To netip.Prefix
}

func (*SNAT) Name() string       { return "SNAT" }
func (*DNAT) Name() string       { return "DNAT" }
func (*Masquerade) Name() string { return "MASQUERADE" }
func (*Redirect) Name() string   { return "REDIRECT" }
func (*Netmap) Name() string     { return "NETMAP" }

func (*SNAT) isTarget()       {}
func (*DNAT) isTarget()       {}
func (*Masquerade) isTarget() {}
func (*Redirect) isTarget()   {}
func (*Netmap) isTarget()     {}
