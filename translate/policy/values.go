package policy

import (
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"

	"github.com/ruleshift/ruleshift/translate/ir"
)

// addrSpec is one element of from/to: a literal prefix or a host name.
type addrSpec struct {
	net  netip.Prefix
	host string
	pos  ir.Pos
}

// expand returns the elements of a key's value with "@name" set
// references replaced by the set's elements, each element with its own
// position.
func (c *checker) expand(p *Policy, key string, v *value, depth int) []*value {
	var out []*value
	for _, el := range list(v) {
		if el.kind == kString && strings.HasPrefix(el.str, "@") {
			name := el.str[1:]
			s, ok := p.Sets[name]
			if !ok {
				var names []string
				for n := range p.Sets {
					names = append(names, n)
				}
				sort.Strings(names)
				msg := fmt.Sprintf("%s: undefined set %q", key, name)
				if sug := suggest(name, names); sug != "" {
					msg += fmt.Sprintf(" (did you mean @%s?)", sug)
				}
				c.errorf(el.pos, "%s", msg)
				continue
			}
			if depth > 8 {
				c.errorf(el.pos, "%s: sets refer to each other in a loop", key)
				continue
			}
			out = append(out, c.expand(p, key, s, depth+1)...)
			continue
		}
		out = append(out, el)
	}
	return out
}

// ports reads port, sport: numbers, "LO-HI" ranges, sets of those.
func (c *checker) ports(p *Policy, e *entry) []ir.PortRange {
	var out []ir.PortRange
	for _, v := range c.expand(p, e.key, e.val, 0) {
		switch v.kind {
		case kInt:
			if v.num < 0 || v.num > 65535 {
				c.errorf(v.pos, "%s: port %d is out of range (0-65535)", e.key, v.num)
				continue
			}
			out = append(out, ir.PortRange{Lo: uint16(v.num), Hi: uint16(v.num)})
		case kString:
			pr, ok := parsePortRange(v.str)
			if !ok {
				c.errorf(v.pos, "%s: bad port %q (a number 0-65535 or a range LO-HI)", e.key, v.str)
				continue
			}
			out = append(out, pr)
		default:
			c.errorf(v.pos, "%s: a port must be an integer or a string \"LO-HI\", not %s", e.key, v.kind)
		}
	}
	return out
}

func parsePortRange(s string) (ir.PortRange, bool) {
	lo, hi, isRange := strings.Cut(s, "-")
	if !isRange {
		lo, hi, isRange = strings.Cut(s, ":")
	}
	a, err := strconv.ParseUint(lo, 10, 16)
	if err != nil {
		return ir.PortRange{}, false
	}
	if !isRange {
		return ir.PortRange{Lo: uint16(a), Hi: uint16(a)}, true
	}
	b, err := strconv.ParseUint(hi, 10, 16)
	if err != nil || b < a {
		return ir.PortRange{}, false
	}
	return ir.PortRange{Lo: uint16(a), Hi: uint16(b)}, true
}

// addrs reads from, to: addresses, prefixes, host names, sets of those.
func (c *checker) addrs(p *Policy, e *entry) []addrSpec {
	var out []addrSpec
	for _, v := range c.expand(p, e.key, e.val, 0) {
		c.addrList(&out, e.key, v)
	}
	return out
}

// addrList reads one address element into out, reporting a bad one.
func (c *checker) addrList(out *[]addrSpec, key string, v *value) {
	if v.kind != kString {
		c.errorf(v.pos, "%s: an address must be a string, not %s", key, v.kind)
		return
	}
	if pfx, err := netip.ParsePrefix(v.str); err == nil {
		*out = append(*out, addrSpec{net: pfx.Masked(), pos: v.pos})
		return
	}
	if a, err := netip.ParseAddr(v.str); err == nil && a.Zone() == "" {
		a = a.Unmap()
		*out = append(*out, addrSpec{net: netip.PrefixFrom(a, a.BitLen()), pos: v.pos})
		return
	}
	if !isHostName(v.str) {
		c.errorf(v.pos, "%s: bad address %q (an address, a prefix ADDR/LEN, a host name or @set)", key, v.str)
		return
	}
	*out = append(*out, addrSpec{host: v.str, pos: v.pos})
}

// isHostName reports whether s is a DNS name (RFC 1123 labels) that
// is not an address written wrong: it holds a letter.
func isHostName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	letter := false
	for _, l := range strings.Split(strings.TrimSuffix(s, "."), ".") {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			ch := l[i]
			switch {
			case ch >= 'a' && ch <= 'z', ch >= 'A' && ch <= 'Z':
				letter = true
			case ch >= '0' && ch <= '9', ch == '-':
			default:
				return false
			}
		}
	}
	return letter
}

// protoNums are the protocol names a policy takes; "icmp" is IPv4's and
// "icmpv6" IPv6's, so a rule with either goes to that family only.
var protoNums = map[string]uint8{"tcp": 6, "udp": 17, "icmp": 1, "icmpv6": 58, "sctp": 132, "udplite": 136, "esp": 50, "ah": 51, "gre": 47}

var protoNames = []string{"ah", "all", "esp", "gre", "icmp", "icmpv6", "sctp", "tcp", "udp", "udplite"}

type proto struct {
	name string
	num  uint8
	all  bool
}

func (c *checker) protos(e *entry) []proto {
	var out []proto
	for _, v := range list(e.val) {
		switch v.kind {
		case kInt:
			if v.num < 0 || v.num > 255 {
				c.errorf(v.pos, "proto: protocol number %d is out of range (0-255)", v.num)
				continue
			}
			out = append(out, proto{name: strconv.Itoa(int(v.num)), num: uint8(v.num)})
		case kString:
			s := lower(v.str)
			if s == "ipv6-icmp" {
				s = "icmpv6"
			}
			if s == "all" {
				out = append(out, proto{name: s, all: true})
				continue
			}
			n, ok := protoNums[s]
			if !ok {
				msg := fmt.Sprintf("proto: unknown protocol %q", v.str)
				if sug := suggest(s, protoNames); sug != "" {
					msg += fmt.Sprintf(" (did you mean %s?)", sug)
				}
				c.errorf(v.pos, "%s", msg)
				continue
			}
			out = append(out, proto{name: s, num: n})
		default:
			c.errorf(v.pos, "proto: a protocol must be a string or an integer, not %s", v.kind)
		}
	}
	return out
}

var stateNames = map[string]ir.CtState{"new": ir.CtNew, "established": ir.CtEstablished, "related": ir.CtRelated, "invalid": ir.CtInvalid, "untracked": ir.CtUntracked}

func (c *checker) states(e *entry) ir.CtState {
	var st ir.CtState
	for _, v := range c.strs(e) {
		b, ok := stateNames[lower(v.str)]
		if !ok {
			msg := fmt.Sprintf("state: unknown connection state %q", v.str)
			if sug := suggest(lower(v.str), []string{"established", "invalid", "new", "related", "untracked"}); sug != "" {
				msg += fmt.Sprintf(" (did you mean %s?)", sug)
			}
			c.errorf(v.pos, "%s", msg)
			continue
		}
		st |= b
	}
	return st
}

// uid reads uid: a number, "LO-HI", or "root". Other user names are not
// looked up: a policy must mean the same on every machine.
func (c *checker) uid(e *entry) *ir.IDRange {
	v := e.val
	switch {
	case v.kind == kInt && v.num >= 0 && v.num <= 1<<32-1:
		return &ir.IDRange{Min: uint32(v.num), Max: uint32(v.num)}
	case v.kind == kString && v.str == "root":
		return &ir.IDRange{Min: 0, Max: 0}
	case v.kind == kString:
		lo, hi, ok := strings.Cut(v.str, "-")
		a, err1 := strconv.ParseUint(lo, 10, 32)
		b, err2 := strconv.ParseUint(hi, 10, 32)
		if ok && err1 == nil && err2 == nil && a <= b {
			return &ir.IDRange{Min: uint32(a), Max: uint32(b)}
		}
	}
	c.errorf(v.pos, "uid: bad user %s (a number, a range \"LO-HI\" or \"root\"; other names are not looked up)", v.raw)
	return nil
}

// rate reads "N/second|minute|hour|day" into limit's average interval.
func (c *checker) rate(e *entry) uint32 {
	v := e.val
	if v.kind == kString {
		n, unit, ok := strings.Cut(v.str, "/")
		k, err := strconv.ParseUint(n, 10, 32)
		secs := map[string]uint64{"second": 1, "sec": 1, "s": 1, "minute": 60, "min": 60, "m": 60, "hour": 3600, "h": 3600, "day": 86400, "d": 86400}[unit]
		if ok && err == nil && k > 0 && secs > 0 && secs*ir.LimitScale/k > 0 {
			return uint32(secs * ir.LimitScale / k)
		}
	}
	c.errorf(v.pos, "rate: bad rate %s (\"N/second\", \"N/minute\", \"N/hour\" or \"N/day\")", v.raw)
	return 0
}
