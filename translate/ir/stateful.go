package ir

import "net/netip"

// Stateful and miscellaneous matches: rate limits (limit, hashlimit),
// address lists (recent, set), socket owner, payload (string, u32), time,
// statistic, quota, IPsec policy and bridge ports (physdev). Each struct
// holds what the kernel stores, so iptables output reproduces the rule.

// LimitScale is XT_LIMIT_SCALE: limit's Avg counts 1/10000 s per packet.
const LimitScale = 10000

// Limit is -m limit. Avg is the kernel's average interval between packets
// in 1/LimitScale seconds (--limit 3/hour is 12000000); Burst the bucket
// size. The defaults are 3/hour and 5.
type Limit struct {
	At
	Avg   uint32
	Burst uint32
}

// RateUnit is one unit iptables prints rates in.
type RateUnit struct {
	Name string // "sec", "min", "hour", "day": the iptables-save word
	Secs uint64
}

// RateUnits lists units largest first, as iptables' print_rate scans them.
var RateUnits = []RateUnit{{"day", 86400}, {"hour", 3600}, {"min", 60}, {"sec", 1}}

// ScaledRate turns an average interval (in 1/scale seconds) back into the
// "N/unit" iptables prints: the largest unit that keeps N exact enough.
func ScaledRate(avg, scale uint64) (uint64, RateUnit) {
	if avg == 0 {
		return 0, RateUnits[3]
	}
	i := 1
	for ; i < len(RateUnits); i++ {
		mult := scale * RateUnits[i].Secs
		if avg > mult || mult/avg < mult%avg {
			break
		}
	}
	u := RateUnits[i-1]
	return scale * u.Secs / avg, u
}

// Rate returns the rate as iptables-save prints it.
func (m *Limit) Rate() (uint64, RateUnit) { return ScaledRate(uint64(m.Avg), LimitScale) }

// HashlimitScale is XT_HASHLIMIT_SCALE_v2 (revision 3 of the match).
const HashlimitScale = 1000000

// HashMode is hashlimit's --hashlimit-mode bit set (XT_HASHLIMIT_HASH_*).
type HashMode uint8

const (
	HashDstIP   HashMode = 1 << 0
	HashDstPort HashMode = 1 << 1
	HashSrcIP   HashMode = 1 << 2
	HashSrcPort HashMode = 1 << 3
)

// Hashlimit is -m hashlimit (revision 3), as the kernel stores it.
type Hashlimit struct {
	At
	Name  string // --hashlimit-name
	Above bool   // --hashlimit-above (or ! --hashlimit-upto)
	// Bytes: the rate is in bytes; Avg is then a cost (XT_HASHLIMIT_BYTES).
	Bytes bool
	// Avg is the interval between packets in 1/HashlimitScale seconds,
	// or in byte mode the kernel's per-byte cost.
	Avg uint64
	// Burst is packets, or in byte mode a multiple of the rate's bytes
	// (0: none).
	Burst      uint64
	Mode       HashMode
	SrcMask    uint8 // prefix length; 32 or 128 when not given
	DstMask    uint8
	Size, Max  uint32 // --hashlimit-htable-size/-max, 0 = kernel default
	GCInterval uint32 // ms, default 1000
	Expire     uint32 // ms
	RateMatch  bool   // --hashlimit-rate-match
	Interval   uint32 // --hashlimit-rate-interval, seconds (rate-match only)
}

// RecentCmd is the one command of a recent match.
type RecentCmd string

const (
	RecentSet    RecentCmd = "set"
	RecentCheck  RecentCmd = "rcheck"
	RecentUpdate RecentCmd = "update"
	RecentRemove RecentCmd = "remove"
)

// Recent is -m recent (revision 1).
type Recent struct {
	At
	Cmd      RecentCmd
	Neg      bool
	Seconds  uint32 // 0: not given
	Reap     bool
	HitCount uint32 // 0: not given
	TTL      bool   // --rttl
	Name     string // "DEFAULT" when not given
	Mask     netip.Addr
	Dest     bool // --rdest (default --rsource)
}

// IDRange is an inclusive uid or gid range.
type IDRange struct {
	Min, Max uint32
	// Name is the user or group name the range was given as, if any.
	Name string
}

// Owner is -m owner (revision 1).
type Owner struct {
	At
	UID, GID       *IDRange
	NegUID, NegGID bool
	SocketExists   bool
	NegSocket      bool
	SupplGroups    bool
}

// SetMatch is -m set --match-set NAME FLAGS (revision 4 options).
type SetMatch struct {
	At
	Neg  bool
	Name string
	// Dirs holds one entry per FLAGS element: Src or Dst.
	Dirs []Dir
	// ReturnNomatch, NoUpdateCounters, NoUpdateSubCounters are the flags.
	ReturnNomatch       bool
	NoUpdateCounters    bool
	NoUpdateSubCounters bool
	// Counter conditions (--packets-eq/lt/gt, --bytes-…); "" when not
	// given, negated for "ne".
	PacketsOp, BytesOp   CmpOp
	NegPackets, NegBytes bool
	Packets, Bytes       uint64
}

// StringAlgo is the search algorithm of -m string; the value is the
// iptables --algo keyword.
type StringAlgo string

const (
	AlgoBM  StringAlgo = "bm"
	AlgoKMP StringAlgo = "kmp"
)

func (a StringAlgo) String() string { return string(a) }

// String is -m string.
type String struct {
	At
	Neg     bool
	Algo    StringAlgo
	Pattern []byte
	// Hex: print as --hex-string (iptables decides from the bytes).
	From, To uint16 // To is 65535 when not given
	ICase    bool
}

// U32 is -m u32, kept as the expression text given.
type U32 struct {
	At
	Neg  bool
	Expr string
}

// Time is -m time, as xt_time_info holds it (UTC unless KernelTZ).
type Time struct {
	At
	DateStart, DateStop uint32 // seconds since 1970; 0 and 2^31-1 by default
	// DaytimeStart/Stop are seconds since midnight; 0 and 86399 by default.
	DaytimeStart, DaytimeStop uint32
	// Weekdays has bit i set for day i (1 Monday … 7 Sunday); 0xFE all.
	Weekdays uint8
	// Monthdays has bit i set for day i (1…31); 0xFFFFFFFE all.
	Monthdays  uint32
	KernelTZ   bool
	Contiguous bool
}

// Time defaults as xt_time stores them.
const (
	TimeAllWeekdays  = 0xFE
	TimeAllMonthdays = 0xFFFFFFFE
	TimeMaxDaytime   = 86399
	TimeMaxDate      = 1<<31 - 1
)

// Statistic is -m statistic.
type Statistic struct {
	At
	Neg bool
	// Nth selects --mode nth; otherwise random.
	Nth bool
	// Probability is the kernel's 31-bit threshold: lround(p * 2^31).
	Probability uint32
	Every       uint32 // --every N is stored as N-1
	Packet      uint32
}

// Quota is -m quota.
type Quota struct {
	At
	Neg   bool
	Bytes uint64
}

// PolicyMode is --mode of -m policy; the value is the iptables keyword.
type PolicyMode string

const (
	PolicyTransport PolicyMode = "transport"
	PolicyTunnel    PolicyMode = "tunnel"
)

func (m PolicyMode) String() string { return string(m) }

// PolicyElem is one element of -m policy (separated by --next).
type PolicyElem struct {
	ReqID, SPI                 *uint32
	NegReqID, NegSPI           bool
	Proto                      *uint8 // ah 51, esp 50, ipcomp 108
	NegProto                   bool
	Mode                       PolicyMode // "" when not given
	NegMode                    bool
	TunnelSrc, TunnelDst       *netip.Prefix
	NegTunnelSrc, NegTunnelDst bool
}

// IPsecPolicy is -m policy.
type IPsecPolicy struct {
	At
	Out    bool // --dir out (else in)
	IPsec  bool // --pol ipsec (else none)
	Strict bool
	Elems  []PolicyElem
}

// Physdev is -m physdev.
type Physdev struct {
	At
	In, Out                         string // "" when not given
	NegIn, NegOut                   bool
	IsIn, IsOut, IsBridged          bool
	NegIsIn, NegIsOut, NegIsBridged bool
}

func (*Limit) isMatch()       {}
func (*Hashlimit) isMatch()   {}
func (*Recent) isMatch()      {}
func (*Owner) isMatch()       {}
func (*SetMatch) isMatch()    {}
func (*String) isMatch()      {}
func (*U32) isMatch()         {}
func (*Time) isMatch()        {}
func (*Statistic) isMatch()   {}
func (*Quota) isMatch()       {}
func (*IPsecPolicy) isMatch() {}
func (*Physdev) isMatch()     {}
