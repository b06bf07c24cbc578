package ir

import "net/netip"

// Packet-mangling and miscellaneous targets: TCPMSS, CHECKSUM, TPROXY, TTL,
// HL, DSCP, TOS, CLASSIFY, NFQUEUE, AUDIT, TRACE, SYNPROXY, TEE and SET.

// TCPMSS is -j TCPMSS: lower the MSS option of TCP SYN packets.
type TCPMSS struct {
	At
	// ClampPMTU is --clamp-mss-to-pmtu (the kernel stores MSS 0xffff).
	ClampPMTU bool
	// MSS is --set-mss; unused with ClampPMTU.
	MSS uint16
}

// Checksum is -j CHECKSUM --checksum-fill: compute a missing checksum.
type Checksum struct{ At }

// TProxy is -j TPROXY (revision 1).
type TProxy struct {
	At
	// Port is --on-port; 0 keeps the packet's destination port.
	Port uint16
	// Addr is --on-ip; invalid (or unspecified) keeps the destination.
	Addr netip.Addr
	// Mark and Mask are --tproxy-mark VALUE[/MASK]: the packet mark becomes
	// (mark & ^Mask) ^ Mark. Mask 0 leaves the mark alone.
	Mark, Mask uint32
}

// HopOp is how TTL and HL change the field; the value is the option's
// middle word (--ttl-set, --hl-inc, …).
type HopOp string

const (
	HopSet HopOp = "set"
	HopInc HopOp = "inc"
	HopDec HopOp = "dec"
)

// TTL is -j TTL (IPv4).
type TTL struct {
	At
	Op    HopOp
	Value uint8
}

// HL is -j HL (IPv6 hop limit).
type HL struct {
	At
	Op    HopOp
	Value uint8
}

// DSCP is -j DSCP: set the 6-bit DSCP field (--set-dscp-class is stored
// as its value).
type DSCP struct {
	At
	Value uint8
}

// TOS is -j TOS (revision 1): the TOS byte becomes (tos & ^Mask) ^ Value.
// --and-tos, --or-tos and --xor-tos are stored in this form, as the kernel
// does.
type TOS struct {
	At
	Value, Mask uint8
}

// Classify is -j CLASSIFY --set-class MAJOR:MINOR (skb->priority).
type Classify struct {
	At
	Major, Minor uint16
}

// NFQueue is -j NFQUEUE.
type NFQueue struct {
	At
	// Num is --queue-num, or the first queue of --queue-balance.
	Num uint16
	// Last is the last queue of --queue-balance; 0 when not balancing.
	Last uint16
	// Balance is set for --queue-balance.
	Balance   bool
	Bypass    bool
	CPUFanout bool
}

// AuditType is AUDIT --type; the value is the iptables keyword.
type AuditType string

const (
	AuditAccept AuditType = "accept"
	AuditDrop   AuditType = "drop"
	AuditReject AuditType = "reject"
)

// Audit is -j AUDIT.
type Audit struct {
	At
	Type AuditType
}

// Trace is -j TRACE (raw table).
type Trace struct{ At }

// SynProxy is -j SYNPROXY.
type SynProxy struct {
	At
	SACKPerm  bool
	Timestamp bool
	// WScale and MSS are set only when given (the kernel keeps a flag).
	WScale *uint8
	MSS    *uint16
}

// Tee is -j TEE: clone the packet to a gateway.
type Tee struct {
	At
	Gateway netip.Addr
	// OIF is --oif; "" when not given.
	OIF string
}

// SetDir is one direction flag of an ipset reference.
type SetDir string

const (
	SetSrc SetDir = "src"
	SetDst SetDir = "dst"
)

// SetTargetRef names an ipset and the packet fields it is keyed on.
type SetTargetRef struct {
	Name  string
	Flags []SetDir
}

// SetTarget is -j SET (revision 3 without --map-set).
type SetTarget struct {
	At
	Add, Del *SetTargetRef
	// Exist is --exist: refresh the timeout of an existing entry.
	Exist bool
	// Timeout is --timeout in seconds; nil when not given.
	Timeout *uint32
}

func (*TCPMSS) Name() string    { return "TCPMSS" }
func (*Checksum) Name() string  { return "CHECKSUM" }
func (*TProxy) Name() string    { return "TPROXY" }
func (*TTL) Name() string       { return "TTL" }
func (*HL) Name() string        { return "HL" }
func (*DSCP) Name() string      { return "DSCP" }
func (*TOS) Name() string       { return "TOS" }
func (*Classify) Name() string  { return "CLASSIFY" }
func (*NFQueue) Name() string   { return "NFQUEUE" }
func (*Audit) Name() string     { return "AUDIT" }
func (*Trace) Name() string     { return "TRACE" }
func (*SynProxy) Name() string  { return "SYNPROXY" }
func (*Tee) Name() string       { return "TEE" }
func (*SetTarget) Name() string { return "SET" }

func (*TCPMSS) isTarget()    {}
func (*Checksum) isTarget()  {}
func (*TProxy) isTarget()    {}
func (*TTL) isTarget()       {}
func (*HL) isTarget()        {}
func (*DSCP) isTarget()      {}
func (*TOS) isTarget()       {}
func (*Classify) isTarget()  {}
func (*NFQueue) isTarget()   {}
func (*Audit) isTarget()     {}
func (*Trace) isTarget()     {}
func (*SynProxy) isTarget()  {}
func (*Tee) isTarget()       {}
func (*SetTarget) isTarget() {}
