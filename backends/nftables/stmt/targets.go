package stmt

import (
	"net/netip"
	"strconv"

	"github.com/google/nftables/expr"
)

// Statements of the mangling and redirecting targets.

// PayloadSet is "FIELD set VALUE" on a header field of BitLen bits at
// BitOff bits into Base: ip ttl, ip6 hoplimit, ip/ip6 dscp and ecn. Csum
// says the field is under the IPv4 header checksum.
type PayloadSet struct {
	Text           string
	Base           expr.PayloadBase
	BitOff, BitLen uint32
	Csum           bool
	Dt             Datatype
	Value          uint32
}

// MSSSet is "tcp option maxseg size set rt mtu" (ClampPMTU) or "… set MSS".
type MSSSet struct {
	ClampPMTU bool
	MSS       uint16
}

// Priority is "meta priority set MAJOR:MINOR", CLASSIFY's class.
type Priority struct{ Major, Minor uint16 }

// Nftrace is "nftrace set 1".
type Nftrace struct{}

// Queue is "queue num N[-LAST] [bypass][,fanout]".
type Queue struct {
	Num, Last      uint16 // Last == Num for one queue
	Bypass, Fanout bool
}

// Synproxy is "synproxy [mss N] [wscale N] [timestamp] [sack-perm]".
type Synproxy struct {
	MSS                 *uint16
	WScale              *uint8
	Timestamp, SACKPerm bool
}

// Dup is "dup to ADDR [device "DEV"]", TEE.
type Dup struct {
	Addr netip.Addr
	Dev  string
}

// TProxy is "tproxy to [ADDR][:PORT]": an invalid Addr is left out, and
// so is a zero Port after an address.
type TProxy struct {
	Addr netip.Addr
	Port uint16
}

// Netmap is "snat|dnat ip|ip6 prefix to NET": NAT keeping the host bits.
type Netmap struct {
	DNAT, V6 bool
	Net      netip.Prefix
}

func (*PayloadSet) stmt() {}
func (*MSSSet) stmt()     {}
func (*Priority) stmt()   {}
func (*Nftrace) stmt()    {}
func (*Queue) stmt()      {}
func (*Synproxy) stmt()   {}
func (*Dup) stmt()        {}
func (*TProxy) stmt()     {}
func (*Netmap) stmt()     {}

// appendTarget writes the statements of this file; false for others.
func appendTarget(dst []byte, s Stmt) ([]byte, bool) {
	switch s := s.(type) {
	case *PayloadSet:
		dst = append(dst, s.Text...)
		dst = append(dst, " set "...)
		if s.Dt == Integer {
			return strconv.AppendUint(dst, uint64(s.Value), 10), true
		}
		return appendValue(dst, s.Dt, []byte{byte(s.Value)}, false), true
	case *MSSSet:
		dst = append(dst, "tcp option maxseg size set "...)
		if s.ClampPMTU {
			return append(dst, "rt mtu"...), true
		}
		return strconv.AppendUint(dst, uint64(s.MSS), 10), true
	case *Priority:
		dst = append(dst, "meta priority set "...)
		dst = strconv.AppendUint(dst, uint64(s.Major), 16)
		dst = append(dst, ':')
		return strconv.AppendUint(dst, uint64(s.Minor), 16), true
	case *Nftrace:
		return append(dst, "nftrace set 1"...), true
	case *Queue:
		dst = strconv.AppendUint(append(dst, "queue num "...), uint64(s.Num), 10)
		if s.Last != s.Num {
			dst = strconv.AppendUint(append(dst, '-'), uint64(s.Last), 10)
		}
		switch {
		case s.Bypass && s.Fanout:
			dst = append(dst, " bypass,fanout"...)
		case s.Bypass:
			dst = append(dst, " bypass"...)
		case s.Fanout:
			dst = append(dst, " fanout"...)
		}
		return dst, true
	case *Synproxy:
		dst = append(dst, "synproxy"...)
		if s.MSS != nil {
			dst = strconv.AppendUint(append(dst, " mss "...), uint64(*s.MSS), 10)
		}
		if s.WScale != nil {
			dst = strconv.AppendUint(append(dst, " wscale "...), uint64(*s.WScale), 10)
		}
		if s.Timestamp {
			dst = append(dst, " timestamp"...)
		}
		if s.SACKPerm {
			dst = append(dst, " sack-perm"...)
		}
		return dst, true
	case *Dup:
		dst = s.Addr.AppendTo(append(dst, "dup to "...))
		if s.Dev != "" {
			dst = append(append(append(dst, " device \""...), s.Dev...), '"')
		}
		return dst, true
	case *TProxy:
		dst = append(dst, "tproxy to "...)
		switch {
		case !s.Addr.IsValid():
		case s.Port == 0:
			return s.Addr.AppendTo(dst), true
		case s.Addr.Is6():
			dst = append(s.Addr.AppendTo(append(dst, '[')), ']')
		default:
			dst = s.Addr.AppendTo(dst)
		}
		return strconv.AppendUint(append(dst, ':'), uint64(s.Port), 10), true
	case *Netmap:
		if s.DNAT {
			dst = append(dst, "dnat "...)
		} else {
			dst = append(dst, "snat "...)
		}
		if s.V6 {
			dst = append(dst, "ip6"...)
		} else {
			dst = append(dst, "ip"...)
		}
		return s.Net.AppendTo(append(dst, " prefix to "...)), true
	}
	return dst, false
}
