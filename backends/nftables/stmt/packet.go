package stmt

import (
	"encoding/binary"
	"net/netip"
	"strconv"

	"github.com/google/nftables/expr"
)

// Packet fields beyond addresses and ports: meta keys of the packet, bit
// fields of the IP header, fib lookups.

// Datatypes of the packet fields. They start high so that datatypes added
// elsewhere in the package do not collide.
const (
	PktTypeDt     Datatype = 64 + iota // unicast, broadcast, multicast, other
	HostInt                            // a 32-bit integer in host byte order, decimal
	Hex8                               // one byte, 0x%02x (a DSCP, a TOS mask)
	ECNDt                              // not-ect, ect1, ect0, ce
	FibAddrTypeDt                      // a route type name, or its number
	HexDt                              // an integer in hex, 0x%x
	DCCPTypeDt                         // a DCCP packet type name
	NFProtoDt                          // ipv4, ipv6
)

// The meta keys of the packet. Groups and realms print in hex as marks do.
var (
	MetaPktType = &Meta{"pkttype", expr.MetaKeyPKTTYPE, 1, PktTypeDt}
	MetaNFProto = &Meta{"meta nfproto", expr.MetaKeyNFPROTO, 1, NFProtoDt}
	MetaLength  = &Meta{"meta length", expr.MetaKeyLEN, 4, HostInt}
	MetaCPU     = &Meta{"cpu", expr.MetaKeyCPU, 4, HostInt}
	MetaCgroup  = &Meta{"meta cgroup", expr.MetaKeyCGROUP, 4, HostInt}
	IifGroup    = &Meta{"iifgroup", expr.MetaKeyIIFGROUP, 4, Mark}
	OifGroup    = &Meta{"oifgroup", expr.MetaKeyOIFGROUP, 4, Mark}
	RtClassID   = &Meta{"rtclassid", expr.MetaKeyRTCLASSID, 4, Mark}
)

// Bits is a bit field of a header: loaded as Bytes bytes at Offset, and-ed
// with Mask; a value is compared shifted left by Shift. A comparison on it
// has no Mask of its own.
type Bits struct {
	Text   string
	Base   expr.PayloadBase
	Offset uint32
	Bytes  uint32
	Mask   []byte
	Shift  uint
	Dt     Datatype
	// Proto is the transport protocol of a transport header field.
	Proto uint8
}

func (b *Bits) Name() string   { return b.Text }
func (b *Bits) Type() Datatype { return b.Dt }
func (b *Bits) Len() uint32    { return 1 }

// The DSCP and ECN bits of the IPv4 TOS byte and the IPv6 traffic class.
var (
	IPDSCP  = &Bits{"ip dscp", expr.PayloadBaseNetworkHeader, 1, 1, []byte{0xfc}, 2, Hex8, 0}
	IPECN   = &Bits{"ip ecn", expr.PayloadBaseNetworkHeader, 1, 1, []byte{0x03}, 0, ECNDt, 0}
	IP6DSCP = &Bits{"ip6 dscp", expr.PayloadBaseNetworkHeader, 0, 2, []byte{0x0f, 0xc0}, 6, Hex8, 0}
	IP6ECN  = &Bits{"ip6 ecn", expr.PayloadBaseNetworkHeader, 1, 1, []byte{0x30}, 4, ECNDt, 0}
	// DCCPType is the 4-bit packet type of the DCCP header.
	DCCPType = &Bits{"dccp type", expr.PayloadBaseTransportHeader, 8, 1, []byte{0x1e}, 1, DCCPTypeDt, 33}
	// IPTOS is the whole IPv4 TOS byte, compared under a mask.
	IPTOS = &Payload{"@nh,8,8", expr.PayloadBaseNetworkHeader, 1, 1, Hex8, 0}
)

// ShiftedValue returns v shifted into the field's position, Bytes long.
func (b *Bits) ShiftedValue(v []byte) []byte { return Shifted(v, b.Shift, b.Bytes) }

// Fib is a fib lookup: "fib saddr . iif oif", "fib daddr type". Its result
// is a 32-bit value in host byte order.
type Fib struct {
	Text string
	// Flags are NFTA_FIB_F_* (saddr, daddr, mark, iif, oif).
	Flags  uint32
	Result uint32 // NFT_FIB_RESULT_*
	Dt     Datatype
}

func (f *Fib) Name() string   { return f.Text }
func (f *Fib) Type() Datatype { return f.Dt }
func (f *Fib) Len() uint32    { return 4 }

// Host32 is a 32-bit value in host byte order.
func Host32(v uint32) []byte { return binary.NativeEndian.AppendUint32(nil, v) }

var dccpTypeNames = []string{"request", "response", "data", "ack", "dataack", "closereq", "close", "reset", "sync", "syncack"}

var ecnNames = []string{"not-ect", "ect1", "ect0", "ce"}

var pktTypeNames = []string{"unicast", "broadcast", "multicast", "other"}

// FibAddrTypeNames are nft 1.0.6's names of route types; it has none for
// RTN_THROW, RTN_NAT and RTN_XRESOLVE, which print as numbers.
var FibAddrTypeNames = []string{"unspec", "unicast", "local", "broadcast", "anycast", "multicast", "blackhole", "unreachable", "prohibit"}

// appendPacketValue writes a value of a packet datatype; false for
// another datatype.
func appendPacketValue(dst []byte, dt Datatype, v []byte) ([]byte, bool) {
	switch dt {
	case NFProtoDt:
		switch {
		case len(v) == 1 && v[0] == 2:
			return append(dst, "ipv4"...), true
		case len(v) == 1 && v[0] == 10:
			return append(dst, "ipv6"...), true
		}
	case PktTypeDt:
		if len(v) == 1 && int(v[0]) < len(pktTypeNames) {
			return append(dst, pktTypeNames[v[0]]...), true
		}
	case HostInt:
		if len(v) == 4 {
			return strconv.AppendUint(dst, uint64(binary.NativeEndian.Uint32(v)), 10), true
		}
	case FibAddrTypeDt:
		if len(v) == 4 {
			n := binary.NativeEndian.Uint32(v)
			if n < uint32(len(FibAddrTypeNames)) {
				return append(dst, FibAddrTypeNames[n]...), true
			}
			return strconv.AppendUint(dst, uint64(n), 10), true
		}
	case DCCPTypeDt:
		if len(v) == 1 && int(v[0]) < len(dccpTypeNames) {
			return append(dst, dccpTypeNames[v[0]]...), true
		}
	case HexDt:
		n := uint64(0)
		for _, b := range v {
			n = n<<8 | uint64(b)
		}
		return strconv.AppendUint(append(dst, "0x"...), n, 16), true
	case Hex8:
		if len(v) == 1 {
			const hex = "0123456789abcdef"
			return append(dst, '0', 'x', hex[v[0]>>4], hex[v[0]&15]), true
		}
	case ECNDt:
		if len(v) == 1 && v[0] < 4 {
			return append(dst, ecnNames[v[0]]...), true
		}
	}
	return dst, false
}

// Exthdr is a field of an IPv6 extension header (Op ExthdrOpIpv6, Hdr its
// next-header number) or of a TCP option (ExthdrOpTcpopt, Hdr its kind),
// Bytes bytes at Offset into it. A bit field has a Mask and compares its
// value shifted left by Shift. nft merges no extension header loads.
type Exthdr struct {
	Text   string
	Op     expr.ExthdrOp
	Hdr    uint8
	Offset uint32
	Bytes  uint32
	Mask   []byte
	Shift  uint
	Dt     Datatype
}

func (x *Exthdr) Name() string   { return x.Text }
func (x *Exthdr) Type() Datatype { return x.Dt }
func (x *Exthdr) Len() uint32    { return x.Bytes }

// Extension header numbers and TCP option kinds nft names.
const (
	HdrHbh    = 0
	HdrRt     = 43
	HdrFrag   = 44
	HdrDst    = 60
	HdrMH     = 135
	TCPOptMSS = 2
)

func ip6Hdr(text string, hdr uint8, off, n uint32, mask []byte, shift uint) *Exthdr {
	return &Exthdr{text, expr.ExthdrOpIpv6, hdr, off, n, mask, shift, Integer}
}

// The extension header fields the lowering uses.
var (
	FragID        = ip6Hdr("frag id", HdrFrag, 4, 4, nil, 0)
	FragReserved  = ip6Hdr("frag reserved", HdrFrag, 1, 1, nil, 0)
	FragReserved2 = ip6Hdr("frag reserved2", HdrFrag, 3, 1, []byte{0x06}, 1)
	FragOff       = ip6Hdr("frag frag-off", HdrFrag, 2, 2, []byte{0xff, 0xf8}, 3)
	FragMore      = ip6Hdr("frag more-fragments", HdrFrag, 3, 1, []byte{0x01}, 0)
	HbhHdrLen     = ip6Hdr("hbh hdrlength", HdrHbh, 1, 1, nil, 0)
	DstHdrLen     = ip6Hdr("dst hdrlength", HdrDst, 1, 1, nil, 0)
	RtType        = ip6Hdr("rt type", HdrRt, 2, 1, nil, 0)
	RtSegLeft     = ip6Hdr("rt seg-left", HdrRt, 3, 1, nil, 0)
	RtHdrLen      = ip6Hdr("rt hdrlength", HdrRt, 1, 1, nil, 0)
	MHType        = ip6Hdr("mh type", HdrMH, 2, 1, nil, 0)
	TCPOptMSSSize = &Exthdr{"tcp option maxseg size", expr.ExthdrOpTcpopt, TCPOptMSS, 2, 2, nil, 0, Integer}
)

// The IPsec header fields: transport header payloads with their protocol.
var (
	AHSPI      = &Payload{"ah spi", expr.PayloadBaseTransportHeader, 4, 4, Integer, 51}
	AHHdrLen   = &Payload{"ah hdrlength", expr.PayloadBaseTransportHeader, 1, 1, Integer, 51}
	AHReserved = &Payload{"ah reserved", expr.PayloadBaseTransportHeader, 2, 2, Integer, 51}
	ESPSPI     = &Payload{"esp spi", expr.PayloadBaseTransportHeader, 0, 4, Integer, 50}
	CompCPI    = &Payload{"comp cpi", expr.PayloadBaseTransportHeader, 2, 2, Integer, 108}
)

// Present tests that an extension header or a TCP option is there, or,
// Missing, that it is not: "exthdr frag exists", "tcp option 5 missing".
type Present struct {
	Text    string // what precedes "exists" or "missing"
	Op      expr.ExthdrOp
	Hdr     uint8
	Missing bool
}

func (*Present) stmt() {}

func appendPresent(dst []byte, p *Present) []byte {
	dst = append(dst, p.Text...)
	if p.Missing {
		return append(dst, " missing"...)
	}
	return append(dst, " exists"...)
}

// Shifted returns the value v, big-endian, shifted left by shift into n
// bytes.
func Shifted(v []byte, shift uint, n uint32) []byte {
	x := uint64(0)
	for _, b := range v {
		x = x<<8 | uint64(b)
	}
	x <<= shift
	out := make([]byte, n)
	for i := int(n) - 1; i >= 0; i-- {
		out[i] = byte(x)
		x >>= 8
	}
	return out
}

// Concat looks a concatenation of transport header fields up in an
// anonymous set: "F1 . F2 [!=] { a . b-c, … }". Each element has one
// value or range per field.
type Concat struct {
	Fields []Field
	Neg    bool
	Elems  [][]Elem
}

func (*Concat) stmt() {}

func appendConcat(dst []byte, c *Concat) []byte {
	for i, f := range c.Fields {
		if i > 0 {
			dst = append(dst, " . "...)
		}
		dst = append(dst, f.Name()...)
	}
	dst = append(dst, ' ')
	if c.Neg {
		dst = append(dst, "!= "...)
	}
	dst = append(dst, "{ "...)
	for i, el := range c.Elems {
		if i > 0 {
			dst = append(dst, ", "...)
		}
		for j, v := range el {
			if j > 0 {
				dst = append(dst, " . "...)
			}
			if p, ok := prefixOf(c.Fields[j].Type(), v); ok {
				dst = p.AppendTo(dst)
				continue
			}
			if v.To == nil {
				dst = AppendValue(dst, c.Fields[j].Type(), v.From)
				continue
			}
			dst = appendValue(dst, c.Fields[j].Type(), v.From, false)
			if v.To != nil {
				dst = append(dst, '-')
				dst = appendValue(dst, c.Fields[j].Type(), v.To, false)
			}
		}
	}
	return append(dst, " }"...)
}

// prefixOf returns an address range that is a prefix as the prefix, as
// nft writes it.
func prefixOf(dt Datatype, v Elem) (netip.Prefix, bool) {
	if (dt != IPv4Addr && dt != IPv6Addr) || v.To == nil {
		return netip.Prefix{}, false
	}
	from, ok1 := netip.AddrFromSlice(v.From)
	to, ok2 := netip.AddrFromSlice(v.To)
	if !ok1 || !ok2 {
		return netip.Prefix{}, false
	}
	for bits := from.BitLen(); bits >= 0; bits-- {
		p := netip.PrefixFrom(from, bits)
		if p.Masked().Addr() != from {
			return netip.Prefix{}, false
		}
		last := from.AsSlice()
		for i := bits; i < len(last)*8; i++ {
			last[i/8] |= 0x80 >> (i % 8)
		}
		if l, _ := netip.AddrFromSlice(last); l == to {
			return p, true
		}
	}
	return netip.Prefix{}, false
}

// DCCPPort is "dccp sport" or "dccp dport".
func DCCPPort(dst bool) *Payload { return dccpPorts[b2i(dst)] }

var dccpPorts = portFields("dccp", 33)

// The ICMP fields of a concatenation, their values printed as numbers.
var (
	ICMPTypeNum   = &Payload{"icmp type", expr.PayloadBaseTransportHeader, 0, 1, Integer, 1}
	ICMPv6TypeNum = &Payload{"icmpv6 type", expr.PayloadBaseTransportHeader, 0, 1, Integer, 58}
)

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// ExthdrOpSctp is NFT_EXTHDR_OP_SCTP: Hdr is a chunk type.
const ExthdrOpSctp = expr.ExthdrOp(3)

// SCTPChunkFlags is the flags byte of an SCTP chunk, compared under a
// mask.
func SCTPChunkFlags(name string, chunk uint8) *Exthdr {
	return &Exthdr{"sctp chunk " + name + " flags", ExthdrOpSctp, chunk, 1, 1, nil, 0, HexDt}
}

// TCPBit tests one TCP flag: set ("tcp flags ecn"), or Clear ("tcp flags
// & ecn == 0"; "tcp flags != ecn" compares the whole byte in nft 1.0.6).
type TCPBit struct {
	Name  string
	Bit   uint8
	Clear bool
}

func (*TCPBit) stmt() {}

func appendTCPBit(dst []byte, b *TCPBit) []byte {
	if b.Clear {
		return append(append(append(dst, "tcp flags & "...), b.Name...), " == 0"...)
	}
	return append(append(dst, "tcp flags "...), b.Name...)
}

// Socket is a key of the packet's socket.
type Socket struct {
	Text string
	Key  expr.SocketKey
}

func (s *Socket) Name() string   { return s.Text }
func (s *Socket) Type() Datatype { return Integer }
func (s *Socket) Len() uint32    { return 1 }

var (
	SocketTransparent = &Socket{"socket transparent", expr.SocketKeyTransparent}
	SocketWildcard    = &Socket{"socket wildcard", expr.SocketKeyWildcard}
)
