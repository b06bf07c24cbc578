package ir

import "net/netip"

// Dir says which side of a packet a condition looks at.
type Dir uint8

const (
	Src Dir = iota + 1
	Dst
	Both // multiport --ports: either side
)

func (d Dir) String() string {
	switch d {
	case Src:
		return "src"
	case Dst:
		return "dst"
	case Both:
		return "both"
	}
	return "?"
}

// PortRange is an inclusive range of ports; a single port has Lo == Hi.
type PortRange struct {
	Lo, Hi uint16
}

// Full reports whether the range covers every port.
func (p PortRange) Full() bool { return p.Lo == 0 && p.Hi == 65535 }

// Single reports whether the range is one port.
func (p PortRange) Single() bool { return p.Lo == p.Hi }

// Protocol is -p: the layer 4 protocol. Num 0 with All set is "-p all".
type Protocol struct {
	Neg bool
	All bool
	Num uint8
}

// Addr is -s or -d. Net is the network after masking. Mask is set only for
// non-contiguous masks such as /255.0.255.0, which iptables allows.
type Addr struct {
	Dir  Dir
	Neg  bool
	Net  netip.Prefix
	Mask netip.Addr
	// Host is the host name the address was resolved from, if any.
	Host string
}

// Iface is -i or -o. Name may end in "+" (any interface with that prefix).
type Iface struct {
	Dir  Dir // Src: -i (input), Dst: -o (output)
	Neg  bool
	Name string
}

// Fragment is -f: second and later fragments.
type Fragment struct {
	Neg bool
}

// TCPFlags is --tcp-flags MASK COMP (or --syn).
type TCPFlags struct {
	Neg  bool
	Mask uint8
	Comp uint8
}

// TCP is the tcp match (-m tcp, or implicit after -p tcp).
type TCP struct {
	SrcPorts, DstPorts *PortRange
	NegSrc, NegDst     bool
	Flags              *TCPFlags
	Option             *uint8 // --tcp-option N
	NegOption          bool
}

// UDP is the udp match.
type UDP struct {
	SrcPorts, DstPorts *PortRange
	NegSrc, NegDst     bool
}

// SCTPChunk is one chunk type with optional flags for --chunk-types.
type SCTPChunk struct {
	Name  string // DATA, INIT, …
	Flags string // e.g. "I" or "bE": letters as iptables takes them
}

// SCTP is the sctp match.
type SCTP struct {
	SrcPorts, DstPorts *PortRange
	NegSrc, NegDst     bool
	// ChunkMatch is "all", "any" or "only"; "" when no --chunk-types.
	ChunkMatch string
	Chunks     []SCTPChunk
	NegChunks  bool
}

// ICMP is --icmp-type (IPv4) or --icmpv6-type (IPv6), stored as the kernel
// holds it: a type and a code range. Any means every type ("any"); a type
// given without a code has the range 0-255.
type ICMP struct {
	V6      bool
	Neg     bool
	Any     bool
	Type    uint8
	CodeMin uint8
	CodeMax uint8
}

// AnyCode reports whether every code of the type matches.
func (m *ICMP) AnyCode() bool { return m.CodeMin == 0 && m.CodeMax == 255 }

// Multiport is -m multiport: up to 15 ports or ranges.
type Multiport struct {
	Dir   Dir
	Neg   bool
	Ports []PortRange
}

// Comment is -m comment. It never affects a verdict.
type Comment struct {
	Text string
}

func (*Protocol) Module() string  { return "" }
func (*Addr) Module() string      { return "" }
func (*Iface) Module() string     { return "" }
func (*Fragment) Module() string  { return "" }
func (*TCP) Module() string       { return "tcp" }
func (*UDP) Module() string       { return "udp" }
func (*SCTP) Module() string      { return "sctp" }
func (*Multiport) Module() string { return "multiport" }
func (*Comment) Module() string   { return "comment" }
func (m *ICMP) Module() string {
	if m.V6 {
		return "icmp6"
	}
	return "icmp"
}

func (*Protocol) isMatch()  {}
func (*Addr) isMatch()      {}
func (*Iface) isMatch()     {}
func (*Fragment) isMatch()  {}
func (*TCP) isMatch()       {}
func (*UDP) isMatch()       {}
func (*SCTP) isMatch()      {}
func (*ICMP) isMatch()      {}
func (*Multiport) isMatch() {}
func (*Comment) isMatch()   {}
