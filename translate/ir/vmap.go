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

// MapElem is one element: an address prefix (address fields) or a port
// range (port fields), and the verdict: ACCEPT, DROP or RETURN.
type MapElem struct {
	Prefix  netip.Prefix
	Ports   PortRange
	Verdict VerdictKind
}

func (*VerdictMap) isTarget() {}

// Name is "vmap": no iptables target has it.
func (*VerdictMap) Name() string { return "vmap" }
