package ir

import (
	"net/netip"
	"strings"
)

// Connection tracking and packet/connection marks: the state, conntrack,
// mark, connmark, helper, connlimit, connbytes and connlabel matches and
// the MARK, CONNMARK, CT and NOTRACK targets.

// CtState is a set of conntrack states, with the bits the kernel's
// xt_conntrack stores (XT_CONNTRACK_STATE_*).
type CtState uint16

const (
	CtInvalid     CtState = 1 << 0
	CtEstablished CtState = 1 << 1 // XT_CONNTRACK_STATE_BIT(IP_CT_ESTABLISHED)
	CtRelated     CtState = 1 << 2
	CtNew         CtState = 1 << 3
	CtSNAT        CtState = 1 << 6 // conntrack only, not the state match
	CtDNAT        CtState = 1 << 7
	CtUntracked   CtState = 1 << 8
)

// CtStateOrder lists the states in the order iptables-save prints them,
// with their iptables names.
var CtStateOrder = []struct {
	Bit  CtState
	Name string
}{
	{CtInvalid, "INVALID"}, {CtNew, "NEW"}, {CtRelated, "RELATED"}, {CtEstablished, "ESTABLISHED"},
	{CtUntracked, "UNTRACKED"}, {CtSNAT, "SNAT"}, {CtDNAT, "DNAT"},
}

// CtStatus is a set of conntrack status bits (IPS_*); 0 is iptables' NONE.
type CtStatus uint32

const (
	CtExpected  CtStatus = 1 << 0
	CtSeenReply CtStatus = 1 << 1
	CtAssured   CtStatus = 1 << 2
	CtConfirmed CtStatus = 1 << 3
)

// CtStatusOrder lists the status bits in iptables-save order.
var CtStatusOrder = []struct {
	Bit  CtStatus
	Name string
}{
	{CtExpected, "EXPECTED"}, {CtSeenReply, "SEEN_REPLY"}, {CtAssured, "ASSURED"}, {CtConfirmed, "CONFIRMED"},
}

// State is -m state --state. The kernel stores it as conntrack with an
// alias flag, and iptables-save prints it back as "-m state", so it is a
// kind of its own.
type State struct {
	At
	Neg    bool
	States CtState
}

// CtAddr is one --ctorigsrc/--ctorigdst/--ctreplsrc/--ctrepldst condition.
// Addr is kept as given, unmasked: the kernel masks when it compares, and
// iptables-save prints the address as stored.
type CtAddr struct {
	Neg  bool
	Addr netip.Addr
	Bits int // prefix length of the mask
}

// CtPorts is one --ct{orig,repl}{src,dst}port condition. Lo > Hi is kept as
// given: iptables stores a reversed range, which matches no port.
type CtPorts struct {
	Neg    bool
	Lo, Hi uint16
}

// CtExpire is --ctexpire: remaining lifetime in seconds, inclusive; a
// reversed range is kept as given, like CtPorts.
type CtExpire struct {
	Neg      bool
	Min, Max uint32
}

// CtProto is --ctproto: the layer 4 protocol number of the connection.
type CtProto struct {
	Neg bool
	Num uint8
}

// CtDir is --ctdir; its value is the iptables keyword.
type CtDir string

const (
	CtOriginal CtDir = "ORIGINAL"
	CtReply    CtDir = "REPLY"
)

// Conntrack is -m conntrack (revision 3). Each nil pointer is an option not
// given.
type Conntrack struct {
	At
	State                    *State // Neg and the states of --ctstate
	Proto                    *CtProto
	OrigSrc, OrigDst         *CtAddr
	ReplSrc, ReplDst         *CtAddr
	OrigSrcPort, OrigDstPort *CtPorts
	ReplSrcPort, ReplDstPort *CtPorts
	// Status holds --ctstatus; StatusSet tells it was given (0 is NONE).
	Status    CtStatus
	StatusSet bool
	NegStatus bool
	Expire    *CtExpire
	Dir       CtDir // "" when --ctdir is not given
}

// Mark is -m mark --mark value[/mask]: (nfmark & Mask) == Value.
type Mark struct {
	At
	Neg         bool
	Value, Mask uint32
}

// ConnMark is -m connmark --mark value[/mask] on the conntrack mark.
type ConnMark struct {
	At
	Neg         bool
	Value, Mask uint32
}

// Helper is -m helper --helper NAME; "" matches connections with any helper.
type Helper struct {
	At
	Neg  bool
	Name string
}

// ConnLimit is -m connlimit. Upto is the kernel's invert flag: the match
// holds when the count is at most Limit (--connlimit-upto, or
// "! --connlimit-above"), otherwise when it is above Limit.
type ConnLimit struct {
	At
	Limit uint32
	Upto  bool
	// Bits is the prefix length of --connlimit-mask (32 or 128 by default).
	Bits  int
	DAddr bool // --connlimit-daddr: group by destination
}

// ConnBytesDir and ConnBytesMode are --connbytes-dir and --connbytes-mode;
// the values are the iptables keywords.
type ConnBytesDir string
type ConnBytesMode string

const (
	ConnBytesOriginal ConnBytesDir  = "original"
	ConnBytesReply    ConnBytesDir  = "reply"
	ConnBytesBoth     ConnBytesDir  = "both"
	ConnBytesPackets  ConnBytesMode = "packets"
	ConnBytesBytes    ConnBytesMode = "bytes"
	ConnBytesAvgPkt   ConnBytesMode = "avgpkt"
)

// ConnBytes is -m connbytes. From..To is inclusive; To is MaxUint64 when
// open ("N" or "N:").
type ConnBytes struct {
	At
	Neg      bool
	From, To uint64
	Dir      ConnBytesDir
	Mode     ConnBytesMode
}

// ConnLabel is -m connlabel --label BIT [--set].
type ConnLabel struct {
	At
	Neg bool
	Bit uint8 // 0-127
	Set bool  // --set: set the label if it is not set yet
}

// MarkOp is the option a mark target was written with. The kernel only
// stores Value and Mask; the op is kept to render the nicest equivalent.
type MarkOp string

const (
	MarkSetX MarkOp = "set-xmark"
	MarkSet  MarkOp = "set-mark"
	MarkAnd  MarkOp = "and-mark"
	MarkOr   MarkOp = "or-mark"
	MarkXor  MarkOp = "xor-mark"
)

// MarkTarget is -j MARK (revision 2): nfmark = (nfmark & ^Mask) ^ Value.
type MarkTarget struct {
	At
	Op          MarkOp
	Value, Mask uint32
}

// ConnMarkMode is what CONNMARK does; the value is the save keyword.
type ConnMarkMode string

const (
	ConnMarkSet     ConnMarkMode = "set-xmark"
	ConnMarkSave    ConnMarkMode = "save-mark"
	ConnMarkRestore ConnMarkMode = "restore-mark"
)

// ConnMarkTarget is -j CONNMARK (revision 2). For ConnMarkSet:
// ctmark = ((ctmark & ^CtMask) ^ Value) shifted. For save:
// ctmark = (ctmark & ^CtMask) ^ ((nfmark & NfMask) shifted); restore is the
// same the other way round.
type ConnMarkTarget struct {
	At
	Mode   ConnMarkMode
	Op     MarkOp // how a set was written (for rendering only)
	Value  uint32
	CtMask uint32
	NfMask uint32
	// Shift is the shift in bits (0-32); ShiftRight picks the direction.
	Shift      uint8
	ShiftRight bool
}

// CtEvents is CT --ctevents as the kernel's bit set (IPCT_* order).
type CtEvents uint16

const (
	CtEventNew CtEvents = 1 << iota
	CtEventRelated
	CtEventDestroy
	CtEventReply
	CtEventAssured
	CtEventProtoinfo
	CtEventHelper
	CtEventMark
	CtEventNatseqinfo
	CtEventSecmark
)

// CtEventNames are the iptables names of the events, in bit order (which
// is also the order iptables-save prints them in).
var CtEventNames = []string{"new", "related", "destroy", "reply", "assured", "protoinfo", "helper", "mark", "natseqinfo", "secmark"}

// Names lists the events of the set in iptables-save order.
func (e CtEvents) Names() []string { return bitNames(uint32(e), CtEventNames) }

func (e CtEvents) String() string { return strings.Join(e.Names(), ",") }

// ExpEvents is CT --expevents (IPEXP_*): only "new" exists.
type ExpEvents uint8

const ExpEventNew ExpEvents = 1

// ExpEventNames are the iptables names of the expectation events.
var ExpEventNames = []string{"new"}

// Names lists the events of the set in iptables-save order.
func (e ExpEvents) Names() []string { return bitNames(uint32(e), ExpEventNames) }

func (e ExpEvents) String() string { return strings.Join(e.Names(), ",") }

func bitNames(bits uint32, names []string) []string {
	var out []string
	for i, n := range names {
		if bits&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return out
}

// CtTarget is -j CT (revision 2) and, with Alias, -j NOTRACK, which the
// kernel stores as CT --notrack with an alias flag.
type CtTarget struct {
	At
	Alias   bool // written as NOTRACK
	NoTrack bool
	// Helper is the conntrack helper's name as the kernel registers it
	// (ftp, sip, "Q.931", …). It stays a string: the set is open, since
	// any loaded kernel module or user-space helper (nfct) adds names.
	Helper string
	// Timeout names a timeout policy the administrator created with
	// "nfct add timeout NAME": a user's name, not a closed set.
	Timeout string
	// CtEvents and ExpEvents are the events reported (0: option not given).
	CtEvents  CtEvents
	ExpEvents ExpEvents
	Zone      uint16
	ZoneMark  bool // zone taken from the packet mark
	ZoneOrig  bool // --zone-orig given (alone: original direction only)
	ZoneReply bool
}

func (*State) isMatch()     {}
func (*Conntrack) isMatch() {}
func (*Mark) isMatch()      {}
func (*ConnMark) isMatch()  {}
func (*Helper) isMatch()    {}
func (*ConnLimit) isMatch() {}
func (*ConnBytes) isMatch() {}
func (*ConnLabel) isMatch() {}

func (*MarkTarget) Name() string     { return "MARK" }
func (*ConnMarkTarget) Name() string { return "CONNMARK" }
func (t *CtTarget) Name() string {
	if t.Alias {
		return "NOTRACK"
	}
	return "CT"
}

func (*MarkTarget) isTarget()     {}
func (*ConnMarkTarget) isTarget() {}
func (*CtTarget) isTarget()       {}
