package ir

import "net/netip"

// VerdictMap is a target no iptables input has: the optimiser
// (translate/passes/optimize) makes it of rules that differed only in one
// field and their verdict. The packet's field is looked up among Elems;
// a packet whose value is in an element gets its verdict, any other goes
// on to the next rule, as if the rule had not matched. Elements never
// overlap. The rule's matches hold the protocol a port field needs.
type VerdictMap struct {
	At
	Field MapField
	Elems []MapElem
}

// MapField is the packet field a VerdictMap looks up.
type MapField uint8

const (
	MapSaddr MapField = iota + 1
	MapDaddr
	MapSport
	MapDport
	// The fields of exact values: interface names (never a wildcard),
	// the layer 4 protocol, the ICMP or ICMPv6 type (any code), one
	// conntrack state, the Ethernet source address.
	MapIif
	MapOif
	MapProto
	MapICMPType
	MapCtState
	MapEtherSaddr
	MapHopLimit // the IPv4 TTL or IPv6 hop limit, by the table's family
)

// IsAddr reports whether the field is an address.
func (f MapField) IsAddr() bool { return f == MapSaddr || f == MapDaddr }

// Dir is the side of the packet the field is on.
func (f MapField) Dir() Dir {
	if f == MapSaddr || f == MapSport {
		return Src
	}
	return Dst
}

// MapElem is one element: its value (Prefix of an address field, Ports of
// a port field, the Value of the others) and the verdict: ACCEPT, DROP or
// RETURN, or with Chain set a jump (or goto) to it.
type MapElem struct {
	Prefix  netip.Prefix
	Ports   PortRange
	Value   Value
	Verdict VerdictKind
	Chain   string
	Goto    bool
}

// Value is the value of a field of exact values: Name of an interface,
// Num of a protocol or an ICMP type, State of a conntrack state (one
// bit), MAC of an Ethernet address.
type Value struct {
	Name  string
	Num   uint8
	State CtState
	MAC   [6]byte
}

func (*VerdictMap) isTarget() {}

// Name is "vmap": no iptables target has it.
func (*VerdictMap) Name() string { return "vmap" }

// Tuples is a match no iptables input has: the optimiser makes it of
// rules that differed in several of the fields a MapField names. The
// packet's fields, taken together, must be one of Elems (each element
// one value per field, in the order of Fields): nft's concatenation,
// "ip saddr . tcp dport { 10.0.0.1 . 22, 10.0.0.2 . 80 }". The rule's
// matches hold the protocol a port field needs.
type Tuples struct {
	At
	Fields []MapField
	Elems  [][]TupleValue
}

// TupleValue is one field's value in an element: an address prefix, a
// port range, or the Value of a field of exact values. A Tuples of one
// field is a plain set lookup: "iifname { "eth0", "eth1" }".
type TupleValue struct {
	Prefix netip.Prefix
	Ports  PortRange
	Value  Value
}

func (*Tuples) isMatch() {}

// NATMap is a target no iptables input has: the optimiser makes it of
// DNAT (or SNAT) rules that differed only in one field and in the one
// address, and port, they translate to: "dnat to tcp dport map { 80 :
// 192.168.1.2, 25 : 192.168.1.3 }". A packet whose value is in no
// element goes on to the next rule, as if the rule had not matched.
// Elements never overlap. IPv4 only.
type NATMap struct {
	At
	SNAT  bool
	Field MapField
	// Ports: every element translates the port too.
	Ports bool
	Elems []NATMapElem
}

// NATMapElem is one element: its key as a MapElem's, and the address
// and port it translates to.
type NATMapElem struct {
	Prefix netip.Prefix
	Ports  PortRange
	Value  Value
	Addr   netip.Addr
	Port   uint16
}

func (*NATMap) isTarget() {}

// Name is the iptables target the map stands for.
func (t *NATMap) Name() string {
	if t.SNAT {
		return "SNAT"
	}
	return "DNAT"
}
