package ir

import (
	"net"
	"net/netip"
)

// Packet matches: conditions on link-layer, network-header and routing
// properties of a packet (mac, iprange, addrtype, pkttype, length, ttl/hl,
// tos, dscp, ecn, devgroup, cpu, cgroup, socket, realm, cluster, rpfilter,
// tcpmss, dccp). The IPv6 extension header and IPsec matches are in
// exthdr.go.

// U32Range is an inclusive range of 32-bit values (SPIs, fragment ids,
// segments left); a single value has Lo == Hi.
type U32Range struct {
	Lo, Hi uint32
}

// Full reports whether the range covers every 32-bit value.
func (r U32Range) Full() bool { return r.Lo == 0 && r.Hi == 0xffffffff }

// FullU32 is the range the kernel stores when no value is given.
var FullU32 = U32Range{Lo: 0, Hi: 0xffffffff}

// MAC is -m mac --mac-source.
type MAC struct {
	At
	Neg bool
	// Addr is the 6-byte Ethernet source address.
	Addr net.HardwareAddr
}

// AddrRange is an inclusive range of addresses of one family. iptables
// keeps a reversed range (From > To) as given; it matches nothing.
type AddrRange struct {
	From, To netip.Addr
}

// IPRange is -m iprange.
type IPRange struct {
	At
	Src, Dst       *AddrRange // nil: not given
	NegSrc, NegDst bool
}

// AddrTypes is a set of routing address types (RTN_*), as the kernel's
// addrtype match stores it: bit n is type n+... in XT_ADDRTYPE order.
type AddrTypes uint16

// AddrTypeNames lists the types in bit order with their iptables names.
var AddrTypeNames = []string{
	"UNSPEC", "UNICAST", "LOCAL", "BROADCAST", "ANYCAST", "MULTICAST",
	"BLACKHOLE", "UNREACHABLE", "PROHIBIT", "THROW", "NAT", "XRESOLVE",
}

// AddrType is -m addrtype (revision 1).
type AddrType struct {
	At
	Src, Dst       AddrTypes // 0: not given
	NegSrc, NegDst bool
	// LimitIfaceIn / LimitIfaceOut restrict the route lookup to the
	// packet's input or output device.
	LimitIfaceIn, LimitIfaceOut bool
}

// PktType is the link-layer packet class; the value is the iptables name.
type PktType string

const (
	PktUnicast   PktType = "unicast"
	PktBroadcast PktType = "broadcast"
	PktMulticast PktType = "multicast"
	PktOtherHost PktType = "otherhost"
)

// PktTypeMatch is -m pkttype.
type PktTypeMatch struct {
	At
	Neg  bool
	Type PktType
}

// Length is -m length: the layer 3 packet length. iptables keeps a
// reversed range as given; it matches nothing.
type Length struct {
	At
	Neg bool
	Min uint16
	Max uint16
}

// CmpOp is the comparison of the ttl and hl matches; the value is the
// option suffix.
type CmpOp string

const (
	CmpEq CmpOp = "eq"
	CmpLt CmpOp = "lt"
	CmpGt CmpOp = "gt"
)

func (o CmpOp) String() string { return string(o) }

// HopLimit is -m ttl (IPv4, V6 false) or -m hl (IPv6). Neg is only
// possible with CmpEq ("! --ttl-eq", kept by the kernel as "ne").
type HopLimit struct {
	At
	V6    bool
	Op    CmpOp
	Neg   bool
	Value uint8
}

// TOSMatch is -m tos: (tos & Mask) == Value. A symbolic name gives mask 0x3f.
type TOSMatch struct {
	At
	Neg   bool
	Value uint8
	Mask  uint8
}

// DSCPMatch is -m dscp (--dscp or --dscp-class, both stored as the value).
type DSCPMatch struct {
	At
	Neg   bool
	Value uint8 // 0-63
}

// ECNMatch is -m ecn. Each part is tested only when its flag is set.
type ECNMatch struct {
	At
	CWR, ECE, IP          bool
	NegCWR, NegECE, NegIP bool
	// ECT is the IP ECNMatch codepoint 0-3 for IP.
	ECT uint8
}

// GroupMask is a device group compared under a mask.
type GroupMask struct {
	Value, Mask uint32
}

// DevGroup is -m devgroup.
type DevGroup struct {
	At
	Src, Dst       *GroupMask
	NegSrc, NegDst bool
}

// CPU is -m cpu.
type CPU struct {
	At
	Neg bool
	CPU uint32
}

// NFAcct is -m nfacct: it always matches, and counts the packet in the
// nfnetlink_acct object Name (made with the nfacct tool; the kernel
// refuses the rule while no such object exists).
type NFAcct struct {
	At
	Name string
}

// Cgroup is -m cgroup: a cgroup v2 path (revision 1/2) or a net_cls
// classid.
type Cgroup struct {
	At
	Path                string // "" when not given
	ClassID             *uint32
	NegPath, NegClassID bool
}

// Socket is -m socket (revision 3 flags).
type Socket struct {
	At
	Transparent   bool
	NoWildcard    bool
	RestoreSkMark bool
}

// Realm is -m realm: (realm & Mask) == ID. IPv4 only.
type Realm struct {
	At
	Neg  bool
	ID   uint32
	Mask uint32
}

// Cluster is -m cluster. NodeMask has bit n set for node n+1;
// --cluster-local-node N is stored as the mask 1<<(N-1).
type Cluster struct {
	At
	Neg        bool
	TotalNodes uint32
	NodeMask   uint32
	HashSeed   uint32
}

// RPFilter is -m rpfilter.
type RPFilter struct {
	At
	Loose, ValidMark, AcceptLocal, Invert bool
}

// TCPMSSMatch is -m tcpmss --mss.
type TCPMSSMatch struct {
	At
	Neg      bool
	Min, Max uint16
}

// DCCPTypes is a set of DCCP packet types: bit n is type n, and INVALID
// (types 10-15) is bit 10.
type DCCPTypes uint16

// DCCPTypeNames lists the types in bit order with their iptables names.
var DCCPTypeNames = []string{
	"REQUEST", "RESPONSE", "DATA", "ACK", "DATAACK", "CLOSEREQ", "CLOSE",
	"RESET", "SYNC", "SYNCACK", "INVALID",
}

// DCCP is the dccp match.
type DCCP struct {
	At
	SrcPorts, DstPorts *PortRange
	NegSrc, NegDst     bool
	Types              DCCPTypes // 0: not given
	NegTypes           bool
	Option             *uint8
	NegOption          bool
}

func (*MAC) isMatch()          {}
func (*IPRange) isMatch()      {}
func (*AddrType) isMatch()     {}
func (*PktTypeMatch) isMatch() {}
func (*Length) isMatch()       {}
func (*HopLimit) isMatch()     {}
func (*TOSMatch) isMatch()     {}
func (*DSCPMatch) isMatch()    {}
func (*ECNMatch) isMatch()     {}
func (*DevGroup) isMatch()     {}
func (*CPU) isMatch()          {}
func (*NFAcct) isMatch()       {}
func (*Cgroup) isMatch()       {}
func (*Socket) isMatch()       {}
func (*Realm) isMatch()        {}
func (*Cluster) isMatch()      {}
func (*RPFilter) isMatch()     {}
func (*TCPMSSMatch) isMatch()  {}
func (*DCCP) isMatch()         {}

// NFProto is the family of the packet (nft's "meta nfproto"). Only a rule
// of an inet table has it: the pass that merges an IPv4 and an IPv6 table
// into one inet table (passes.MergeInet) starts each rule of one family
// with it.
type NFProto struct {
	At
	Family Family
}

func (*NFProto) isMatch() {}
