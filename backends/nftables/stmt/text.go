package stmt

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"net"
	"net/netip"
	"strconv"

	"github.com/google/nftables/expr"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// AppendRule appends the nft text of a rule (what follows "add rule FAMILY
// TABLE CHAIN") to dst. Rendering a table appends every rule to one buffer,
// which keeps large rulesets from allocating a string per statement.
func AppendRule(dst []byte, r *Rule) []byte {
	start := len(dst)
	sep := func() {
		if len(dst) > start {
			dst = append(dst, ' ')
		}
	}
	for _, s := range r.Stmts {
		sep()
		dst = appendStmt(dst, s)
	}
	if r.Comment != "" {
		sep()
		dst = append(dst, "comment \""...)
		dst = append(dst, r.Comment...)
		dst = append(dst, '"')
	}
	return dst
}

func appendStmt(dst []byte, s Stmt) []byte {
	switch s := s.(type) {
	case *Counter:
		return append(dst, "counter"...)
	case *Verdict:
		return appendVerdict(dst, s)
	case *Cmp:
		return appendCmp(dst, s)
	case *Flags:
		return appendFlags(dst, s)
	case *NAT:
		return appendNAT(dst, s)
	case *Limit:
		return appendLimit(dst, s)
	case *Log:
		return appendLog(dst, s)
	case *Reject:
		return appendReject(dst, s)
	case *CtMatch, *CtLabelSet, *MarkSet, *Notrack, *CtZoneSet, *CtHelperSet, *CtEventSet:
		return AppendCt(dst, s)
	case *Quota, *Random, *Numgen, *MetaTime, *MetaHour, *MetaDay, *Secpath, *SkID:
		return AppendStateful(dst, s)
	case *ConnCount:
		return AppendConnCount(dst, s)
	case *Meter:
		return AppendMeter(dst, s)
	case *Present:
		return appendPresent(dst, s)
	case *Concat:
		return appendConcat(dst, s)
	case *VMap:
		return appendVMap(dst, s)
	case *NATMap:
		return appendNATMap(dst, s)
	case *TCPBit:
		return appendTCPBit(dst, s)
	case *TrafficClass, *SocketCgroup, *SocketMarkRestore, *JHash, *PktTypeHost, *DCCPTypes, *TProxyMark:
		return AppendRest(dst, s)
	}
	if d, ok := appendTarget(dst, s); ok {
		return d
	}
	panic("internal error: no nft text for a statement")
}

func appendVerdict(dst []byte, v *Verdict) []byte {
	switch v.Kind {
	case expr.VerdictAccept:
		return append(dst, "accept"...)
	case expr.VerdictDrop:
		return append(dst, "drop"...)
	case expr.VerdictReturn:
		return append(dst, "return"...)
	case expr.VerdictJump:
		dst = append(dst, "jump "...)
	case expr.VerdictGoto:
		dst = append(dst, "goto "...)
	}
	return append(dst, v.Chain...)
}

// appendCmp writes the forms nft 1.0.6 lists: the operator is implicit for
// an equality, explicit after a mask.
func appendCmp(dst []byte, c *Cmp) []byte {
	dst = append(dst, c.Field.Name()...)
	dt := c.Field.Type()
	if c.Mask != nil && dt == TCPFlagsDt && bits.OnesCount8(c.Mask[0]) != 1 {
		// "tcp flags [!=] COMP / MASK"; nft 1.0.6 cannot parse that form
		// with a one-flag mask (it wants a list after "/"), so those take
		// the & form below, which compiles to the same expressions.
		dst = append(dst, ' ')
		if c.Neg {
			dst = append(dst, "!= "...)
		}
		dst = appendValue(dst, dt, c.Value, false)
		dst = append(dst, " / "...)
		return appendValue(dst, dt, c.Mask, false)
	}
	if c.Mask != nil && dt == Mark {
		// iptables-translate's spelling, which the golden files keep.
		dst = append(dst, " and "...)
	} else if c.Mask != nil {
		dst = append(dst, " & "...)
	}
	if c.Mask != nil {
		dst = appendValue(dst, dt, c.Mask, true)
		if c.Neg {
			dst = append(dst, " != "...)
		} else {
			dst = append(dst, " == "...)
		}
		return appendValue(dst, dt, c.Value, false)
	}
	dst = append(dst, ' ')
	switch {
	case c.Op == expr.CmpOpLt:
		dst = append(dst, "lt "...)
	case c.Op == expr.CmpOpGt:
		dst = append(dst, "gt "...)
	case c.Op == expr.CmpOpLte:
		dst = append(dst, "le "...)
	case c.Neg:
		dst = append(dst, "!= "...)
	}
	if c.Set != nil {
		return appendSet(dst, c.Set)
	}
	if c.To != nil {
		dst = appendRangeEnd(dst, dt, c.Value)
		dst = append(dst, '-')
		return appendRangeEnd(dst, dt, c.To)
	}
	dst = appendValue(dst, dt, c.Value, false)
	if c.Prefix {
		dst = append(dst, '/')
		dst = strconv.AppendInt(dst, int64(c.Bits), 10)
	}
	return dst
}

// AppendSet writes an anonymous set's elements, or a named set's name.
func AppendSet(dst []byte, s *Set) []byte { return appendSet(dst, s) }

// appendSet writes an anonymous set's elements, or a named set's name.
func appendSet(dst []byte, s *Set) []byte {
	if s.Name != "" {
		return append(append(dst, '@'), s.Name...)
	}
	dst = append(dst, "{ "...)
	for i, e := range s.Elems {
		if i > 0 {
			dst = append(dst, ", "...)
		}
		dst = appendValue(dst, s.Key, e.From, false)
		if e.To != nil {
			dst = append(dst, '-')
			dst = appendValue(dst, s.Key, e.To, false)
		}
	}
	return append(dst, " }"...)
}

// appendValue writes a value of the datatype; mask selects the hex form
// nft uses for an integer mask.
func appendValue(dst []byte, dt Datatype, v []byte, mask bool) []byte {
	if d, ok := appendPacketValue(dst, dt, v); ok {
		return d
	}
	switch dt {
	case IPv4Addr, IPv6Addr:
		a, _ := netip.AddrFromSlice(v)
		return a.AppendTo(dst)
	case InetProto:
		if len(v) == 1 {
			return append(dst, ProtoName(v[0])...)
		}
	case Ifname:
		return appendIfname(dst, v)
	case EtherAddr:
		return append(dst, net.HardwareAddr(v).String()...)
	case TCPFlagsDt:
		if len(v) == 1 && v[0]&0xc0 == 0 {
			return appendTCPFlags(dst, v[0])
		}
	case Mark:
		if len(v) == 4 {
			return strconv.AppendUint(append(dst, "0x"...), uint64(binary.NativeEndian.Uint32(v)), 16)
		}
	case ICMPTypeDt, ICMPv6TypeDt:
		names := ICMPTypes
		if dt == ICMPv6TypeDt {
			names = ICMPv6Types
		}
		if n, ok := names[v[0]]; ok && len(v) == 1 {
			return append(dst, n...)
		}
	}
	n := uint64(0)
	for _, b := range v {
		n = n<<8 | uint64(b)
	}
	if mask {
		return strconv.AppendUint(append(dst, "0x"...), n, 16)
	}
	return strconv.AppendUint(dst, n, 10)
}

// appendIfname writes a name padded to IFNAMSIZ as itself (a literal
// trailing star escaped) and a shorter one, a prefix, with a star.
func appendIfname(dst []byte, v []byte) []byte {
	dst = append(dst, '"')
	if len(v) == IfNameSize {
		if i := bytes.IndexByte(v, 0); i >= 0 {
			v = v[:i]
		}
		if n := len(v); n > 0 && v[n-1] == '*' {
			dst = append(dst, v[:n-1]...)
			dst = append(dst, `\*`...)
		} else {
			dst = append(dst, v...)
		}
	} else {
		dst = append(dst, v...)
		dst = append(dst, '*')
	}
	return append(dst, '"')
}

var tcpFlagNames = []string{"fin", "syn", "rst", "psh", "ack", "urg"}

func appendTCPFlags(dst []byte, v uint8) []byte {
	if v == 0 {
		return append(dst, "0x0"...)
	}
	first := true
	for i, n := range tcpFlagNames {
		if v&(1<<i) != 0 {
			if !first {
				dst = append(dst, ',')
			}
			dst = append(dst, n...)
			first = false
		}
	}
	return dst
}

// protoNames are the protocol names nft 1.0.6 takes after "ip protocol"
// and "meta l4proto"; they differ from iptables' list (nft knows "comp",
// not "ipv6" or "mh").
var protoNames = [256]string{
	1: "icmp", 2: "igmp", 6: "tcp", 17: "udp", 33: "dccp", 47: "gre", 50: "esp",
	51: "ah", 58: "ipv6-icmp", 108: "comp", 132: "sctp", 136: "udplite",
}

// ProtoName returns the nft name of a protocol, or its number.
func ProtoName(n uint8) string {
	if s := protoNames[n]; s != "" {
		return s
	}
	return strconv.Itoa(int(n))
}

// ICMPTypes and ICMPv6Types are nft's names of ICMP types.
var ICMPTypes = map[uint8]string{
	0: "echo-reply", 3: "destination-unreachable", 4: "source-quench", 5: "redirect", 8: "echo-request",
	9: "router-advertisement", 10: "router-solicitation", 11: "time-exceeded", 12: "parameter-problem",
	13: "timestamp-request", 14: "timestamp-reply", 15: "info-request", 16: "info-reply",
	17: "address-mask-request", 18: "address-mask-reply",
}

var ICMPv6Types = map[uint8]string{
	1: "destination-unreachable", 2: "packet-too-big", 3: "time-exceeded", 4: "parameter-problem",
	128: "echo-request", 129: "echo-reply", 130: "mld-listener-query", 131: "mld-listener-report",
	132: "mld-listener-done", 133: "nd-router-solicit", 134: "nd-router-advert",
	135: "nd-neighbor-solicit", 136: "nd-neighbor-advert", 137: "nd-redirect",
	138: "router-renumbering", 141: "ind-neighbor-solicit", 142: "ind-neighbor-advert",
	143: "mld2-listener-report",
}

// appendRangeEnd writes one end of a range. nft reads "a-b" as one word,
// so a type written by name ("tcp") is written by number in a range, as
// nft lists it ("ip protocol != 6-6").
func appendRangeEnd(dst []byte, dt Datatype, v []byte) []byte {
	switch dt {
	case InetProto, PktTypeDt, DCCPTypeDt, ICMPTypeDt, ICMPv6TypeDt:
		if len(v) == 1 {
			return strconv.AppendUint(dst, uint64(v[0]), 10)
		}
	}
	return appendValue(dst, dt, v, false)
}

// prioNames are nft's names for the standard priorities, which nft 1.0.6
// accepts at any hook but dstnat (prerouting) and srcnat (postrouting).
var prioNames = map[int]string{-300: "raw", -150: "mangle", 0: "filter", 50: "security"}

// appendPriority writes a base chain's priority as nft lists it.
func appendPriority(dst []byte, b *ir.BaseChain) []byte {
	switch {
	case b.Priority == -100 && b.Hook == ir.HookPrerouting:
		return append(dst, "dstnat"...)
	case b.Priority == 100 && b.Hook == ir.HookPostrouting:
		return append(dst, "srcnat"...)
	}
	if n, ok := prioNames[b.Priority]; ok {
		return append(dst, n...)
	}
	return strconv.AppendInt(dst, int64(b.Priority), 10)
}

// AppendChainHeader writes "\tchain NAME {" and the lines of the chain's
// hook and comment, as the body of a table block.
func AppendChainHeader(dst []byte, c *Chain) []byte {
	dst = append(append(append(dst, "\tchain "...), c.Name...), " {\n"...)
	if h := c.Base; h != nil {
		dst = append(append(dst, "\t\ttype "...), h.Type.String()...)
		dst = append(append(dst, " hook "...), h.Hook.String()...)
		dst = appendPriority(append(dst, " priority "...), h)
		if h.Policy == ir.PolicyDrop {
			dst = append(dst, "; policy drop;\n"...)
		} else {
			dst = append(dst, "; policy accept;\n"...)
		}
	}
	if c.Comment != "" {
		dst = append(append(append(dst, "\t\tcomment \""...), c.Comment...), "\";\n"...)
	}
	return dst
}

// AppendValue writes a value of the datatype as nft text does; a value of
// a flag type (one conntrack state) by its name.
func AppendValue(dst []byte, dt Datatype, v []byte) []byte {
	if names, ok := flagNames[dt]; ok && len(v) == 4 {
		bit := binary.NativeEndian.Uint32(v)
		for _, f := range names {
			if f.bit == bit {
				return append(dst, f.name...)
			}
		}
	}
	return appendValue(dst, dt, v, false)
}
