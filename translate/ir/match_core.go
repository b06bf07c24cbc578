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
	At
	Neg bool
	All bool
	Num uint8
}

// Addr is -s or -d. Net is the network after masking. Mask is set only for
// non-contiguous masks such as /255.0.255.0, which iptables allows.
type Addr struct {
	At
	Dir  Dir
	Neg  bool
	Net  netip.Prefix
	Mask netip.Addr
	// Host is the host name the address was resolved from, if any.
	Host string
}

// Iface is -i or -o. Name may end in "+" (any interface with that prefix).
type Iface struct {
	At
	Dir  Dir // Src: -i (input), Dst: -o (output)
	Neg  bool
	Name string
}

// Fragment is -f: second and later fragments.
type Fragment struct {
	At
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
	At
	SrcPorts, DstPorts *PortRange
	NegSrc, NegDst     bool
	Flags              *TCPFlags
	Option             *uint8 // --tcp-option N
	NegOption          bool
}

// UDP is the udp match.
type UDP struct {
	At
	SrcPorts, DstPorts *PortRange
	NegSrc, NegDst     bool
}

// SCTPChunkType is a chunk type name of --chunk-types as libxt_sctp
// spells it (upper case), plus the pseudo-names ALL and NONE, which stand
// alone.
type SCTPChunkType string

const (
	ChunkData             SCTPChunkType = "DATA"
	ChunkInit             SCTPChunkType = "INIT"
	ChunkInitAck          SCTPChunkType = "INIT_ACK"
	ChunkSack             SCTPChunkType = "SACK"
	ChunkHeartbeat        SCTPChunkType = "HEARTBEAT"
	ChunkHeartbeatAck     SCTPChunkType = "HEARTBEAT_ACK"
	ChunkAbort            SCTPChunkType = "ABORT"
	ChunkShutdown         SCTPChunkType = "SHUTDOWN"
	ChunkShutdownAck      SCTPChunkType = "SHUTDOWN_ACK"
	ChunkError            SCTPChunkType = "ERROR"
	ChunkCookieEcho       SCTPChunkType = "COOKIE_ECHO"
	ChunkCookieAck        SCTPChunkType = "COOKIE_ACK"
	ChunkECNEcne          SCTPChunkType = "ECN_ECNE"
	ChunkECNCwr           SCTPChunkType = "ECN_CWR"
	ChunkShutdownComplete SCTPChunkType = "SHUTDOWN_COMPLETE"
	ChunkIData            SCTPChunkType = "I_DATA"
	ChunkReConfig         SCTPChunkType = "RE_CONFIG"
	ChunkPad              SCTPChunkType = "PAD"
	ChunkAsconf           SCTPChunkType = "ASCONF"
	ChunkAsconfAck        SCTPChunkType = "ASCONF_ACK"
	ChunkForwardTSN       SCTPChunkType = "FORWARD_TSN"
	ChunkIForwardTSN      SCTPChunkType = "I_FORWARD_TSN"
	ChunkAll              SCTPChunkType = "ALL"
	ChunkNone             SCTPChunkType = "NONE"
)

func (c SCTPChunkType) String() string { return string(c) }

// SCTPChunkFlags is the flag test of one chunk as xt_sctp stores it: the
// chunk's flag bits in Mask must equal those in Value. Mask 0: no test.
type SCTPChunkFlags struct {
	Mask, Value uint8
}

// SCTPFlagLetters are libxt_sctp's flag letters of each chunk type from
// bit 7 down to bit 0; '-' is a letter too (iptables takes "DATA:-" as
// "bit 7 clear"). Types not listed take only '-'.
var SCTPFlagLetters = map[SCTPChunkType]string{
	ChunkData: "----IUBE", ChunkIData: "----IUBE", ChunkAbort: "-------T", ChunkShutdownComplete: "-------T",
}

// SCTPChunk is one chunk type with optional flags for --chunk-types.
type SCTPChunk struct {
	Name  SCTPChunkType
	Flags SCTPChunkFlags
}

// FlagLetters spells the flag test as iptables-save does: from bit 7
// down, upper case for a flag that must be set, lower case for one that
// must be clear; "" without a test.
func (c SCTPChunk) FlagLetters() string {
	valid, ok := SCTPFlagLetters[c.Name]
	if !ok {
		valid = "--------"
	}
	var b []byte
	for i := 7; i >= 0; i-- {
		if c.Flags.Mask&(1<<i) == 0 {
			continue
		}
		l := valid[7-i]
		if c.Flags.Value&(1<<i) == 0 && l >= 'A' && l <= 'Z' {
			l += 'a' - 'A'
		}
		b = append(b, l)
	}
	return string(b)
}

// SCTPChunkMatch is how --chunk-types combines its chunks; the value is
// the iptables keyword.
type SCTPChunkMatch string

const (
	ChunkMatchAll  SCTPChunkMatch = "all"
	ChunkMatchAny  SCTPChunkMatch = "any"
	ChunkMatchOnly SCTPChunkMatch = "only"
)

func (c SCTPChunkMatch) String() string { return string(c) }

// SCTP is the sctp match.
type SCTP struct {
	At
	SrcPorts, DstPorts *PortRange
	NegSrc, NegDst     bool
	// ChunkMatch is "" when no --chunk-types.
	ChunkMatch SCTPChunkMatch
	Chunks     []SCTPChunk
	NegChunks  bool
}

// ICMP is --icmp-type (IPv4) or --icmpv6-type (IPv6), stored as the kernel
// holds it: a type and a code range. Any means every type ("any"); a type
// given without a code has the range 0-255.
type ICMP struct {
	At
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
	At
	Dir   Dir
	Neg   bool
	Ports []PortRange
}

// Comment is -m comment. It never affects a verdict.
type Comment struct {
	At
	Text string
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
