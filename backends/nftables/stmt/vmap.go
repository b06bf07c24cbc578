package stmt

import (
	"net/netip"
	"strconv"

	"github.com/google/nftables/expr"
)

// VMap looks a payload field up in an anonymous verdict map: "ip saddr
// vmap { 10.0.0.1 : drop, 10.0.0.0/24 : accept }". A packet whose value
// is in no element goes on to the next statement's rule.
type VMap struct {
	Field Field
	Elems []VMapElem
	// Interval: an element is a prefix or a range.
	Interval bool
}

// VMapElem is one key and its verdict (accept, drop or return).
type VMapElem struct {
	// Text is the key as nft writes it: an address, a prefix, a port or
	// a range.
	Text string
	// From and To are the first and last value of the key.
	From, To []byte
	Verdict  expr.VerdictKind
	// Chain is the chain of a jump or goto.
	Chain string
}

func (*VMap) stmt() {}

// VerdictName is nft's word for a verdict of a map element.
func VerdictName(k expr.VerdictKind) string {
	switch k {
	case expr.VerdictAccept:
		return "accept"
	case expr.VerdictDrop:
		return "drop"
	case expr.VerdictReturn:
		return "return"
	case expr.VerdictJump:
		return "jump"
	case expr.VerdictGoto:
		return "goto"
	}
	return "continue"
}

func appendVMap(dst []byte, m *VMap) []byte {
	dst = append(dst, m.Field.Name()...)
	dst = append(dst, " vmap { "...)
	for i, e := range m.Elems {
		if i > 0 {
			dst = append(dst, ", "...)
		}
		dst = append(dst, e.Text...)
		dst = append(dst, " : "...)
		dst = append(dst, VerdictName(e.Verdict)...)
		if e.Chain != "" {
			dst = append(append(dst, ' '), e.Chain...)
		}
	}
	return append(dst, " }"...)
}

// NATMap translates addresses (and ports) looked up in an anonymous map:
// "dnat to tcp dport map { 80 : 192.168.1.2 }", "dnat ip to udp dport map
// { 500 : 10.0.0.1 . 500 }". A packet whose value is in no element goes
// on to the next rule.
type NATMap struct {
	Kind  NATKind
	Field Field
	// Ports: each element's data is an address and a port.
	Ports    bool
	Interval bool
	Elems    []NATMapElem
}

// NATMapElem is one key (as a VMapElem's) and the address and port it
// maps to.
type NATMapElem struct {
	Text     string
	From, To []byte
	Addr     netip.Addr
	Port     uint16
}

func (*NATMap) stmt() {}

func appendNATMap(dst []byte, m *NATMap) []byte {
	dst = append(dst, natNames[m.Kind]...)
	if m.Ports {
		// nft wants the family before a map to an address and a port.
		dst = append(dst, " ip"...)
	}
	dst = append(dst, " to "...)
	dst = append(dst, m.Field.Name()...)
	dst = append(dst, " map { "...)
	for i, e := range m.Elems {
		if i > 0 {
			dst = append(dst, ", "...)
		}
		dst = append(dst, e.Text...)
		dst = append(dst, " : "...)
		dst = e.Addr.AppendTo(dst)
		if m.Ports {
			dst = strconv.AppendUint(append(dst, " . "...), uint64(e.Port), 10)
		}
	}
	return append(dst, " }"...)
}
