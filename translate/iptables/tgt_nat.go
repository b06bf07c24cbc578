package iptables

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/ruleshift/ruleshift/translate/ir"
)

// NAT targets: SNAT, DNAT, MASQUERADE, REDIRECT, NETMAP. The table and hook
// lists are the kernel's (xt_nat.c, xt_MASQUERADE.c, xt_REDIRECT.c,
// xt_NETMAP.c).

func init() {
	nat := []string{"nat"}
	registerTarget(&targetDef{name: "SNAT", tables: nat, hooks: []string{"POSTROUTING", "INPUT"}, opts: []optSpec{
		{name: "to-source", arg: oneArg, noInvert: true}, {name: "random", noInvert: true},
		{name: "random-fully", noInvert: true}, {name: "persistent", noInvert: true},
	}, build: buildSNAT})
	registerTarget(&targetDef{name: "DNAT", tables: nat, hooks: []string{"PREROUTING", "OUTPUT"}, opts: []optSpec{
		{name: "to-destination", arg: oneArg, noInvert: true}, {name: "random", noInvert: true},
		{name: "persistent", noInvert: true},
	}, build: buildDNAT})
	registerTarget(&targetDef{name: "MASQUERADE", tables: nat, hooks: []string{"POSTROUTING"}, opts: []optSpec{
		{name: "to-ports", arg: oneArg, noInvert: true}, {name: "random", noInvert: true},
		{name: "random-fully", noInvert: true},
	}, build: buildMasquerade})
	registerTarget(&targetDef{name: "REDIRECT", tables: nat, hooks: []string{"PREROUTING", "OUTPUT"}, opts: []optSpec{
		{name: "to-ports", arg: oneArg, noInvert: true}, {name: "random", noInvert: true},
	}, build: buildRedirect})
	registerTarget(&targetDef{name: "NETMAP", tables: nat, opts: []optSpec{
		{name: "to", arg: oneArg, noInvert: true},
	}, build: buildNetmap})
}

// natPortProto reports whether the rule's protocol lets NAT map ports:
// iptables allows TCP, UDP, SCTP, DCCP and ICMP (the ICMP id), and refuses
// "! -p" or no -p at all.
func natPortProto(c *ctx) bool { return c.protoIs(6, 17, 132, 33, 1) }

const natPortErr = "%s: port mapping needs \"-p tcp\", \"-p udp\", \"-p sctp\" or \"-p dccp\" (as iptables requires)"

// parseNATPorts reads "PORT[-PORT]" and, when base is allowed, "/BASE",
// as libxt_NAT's parse_ports does: a base-0 number or (alone) a service
// name of any protocol, the end of a range a number only.
func parseNATPorts(s string, base bool) (*ir.PortRange, uint16, error) {
	l, rest, err := natPort(s, true)
	if err != nil {
		return nil, 0, err
	}
	r := &ir.PortRange{Lo: l, Hi: l}
	switch {
	case rest == "":
		return r, 0, nil
	case rest[0] == ':':
		return nil, 0, fmt.Errorf("invalid port:port syntax in %q: use a dash", s)
	case rest[0] != '-':
		return nil, 0, fmt.Errorf("garbage after port value: %q", rest)
	}
	if r.Hi, rest, err = natPort(rest[1:], false); err != nil {
		return nil, 0, err
	}
	if r.Hi < r.Lo {
		return nil, 0, fmt.Errorf("port range %q is reversed", s)
	}
	if rest == "" {
		return r, 0, nil
	}
	if rest[0] != '/' || !base {
		return nil, 0, fmt.Errorf("garbage after port range: %q", rest)
	}
	b, ok := xtUint(rest[1:], 1, 65535)
	if !ok {
		if b16, found := serviceFor(rest[1:], ""); found {
			return r, b16, nil
		}
		return nil, 0, fmt.Errorf("invalid base port %q", rest[1:])
	}
	return r, uint16(b), nil
}

// parseNATAddrs parses "ADDR[-ADDR]" of family f.
func parseNATAddrs(s string, f ir.Family) (netip.Addr, netip.Addr, error) {
	lo, hi, isRange := strings.Cut(s, "-")
	a, err := netip.ParseAddr(lo)
	if err != nil || a.Zone() != "" || (f == ir.IPv4) != a.Is4() {
		return netip.Addr{}, netip.Addr{}, fmt.Errorf("bad %s address %q", famWord(f), lo)
	}
	b := a
	if isRange {
		b, err = netip.ParseAddr(hi)
		if err != nil || b.Zone() != "" || (f == ir.IPv4) != b.Is4() {
			return netip.Addr{}, netip.Addr{}, fmt.Errorf("bad %s address %q", famWord(f), hi)
		}
	}
	return a, b, nil
}

// parseNATRange parses [ADDR[-ADDR]][:PORT[-PORT[/BASE]]]; IPv6 addresses
// take ports only inside brackets: [ADDR[-ADDR]]:PORT.
func parseNATRange(s string, f ir.Family, base bool) (ir.NATRange, error) {
	var r ir.NATRange
	addrs, ports, hasPorts := s, "", false
	switch {
	case f == ir.IPv6 && strings.HasPrefix(s, "["):
		end := strings.Index(s, "]")
		if end < 0 {
			return r, fmt.Errorf("missing \"]\" in %q", s)
		}
		addrs, ports = s[1:end], s[end+1:]
		if ports != "" {
			if ports[0] != ':' {
				return r, fmt.Errorf("garbage %q after \"]\"", ports)
			}
			ports, hasPorts = ports[1:], true
		}
	case f == ir.IPv4:
		addrs, ports, hasPorts = strings.Cut(s, ":")
	}
	if addrs == "" && !hasPorts {
		return r, fmt.Errorf("bad %s address %q", famWord(f), s)
	}
	if addrs != "" {
		var err error
		if r.MinAddr, r.MaxAddr, err = parseNATAddrs(addrs, f); err != nil {
			return r, err
		}
	}
	if hasPorts {
		var err error
		if r.Ports, r.BasePort, err = parseNATPorts(ports, base); err != nil {
			return r, err
		}
	}
	return r, nil
}

// natTo handles the --to-source / --to-destination option of c.
func natTo(c *ctx, o *opt, base bool) (ir.NATRange, bool) {
	r, err := parseNATRange(o.arg(), c.fam, base)
	if err != nil {
		c.errorf(o.argPos(), "%s: %v", c.name, err)
		return r, false
	}
	if r.Ports != nil && !natPortProto(c) {
		c.errorf(o.argPos(), natPortErr, c.name)
		return r, false
	}
	return r, true
}

func buildSNAT(c *ctx) ir.Target {
	t := &ir.SNAT{}
	for i := range c.opts {
		o := &c.opts[i]
		if !c.once(o) {
			continue
		}
		switch o.name {
		case "to-source":
			t.To, _ = natTo(c, o, false)
		case "random":
			t.Random = true
		case "random-fully":
			t.RandomFully = true
		case "persistent":
			t.Persistent = true
		}
	}
	if !c.has("to-source") {
		c.errorf(c.pos, "SNAT: option \"--to-source\" must be specified")
	}
	return t
}

func buildDNAT(c *ctx) ir.Target {
	t := &ir.DNAT{}
	for i := range c.opts {
		o := &c.opts[i]
		if !c.once(o) {
			continue
		}
		switch o.name {
		case "to-destination":
			t.To, _ = natTo(c, o, true)
		case "random":
			t.Random = true
		case "persistent":
			t.Persistent = true
		}
	}
	if !c.has("to-destination") {
		c.errorf(c.pos, "DNAT: option \"--to-destination\" must be specified")
	}
	return t
}

// toPorts parses MASQUERADE's and REDIRECT's --to-ports.
func toPorts(c *ctx, o *opt) *ir.PortRange {
	r, _, err := parseNATPorts(o.arg(), false)
	if err != nil {
		c.errorf(o.argPos(), "%s: %v", c.name, err)
		return nil
	}
	if !natPortProto(c) {
		c.errorf(o.argPos(), natPortErr, c.name)
		return nil
	}
	return r
}

func buildMasquerade(c *ctx) ir.Target {
	t := &ir.Masquerade{}
	for i := range c.opts {
		o := &c.opts[i]
		if !c.once(o) {
			continue
		}
		switch o.name {
		case "to-ports":
			t.Ports = toPorts(c, o)
		case "random":
			t.Random = true
		case "random-fully":
			t.RandomFully = true
		}
	}
	return t
}

func buildRedirect(c *ctx) ir.Target {
	t := &ir.Redirect{}
	for i := range c.opts {
		o := &c.opts[i]
		if !c.once(o) {
			continue
		}
		switch o.name {
		case "to-ports":
			t.Ports = toPorts(c, o)
		case "random":
			t.Random = true
		}
	}
	return t
}

func buildNetmap(c *ctx) ir.Target {
	t := &ir.Netmap{}
	for i := range c.opts {
		o := &c.opts[i]
		if !c.once(o) {
			continue
		}
		p, err := parseNetmapPrefix(o.arg(), c.fam)
		if err != nil {
			c.errorf(o.argPos(), "NETMAP: %v", err)
			continue
		}
		t.To = p
	}
	if !c.has("to") {
		c.errorf(c.pos, "NETMAP: option \"--to\" must be specified")
	}
	return t
}

// parseNetmapPrefix parses ADDR[/LEN|/MASK]. The kernel keeps the address
// as given (host bits included) but only the network bits matter.
func parseNetmapPrefix(s string, f ir.Family) (netip.Prefix, error) {
	host, m, hasMask := strings.Cut(s, "/")
	a, ok := hostAddr(host, f)
	if !ok {
		return netip.Prefix{}, fmt.Errorf("bad %s address %q", famWord(f), host)
	}
	bits := a.BitLen()
	if hasMask {
		n, ok := parsePlen(m, f)
		if !ok {
			if ma, err := netip.ParseAddr(m); err == nil && ma.BitLen() == a.BitLen() {
				return netip.Prefix{}, fmt.Errorf("non-contiguous mask %q is not supported", m)
			}
			return netip.Prefix{}, fmt.Errorf("bad mask %q", m)
		}
		bits = n
	}
	return netip.PrefixFrom(a, bits).Masked(), nil
}
