package ir

import (
	"fmt"
	"net/netip"
	"time"
)

// Named sets: a first-class object of a table that matches refer to by
// name. ipsets referenced by "-m set", port lists shared by several rules
// and host names refreshed at run time all become sets, so a backend can
// render one nft set (or one ipset) instead of repeating the elements in
// every rule. The policy frontend fills Table.Sets with the host names of
// a policy when the target keeps them fresh (nftables); the iptables "-m
// set" match still yields SetMatch, which names an ipset that lives outside
// the ruleset (ipset is not part of what iptables-save prints).

// SetKey is the type of a set's elements.
type SetKey uint8

const (
	SetKeyIPv4  SetKey = iota + 1 // ipv4_addr
	SetKeyIPv6                    // ipv6_addr
	SetKeyPort                    // inet_service
	SetKeyIface                   // ifname
	SetKeyMark                    // mark
	SetKeyProto                   // inet_proto
)

var setKeyNames = [...]string{"", "ipv4_addr", "ipv6_addr", "inet_service", "ifname", "mark", "inet_proto"}

// String returns the nft type keyword of the key.
func (k SetKey) String() string {
	if int(k) < len(setKeyNames) && k != 0 {
		return setKeyNames[k]
	}
	return "unknown"
}

// SetFlags are properties of a set.
type SetFlags uint8

const (
	// SetInterval: elements may be prefixes or ranges.
	SetInterval SetFlags = 1 << iota
	// SetConstant: the ruleset never changes the elements at run time.
	SetConstant
	// SetDynamic: rules add elements while packets flow (-j SET, recent).
	SetDynamic
)

var setFlagNames = []struct {
	Bit  SetFlags
	Name string
}{{SetConstant, "constant"}, {SetDynamic, "dynamic"}, {SetInterval, "interval"}}

// String lists the flags as nft spells them, comma-separated.
func (f SetFlags) String() string {
	s := ""
	for _, n := range setFlagNames {
		if f&n.Bit != 0 {
			if s != "" {
				s += ","
			}
			s += n.Name
		}
	}
	return s
}

// SetElem is one element: an address prefix (a single address is a full
// length prefix), an address range, a value range (ports, marks, protocol
// numbers; a single value has Lo == Hi) or an interface name (which may
// end in "+", as in -i).
type SetElem struct {
	Prefix netip.Prefix
	Range  *AddrRange
	Lo, Hi uint32
	Iface  string
}

// String returns the element as nft prints it.
func (e SetElem) String() string {
	switch {
	case e.Prefix.IsValid():
		if e.Prefix.IsSingleIP() {
			return e.Prefix.Addr().String()
		}
		return e.Prefix.String()
	case e.Range != nil:
		return e.Range.From.String() + "-" + e.Range.To.String()
	case e.Iface != "":
		return fmt.Sprintf("%q", e.Iface)
	case e.Lo == e.Hi:
		return fmt.Sprint(e.Lo)
	}
	return fmt.Sprintf("%d-%d", e.Lo, e.Hi)
}

// Set is a named set of one table.
type Set struct {
	Name  string
	Key   SetKey
	Flags SetFlags
	// Elements are the literal elements.
	Elements []SetElem
	// Hosts are DNS names whose addresses of the table's family are
	// elements too: resolved when the rules are translated, and again at
	// run time by `ruleshift refresh`, which replaces only them.
	Hosts []HostAddrs
	// Refresh is how often the hosts are resolved again at run time.
	Refresh time.Duration
	Src     Pos
}

// HostAddrs is a host name and the addresses it had when resolved.
type HostAddrs struct {
	Name  string
	Addrs []netip.Addr
}

// All returns the literal elements followed by the hosts' addresses not
// already among them.
func (s *Set) All() []SetElem {
	if len(s.Hosts) == 0 {
		return s.Elements
	}
	out := append([]SetElem(nil), s.Elements...)
	seen := map[netip.Addr]bool{}
	for _, e := range s.Elements {
		if e.Prefix.IsValid() && e.Prefix.IsSingleIP() {
			seen[e.Prefix.Addr()] = true
		}
	}
	for _, h := range s.Hosts {
		for _, a := range h.Addrs {
			if !seen[a] {
				seen[a] = true
				out = append(out, SetElem{Prefix: netip.PrefixFrom(a, a.BitLen())})
			}
		}
	}
	return out
}

// SetRef is a lookup in a named set of the rule's table: the packet's
// field (chosen by the set's key and Dir) is, or with Neg is not, an
// element. Passes and frontends that build sets (ufw, policy, the
// optimiser) produce it; backends look the set up with Table.Set.
type SetRef struct {
	At
	Neg  bool
	Name string
	Dir  Dir // which side of the packet: Src or Dst (ports, addresses, interfaces)
}

func (*SetRef) isMatch() {}
