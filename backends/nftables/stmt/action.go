package stmt

import (
	"strconv"

	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// Statements that act rather than compare. They hold the kernel's own
// expression where one fits (its fields are what nft text shows too).

// Limit is "limit rate [over] N/UNIT burst B packets".
type Limit struct{ expr.Limit }

// Log is "log [prefix P] [level L] [flags …] [group N] [snaplen N]
// [queue-threshold N]"; Key says which options are set, as
// NFTA_LOG_* bits, and only those are printed or sent.
type Log struct{ expr.Log }

// Reject is "reject [with icmp|icmpv6 type T | with tcp reset]". V6 says
// which family's ICMP codes Code holds; a port-unreachable of the table's
// family is a plain "reject".
type Reject struct {
	expr.Reject
	V6 bool
}

func (*Limit) stmt()  {}
func (*Log) stmt()    {}
func (*Reject) stmt() {}

// LimitUnits are nft's names of the limit time units.
var LimitUnits = map[expr.LimitTime]string{
	expr.LimitTimeSecond: "second", expr.LimitTimeMinute: "minute", expr.LimitTimeHour: "hour",
	expr.LimitTimeDay: "day", expr.LimitTimeWeek: "week",
}

func appendLimit(dst []byte, l *Limit) []byte {
	dst = append(dst, "limit rate "...)
	if l.Over {
		dst = append(dst, "over "...)
	}
	dst = strconv.AppendUint(dst, l.Rate, 10)
	dst = append(dst, '/')
	dst = append(dst, LimitUnits[l.Unit]...)
	dst = append(dst, " burst "...)
	dst = strconv.AppendUint(dst, uint64(l.Burst), 10)
	return append(dst, " packets"...)
}

// LogLevels are nft's names of the syslog levels, and of its audit
// level (NFT_LOGLEVEL_AUDIT, 8).
var LogLevels = []string{"emerg", "alert", "crit", "err", "warn", "notice", "info", "debug", "audit"}

// Log flags of the kernel (NF_LOG_*).
const (
	LogTCPSeq    expr.LogFlags = 0x01
	LogTCPOpt    expr.LogFlags = 0x02
	LogIPOpt     expr.LogFlags = 0x04
	LogUID       expr.LogFlags = 0x08
	LogMACDecode expr.LogFlags = 0x20
)

func appendLog(dst []byte, l *Log) []byte {
	dst = append(dst, "log"...)
	has := func(attr int) bool { return l.Key&(1<<attr) != 0 }
	if has(unix.NFTA_LOG_PREFIX) {
		dst = append(append(append(dst, ` prefix "`...), l.Data...), '"')
	}
	if has(unix.NFTA_LOG_LEVEL) {
		dst = append(append(dst, " level "...), LogLevels[l.Level]...)
	}
	if has(unix.NFTA_LOG_FLAGS) {
		switch l.Flags & (LogTCPSeq | LogTCPOpt) {
		case LogTCPSeq:
			dst = append(dst, " flags tcp sequence"...)
		case LogTCPOpt:
			dst = append(dst, " flags tcp options"...)
		case LogTCPSeq | LogTCPOpt:
			dst = append(dst, " flags tcp sequence,options"...)
		}
		if l.Flags&LogIPOpt != 0 {
			dst = append(dst, " flags ip options"...)
		}
		if l.Flags&LogUID != 0 {
			dst = append(dst, " flags skuid"...)
		}
		if l.Flags&LogMACDecode != 0 {
			dst = append(dst, " flags ether"...)
		}
	}
	if has(unix.NFTA_LOG_GROUP) {
		dst = strconv.AppendUint(append(dst, " group "...), uint64(l.Group), 10)
	}
	if has(unix.NFTA_LOG_SNAPLEN) {
		dst = strconv.AppendUint(append(dst, " snaplen "...), uint64(l.Snaplen), 10)
	}
	if has(unix.NFTA_LOG_QTHRESHOLD) {
		dst = strconv.AppendUint(append(dst, " queue-threshold "...), uint64(l.QThreshold), 10)
	}
	return dst
}

// LogLevelAudit logs to the audit subsystem instead of syslog.
const LogLevelAudit = 8

// RejectICMP and RejectICMPv6 are nft's names of the ICMP codes a reject
// sends.
var (
	RejectICMP   = map[uint8]string{0: "net-unreachable", 1: "host-unreachable", 2: "prot-unreachable", 3: "port-unreachable", 9: "net-prohibited", 10: "host-prohibited", 13: "admin-prohibited"}
	RejectICMPv6 = map[uint8]string{0: "no-route", 1: "admin-prohibited", 3: "addr-unreachable", 4: "port-unreachable", 5: "policy-fail", 6: "reject-route"}
)

// RejectDefault is the code of a plain "reject": port unreachable.
func RejectDefault(v6 bool) uint8 {
	if v6 {
		return 4
	}
	return 3
}

func appendReject(dst []byte, r *Reject) []byte {
	dst = append(dst, "reject"...)
	switch {
	case r.Type == unix.NFT_REJECT_TCP_RST:
		return append(dst, " with tcp reset"...)
	case r.Code == RejectDefault(r.V6):
		return dst
	case r.V6:
		return append(append(dst, " with icmpv6 type "...), RejectICMPv6[r.Code]...)
	}
	return append(append(dst, " with icmp type "...), RejectICMP[r.Code]...)
}
