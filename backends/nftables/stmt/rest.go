package stmt

import "strconv"

// The last statements the lowering wrote as nft text: ports of the
// protocols nft names but the core matches do not (udplite, dccp in
// multiport), the IPv6 TOS byte by its raw position, the socket's cgroup
// and mark, the cluster match's hash and packet type, DCCP type lists and
// TPROXY's mark.

// Protocol numbers of the port fields below.
const (
	protoDCCP    = 33
	protoUDPLite = 136
)

var udplitePorts = portFields("udplite", protoUDPLite)

// AnyPort returns "PROTO sport" or "PROTO dport" of every protocol with
// ports nft names (tcp, udp, sctp, dccp, udplite), nil for another.
func AnyPort(proto uint8, dst bool) *Payload {
	switch proto {
	case protoDCCP:
		return DCCPPort(dst)
	case protoUDPLite:
		return udplitePorts[b2i(dst)]
	}
	return Port(proto, dst)
}

// TrafficClass compares the IPv6 traffic class (bits 4-11 of the header,
// which nft names only by its dscp and ecn parts) under a mask. It is
// written as a test of the header's first 16 bits, "@nh,0,16 & 0x3f0 ==
// 0x100": nft 1.0.6 compiles the direct form "@nh,4,8 & 0x3f == 0x10"
// into a shift and a compare that match no packet (checked with
// ip6tables -m tos on the same packets).
type TrafficClass struct {
	Neg         bool
	Mask, Value uint8
}

// SocketCgroup matches the socket's cgroup v2 ancestor at Level:
// `socket cgroupv2 level 2 "a/b"`. nft resolves Path below /sys/fs/cgroup
// to the cgroup's inode number when it loads the rule.
type SocketCgroup struct {
	Level uint32
	Neg   bool
	Path  string
}

// SocketMarkRestore is "meta mark set socket mark".
type SocketMarkRestore struct{}

// JHash compares the jhash of the connection's original source address,
// "jhash ct original ip saddr mod N seed S", with a value ("eq V", "!= V")
// or looks it up in a set of values ("{ A, B }"). A negation takes one
// value: nft 1.0.6 crashes listing "jhash … != { … }".
type JHash struct {
	V6        bool
	Mod, Seed uint32
	Neg       bool
	Vals      []uint32
}

// PktTypeHost is "meta pkttype set host".
type PktTypeHost struct{}

// DCCPTypes tests the DCCP packet type against several types: bit i of
// Types is type i, bit 10 the reserved types 10-15; "dccp type [!=] {
// request, 10-15 }", or without braces for one.
type DCCPTypes struct {
	Neg   bool
	Types uint16
}

// DCCPReserved is the bit of DCCPTypes that stands for types 10 to 15.
const DCCPReserved = 1 << 10

// TProxyMark is the mark TPROXY sets: "meta mark set 0x1" with a full
// mask, else "meta mark set meta mark & ^MASK xor MARK" (the spelling
// iptables-translate uses, which the golden files keep).
type TProxyMark struct{ Mark, Mask uint32 }

func (*TrafficClass) stmt()      {}
func (*SocketCgroup) stmt()      {}
func (*SocketMarkRestore) stmt() {}
func (*JHash) stmt()             {}
func (*PktTypeHost) stmt()       {}
func (*DCCPTypes) stmt()         {}
func (*TProxyMark) stmt()        {}

// AppendRest writes the statements of this file.
func AppendRest(dst []byte, s Stmt) []byte {
	switch s := s.(type) {
	case *TrafficClass:
		dst = strconv.AppendUint(append(dst, "@nh,0,16 & 0x"...), uint64(s.Mask)<<4, 16)
		if s.Neg {
			dst = append(dst, " != 0x"...)
		} else {
			dst = append(dst, " == 0x"...)
		}
		return strconv.AppendUint(dst, uint64(s.Value&s.Mask)<<4, 16)
	case *SocketCgroup:
		dst = strconv.AppendUint(append(dst, "socket cgroupv2 level "...), uint64(s.Level), 10)
		dst = append(dst, ' ')
		if s.Neg {
			dst = append(dst, "!= "...)
		}
		return append(append(append(dst, '"'), s.Path...), '"')
	case *SocketMarkRestore:
		return append(dst, "meta mark set socket mark"...)
	case *JHash:
		return appendJHash(dst, s)
	case *PktTypeHost:
		return append(dst, "meta pkttype set host"...)
	case *DCCPTypes:
		return appendDCCPTypes(dst, s)
	case *TProxyMark:
		dst = append(dst, "meta mark set "...)
		if s.Mask == 0xffffffff {
			return strconv.AppendUint(append(dst, "0x"...), uint64(s.Mark), 16)
		}
		dst = append(dst, "meta mark & 0x"...)
		h := strconv.FormatUint(uint64(^s.Mask), 16)
		for i := len(h); i < 8; i++ {
			dst = append(dst, '0')
		}
		dst = append(dst, h...)
		return strconv.AppendUint(append(dst, " xor 0x"...), uint64(s.Mark), 16)
	}
	panic("internal error: no nft text for a statement")
}

func appendJHash(dst []byte, h *JHash) []byte {
	dst = append(dst, "jhash ct original ip"...)
	if h.V6 {
		dst = append(dst, '6')
	}
	dst = strconv.AppendUint(append(dst, " saddr mod "...), uint64(h.Mod), 10)
	dst = strconv.AppendUint(append(dst, " seed 0x"...), uint64(h.Seed), 16)
	switch {
	case h.Neg:
		dst = append(dst, " != "...)
	case len(h.Vals) == 1:
		dst = append(dst, " eq "...)
	default:
		dst = append(dst, " { "...)
	}
	for i, v := range h.Vals {
		if i > 0 {
			dst = append(dst, ", "...)
		}
		dst = strconv.AppendUint(dst, uint64(v), 10)
	}
	if !h.Neg && len(h.Vals) != 1 {
		dst = append(dst, " }"...)
	}
	return dst
}

func appendDCCPTypes(dst []byte, d *DCCPTypes) []byte {
	dst = append(dst, "dccp type "...)
	if d.Neg {
		dst = append(dst, "!= "...)
	}
	set := d.Types&(d.Types-1) != 0
	if set {
		dst = append(dst, "{ "...)
	}
	first := true
	for i := 0; i <= 10; i++ {
		if d.Types&(1<<i) == 0 {
			continue
		}
		if !first {
			dst = append(dst, ", "...)
		}
		first = false
		if i == 10 {
			dst = append(dst, "10-15"...)
		} else {
			dst = append(dst, dccpTypeNames[i]...)
		}
	}
	if set {
		dst = append(dst, " }"...)
	}
	return dst
}
