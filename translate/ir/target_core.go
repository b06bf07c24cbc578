package ir

// Verdict is a terminal built-in target: ACCEPT, DROP or RETURN.
type Verdict struct {
	At
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
	At
	Chain string
	Goto  bool
}

// RejectWith is the reply REJECT sends; the value is iptables'
// --reject-with name in its canonical long form.
type RejectWith string

const (
	RejectNetUnreach   RejectWith = "icmp-net-unreachable"
	RejectHostUnreach  RejectWith = "icmp-host-unreachable"
	RejectPortUnreach  RejectWith = "icmp-port-unreachable"
	RejectProtoUnreach RejectWith = "icmp-proto-unreachable"
	RejectNetProhib    RejectWith = "icmp-net-prohibited"
	RejectHostProhib   RejectWith = "icmp-host-prohibited"
	RejectAdminProhib  RejectWith = "icmp-admin-prohibited"
	RejectTCPReset     RejectWith = "tcp-reset"
	Reject6NoRoute     RejectWith = "icmp6-no-route"
	Reject6AdmProhib   RejectWith = "icmp6-adm-prohibited"
	Reject6AddrUnreach RejectWith = "icmp6-addr-unreachable"
	Reject6PortUnreach RejectWith = "icmp6-port-unreachable"
	Reject6PolicyFail  RejectWith = "icmp6-policy-fail"
	Reject6RejectRoute RejectWith = "icmp6-reject-route"
)

func (w RejectWith) String() string { return string(w) }

// Reject is -j REJECT.
type Reject struct {
	At
	With RejectWith
}

// LogLevel is a syslog level, with an explicit "not given". The syslog
// number is Level-1 (Num).
type LogLevel uint8

const (
	LogLevelUnset LogLevel = iota
	LogEmerg
	LogAlert
	LogCrit
	LogErr
	LogWarning
	LogNotice
	LogInfo
	LogDebug
)

var logLevelNames = [...]string{"", "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"}

// LogLevelOf returns the level of syslog number n (0-7).
func LogLevelOf(n int) LogLevel {
	if n < 0 || n > 7 {
		return LogLevelUnset
	}
	return LogLevel(n + 1)
}

// IsSet reports whether a level was given.
func (l LogLevel) IsSet() bool { return l != LogLevelUnset && int(l) < len(logLevelNames) }

// Num is the syslog number 0-7 that iptables prints; -1 when unset.
func (l LogLevel) Num() int {
	if !l.IsSet() {
		return -1
	}
	return int(l) - 1
}

// String is the syslog name (warning, info, …); "" when unset.
func (l LogLevel) String() string {
	if int(l) < len(logLevelNames) {
		return logLevelNames[l]
	}
	return "unknown"
}

// Log is -j LOG.
type Log struct {
	At
	Prefix string
	// Level is the syslog level; LogLevelUnset when not given (the kernel
	// then logs at warning).
	Level       LogLevel
	TCPSequence bool
	TCPOptions  bool
	IPOptions   bool
	UID         bool
	MACDecode   bool
}

// NFLog is -j NFLOG.
type NFLog struct {
	At
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
