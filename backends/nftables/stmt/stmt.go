// Package stmt holds the typed nftables objects the nftables backend lowers
// the rule model into: tables, chains, sets, rules and their statements.
// Two printers read them, nft text (text.go) and netlink messages (in
// package nftables), so a statement carries what both need: a comparison
// knows its field's nft name, where the kernel loads it from and how its
// value prints, never a rendered string.
package stmt

import (
	"github.com/google/nftables/expr"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// Chain is the header of a chain: its nft name, its hook when it is a
// base chain, and its comment. The lowering makes it once; the text
// printer (AppendChainHeader) and the netlink batch both read it. Rules
// are not kept here: a table's rules are lowered and printed or encoded
// one at a time, which keeps 100,000 rules from living in memory twice.
type Chain struct {
	Name    string
	Base    *ir.BaseChain // nil for a regular chain
	Comment string
}

// Set is a set of a table: named, or anonymous (Name "") and then owned by
// the one rule that looks it up.
type Set struct {
	Name     string
	Key      Datatype
	KeyLen   uint32 // bytes
	Interval bool
	Elems    []Elem
}

// Elem is a set element: a value, or an inclusive range From..To (To nil
// for a value). Elements keep the order of the source; the netlink encoder
// sorts and merges them as nft does.
type Elem struct {
	From, To []byte
}

// Rule is one rule: its statements in order, then its comment.
type Rule struct {
	Stmts   []Stmt
	Comment string
	Src     ir.Pos
}

// Stmt is one statement of a rule.
type Stmt interface{ stmt() }

// Datatype says how a value of a field prints in nft text and how long it
// is; it mirrors the nft datatypes the renderer uses.
type Datatype uint8

const (
	Integer      Datatype = iota // decimal; a mask prints in hex
	IPv4Addr                     // dotted quad
	IPv6Addr                     // RFC 5952
	InetProto                    // nft protocol name, or its number
	Ifname                       // quoted, with a trailing * for a prefix
	InetService                  // a port, decimal
	ICMPTypeDt                   // nft's name of an ICMP type, or its number
	ICMPv6TypeDt                 // the same for ICMPv6
	Mark                         // a 32-bit mark in host byte order, in hex; "and" for a mask
	TCPFlagsDt                   // tcp flag names joined by commas, 0x0 for none
	EtherAddr                    // a MAC address, aa:bb:cc:dd:ee:ff
	CtStateDt                    // conntrack state flags
	CtStatusDt                   // conntrack status flags
)

// Field is the left side of a comparison.
type Field interface {
	// Name is the field as nft text writes it ("ip saddr", "meta l4proto").
	Name() string
	Type() Datatype
	// Len is the field's length in bytes.
	Len() uint32
}

// Payload is a packet header field.
type Payload struct {
	Text   string
	Base   expr.PayloadBase
	Offset uint32
	Bytes  uint32
	Dt     Datatype
	// Proto is the transport protocol a transport header field depends
	// on (nft adds "meta l4proto P" unless the rule already said it).
	Proto uint8
}

func (p *Payload) Name() string   { return p.Text }
func (p *Payload) Type() Datatype { return p.Dt }
func (p *Payload) Len() uint32    { return p.Bytes }

// Meta is a meta key.
type Meta struct {
	Text  string
	Key   expr.MetaKey
	Bytes uint32
	Dt    Datatype
}

func (m *Meta) Name() string   { return m.Text }
func (m *Meta) Type() Datatype { return m.Dt }
func (m *Meta) Len() uint32    { return m.Bytes }

// The fields the lowering uses.
var (
	TCPFlags    = &Payload{"tcp flags", expr.PayloadBaseTransportHeader, 13, 1, TCPFlagsDt, 6}
	EtherSaddr  = &Payload{"ether saddr", expr.PayloadBaseLLHeader, 6, 6, EtherAddr, 0}
	IPTTL       = &Payload{"ip ttl", expr.PayloadBaseNetworkHeader, 8, 1, Integer, 0}
	IP6HopLimit = &Payload{"ip6 hoplimit", expr.PayloadBaseNetworkHeader, 7, 1, Integer, 0}
	IPProtocol  = &Payload{"ip protocol", expr.PayloadBaseNetworkHeader, 9, 1, InetProto, 0}
	IPFragOff   = &Payload{"ip frag-off", expr.PayloadBaseNetworkHeader, 6, 2, Integer, 0}
	IPSaddr     = &Payload{"ip saddr", expr.PayloadBaseNetworkHeader, 12, 4, IPv4Addr, 0}
	IPDaddr     = &Payload{"ip daddr", expr.PayloadBaseNetworkHeader, 16, 4, IPv4Addr, 0}
	IP6Saddr    = &Payload{"ip6 saddr", expr.PayloadBaseNetworkHeader, 8, 16, IPv6Addr, 0}
	IP6Daddr    = &Payload{"ip6 daddr", expr.PayloadBaseNetworkHeader, 24, 16, IPv6Addr, 0}
	ICMPType    = &Payload{"icmp type", expr.PayloadBaseTransportHeader, 0, 1, ICMPTypeDt, 1}
	ICMPv6Type  = &Payload{"icmpv6 type", expr.PayloadBaseTransportHeader, 0, 1, ICMPv6TypeDt, 58}
	ICMPCode    = &Payload{"icmp code", expr.PayloadBaseTransportHeader, 1, 1, Integer, 1}
	ICMPv6Code  = &Payload{"icmpv6 code", expr.PayloadBaseTransportHeader, 1, 1, Integer, 58}
	MetaMark    = &Meta{"mark", expr.MetaKeyMARK, 4, Mark}
	MetaL4Proto = &Meta{"meta l4proto", expr.MetaKeyL4PROTO, 1, InetProto}
	IifName     = &Meta{"iifname", expr.MetaKeyIIFNAME, IfNameSize, Ifname}
	OifName     = &Meta{"oifname", expr.MetaKeyOIFNAME, IfNameSize, Ifname}
)

// Port returns "PROTO sport" or "PROTO dport" of tcp, udp or sctp.
func Port(proto uint8, dst bool) *Payload {
	i := 0
	if dst {
		i = 1
	}
	switch proto {
	case 6:
		return tcpPorts[i]
	case 17:
		return udpPorts[i]
	case 132:
		return sctpPorts[i]
	}
	return nil
}

var (
	tcpPorts  = portFields("tcp", 6)
	udpPorts  = portFields("udp", 17)
	sctpPorts = portFields("sctp", 132)
)

func portFields(name string, proto uint8) [2]*Payload {
	return [2]*Payload{
		{name + " sport", expr.PayloadBaseTransportHeader, 0, 2, InetService, proto},
		{name + " dport", expr.PayloadBaseTransportHeader, 2, 2, InetService, proto},
	}
}

// IfNameSize is IFNAMSIZ: an exact interface name is compared with its NUL
// padding, a wildcard ("eth*") by its prefix alone.
const IfNameSize = 16

// Cmp compares a field with a value: "FIELD [!=] VALUE", a prefix
// "FIELD [!=] VALUE/BITS", a masked field "FIELD & MASK ==|!= VALUE", a
// range "FIELD [!=] VALUE-TO", or looks it up in a set.
type Cmp struct {
	Field Field
	Neg   bool
	// Mask, when set, is and-ed with the field before the comparison.
	Mask  []byte
	Value []byte
	// Prefix makes Value a network of Bits leading bits.
	Prefix bool
	Bits   int
	// To makes the comparison an inclusive range Value..To.
	To []byte
	// Op is expr.CmpOpLt or expr.CmpOpGt for an ordered comparison
	// ("FIELD lt V"); the zero value is an (in)equality.
	Op expr.CmpOp
	// Set, when set, replaces Value: the field is looked up in it.
	Set *Set
}

// Counter is "counter".
type Counter struct{}

// Verdict is accept, drop, return, or jump/goto Chain.
type Verdict struct {
	Kind  expr.VerdictKind
	Chain string
}

func (*Cmp) stmt()     {}
func (*Counter) stmt() {}
func (*Verdict) stmt() {}
