package ir

// Verdict is a terminal built-in target: ACCEPT, DROP or RETURN.
type Verdict struct {
	Kind VerdictKind
}

// VerdictKind enumerates the built-in verdicts; the value is the iptables name.
type VerdictKind string

const (
	Accept VerdictKind = "ACCEPT"
	Drop   VerdictKind = "DROP"
	Return VerdictKind = "RETURN"
)

// Jump is -j CHAIN or, with Goto, -g CHAIN.
type Jump struct {
	Chain string
	Goto  bool
}

// Reject is -j REJECT. With is the iptables --reject-with name in its
// canonical long form (icmp-port-unreachable, tcp-reset, icmp6-adm-prohibited…).
type Reject struct {
	With string
}

// Log is -j LOG.
type Log struct {
	Prefix string
	// Level is the syslog level 0-7; -1 when not given (the kernel uses 4).
	Level       int
	TCPSequence bool
	TCPOptions  bool
	IPOptions   bool
	UID         bool
	MACDecode   bool
}

// NFLog is -j NFLOG.
type NFLog struct {
	Group     uint16
	Prefix    string
	Range     uint32 // --nflog-range / --nflog-size: 0 when unset
	SizeSet   bool   // --nflog-size given (as opposed to --nflog-range)
	Threshold uint16 // 0 when unset
}

func (t *Verdict) Name() string { return string(t.Kind) }
func (t *Jump) Name() string    { return t.Chain }
func (*Reject) Name() string    { return "REJECT" }
func (*Log) Name() string       { return "LOG" }
func (*NFLog) Name() string     { return "NFLOG" }

func (*Verdict) isTarget() {}
func (*Jump) isTarget()    {}
func (*Reject) isTarget()  {}
func (*Log) isTarget()     {}
func (*NFLog) isTarget()   {}
