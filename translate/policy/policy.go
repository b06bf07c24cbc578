// Package policy reads ruleshift's declarative TOML policy (README "Policy
// files (TOML)") into the model: one filter table per family, the base
// chains INPUT, OUTPUT and FORWARD with their default verdicts, and the
// policy's rules after the safe defaults (loopback, established/related,
// the ICMPv6 that IPv6 needs), each match and target at its TOML key.
package policy

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/ruleshift/ruleshift/translate/diag"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// Directions are the rule arrays of a policy, in chain order.
var directions = []string{"input", "output", "forward"}

// Top-level keys. Each safe default is a boolean that is true unless the
// policy turns it off.
var topKeys = []string{"families", "loopback", "established", "icmpv6", "dns", "refresh", "policy", "sets", "input", "output", "forward"}

var ruleKeys = []string{"action", "family", "proto", "port", "sport", "from", "to", "in", "out", "icmp", "state", "uid", "rate", "burst", "log_prefix", "comment"}

var actions = []string{"accept", "drop", "reject", "limit", "log"}

var verdicts = []string{"accept", "drop", "reject"}

// Policy is a checked policy file.
type Policy struct {
	File        string
	Families    []ir.Family
	Loopback    bool
	Established bool
	ICMPv6      bool
	// DNS accepts outgoing DNS when host names are used and output does
	// not default to accept: the machine resolves them at run time.
	DNS bool
	// Refresh is how often `ruleshift refresh` resolves the host names
	// again (the timer persist installs).
	Refresh    time.Duration
	RefreshPos ir.Pos
	// Default is the verdict of each direction: accept, drop or reject.
	Default    map[string]string
	DefaultPos map[string]ir.Pos
	// defaultsPos is where each safe default was written (or the file).
	defaultsPos map[string]ir.Pos
	Sets        map[string]*value
	Rules       map[string][]*Rule
}

// Rule is one [[input]], [[output]] or [[forward]] table, its values
// still as written; build expands them per family.
type Rule struct {
	Pos  ir.Pos
	Keys map[string]*entry
}

// checker collects every error of a file.
type checker struct {
	file  string
	diags *diag.List
	// seen keeps an element of a set that several rules use from being
	// reported once per use.
	seen map[string]bool
	// hostSets keeps host names in named sets (Options.HostSets); sets
	// are those sets by name.
	hostSets bool
	sets     map[string]*hostSet
	// usesHosts: some rule names a host, so the machine needs DNS.
	usesHosts bool
}

func (c *checker) errorf(p ir.Pos, format string, args ...any) {
	msg := fmt.Sprintf(format, args...)
	k := p.String() + "\x00" + msg
	if c.seen[k] {
		return
	}
	if c.seen == nil {
		c.seen = map[string]bool{}
	}
	c.seen[k] = true
	c.diags.Errorf(p, "%s", msg)
}

func (c *checker) unknown(e *entry, where string, known []string) {
	msg := fmt.Sprintf("unknown key %q in %s", e.key, where)
	if s := diag.Suggest(e.key, known); s != "" {
		msg += fmt.Sprintf(" (did you mean %s?)", s)
	}
	c.errorf(e.pos, "%s", msg)
}

func (c *checker) want(e *entry, k kind) bool {
	if e.val.kind != k {
		c.errorf(e.val.pos, "%s must be %s, not %s", e.key, k, e.val.kind)
		return false
	}
	return true
}

// parse reads data into a Policy, all errors at once.
func parse(file string, data []byte) (*Policy, *diag.List) {
	c := &checker{file: file, diags: &diag.List{}}
	root, perr := parseTree(file, data)
	if perr != nil {
		c.errorf(perr.pos, "%s", perr.msg)
		return nil, c.diags
	}
	filePos := ir.Pos{File: file}
	p := &Policy{
		File: file, Families: []ir.Family{ir.IPv4, ir.IPv6}, Loopback: true, Established: true, ICMPv6: true, DNS: true, Refresh: DefaultRefresh,
		Default:     map[string]string{"input": "drop", "output": "accept", "forward": "drop"},
		DefaultPos:  map[string]ir.Pos{"input": filePos, "output": filePos, "forward": filePos},
		defaultsPos: map[string]ir.Pos{"loopback": filePos, "established": filePos, "icmpv6": filePos, "dns": filePos},
		Sets:        map[string]*value{}, Rules: map[string][]*Rule{},
	}
	for _, e := range root.entries {
		switch e.key {
		case "families":
			p.Families = c.families(e)
		case "refresh":
			p.Refresh, p.RefreshPos = c.interval(e), e.pos
		case "loopback", "established", "icmpv6", "dns":
			if c.want(e, kBool) {
				p.defaultsPos[e.key] = e.pos
				switch e.key {
				case "loopback":
					p.Loopback = e.val.bit
				case "established":
					p.Established = e.val.bit
				case "dns":
					p.DNS = e.val.bit
				default:
					p.ICMPv6 = e.val.bit
				}
			}
		case "policy":
			if !c.want(e, kTable) {
				continue
			}
			for _, d := range e.val.tbl.entries {
				if !contains(directions, d.key) {
					c.unknown(d, "[policy]", directions)
					continue
				}
				if !c.want(d, kString) {
					continue
				}
				if !contains(verdicts, d.val.str) {
					c.errorf(d.val.pos, "%s: unknown default verdict %q (accept, drop or reject)", d.key, d.val.str)
					continue
				}
				p.Default[d.key], p.DefaultPos[d.key] = d.val.str, d.pos
			}
		case "sets":
			if !c.want(e, kTable) {
				continue
			}
			for _, s := range e.val.tbl.entries {
				if s.val.kind != kArray && s.val.kind != kString && s.val.kind != kInt {
					c.errorf(s.val.pos, "set %s must be an array of addresses, host names or ports, not %s", s.key, s.val.kind)
					continue
				}
				p.Sets[s.key] = s.val
				c.setElements(s)
			}
		case "input", "output", "forward":
			if e.val.kind != kArray {
				c.errorf(e.pos, "%s must be an array of rule tables ([[%s]]), not %s", e.key, e.key, e.val.kind)
				continue
			}
			for _, rv := range e.val.arr {
				if rv.kind != kTable {
					c.errorf(rv.pos, "a rule of %s must be a table, not %s", e.key, rv.kind)
					continue
				}
				r := &Rule{Pos: rv.pos, Keys: map[string]*entry{}}
				for _, k := range rv.tbl.entries {
					if !contains(ruleKeys, k.key) {
						c.unknown(k, "a rule", ruleKeys)
						continue
					}
					r.Keys[k.key] = k
				}
				p.Rules[e.key] = append(p.Rules[e.key], r)
			}
		default:
			c.unknown(e, "the policy", topKeys)
		}
	}
	return p, c.diags
}

// DefaultRefresh is how often host names are resolved again when a
// policy does not say.
const DefaultRefresh = 15 * time.Minute

// interval reads refresh: a duration of at least a minute ("15m", "1h").
func (c *checker) interval(e *entry) time.Duration {
	if !c.want(e, kString) {
		return DefaultRefresh
	}
	d, err := time.ParseDuration(e.val.str)
	if err != nil || d < time.Minute {
		c.errorf(e.val.pos, "refresh: %q is not a duration of at least a minute (\"15m\", \"1h\")", e.val.str)
		return DefaultRefresh
	}
	return d
}

func (c *checker) families(e *entry) []ir.Family {
	all := []ir.Family{ir.IPv4, ir.IPv6}
	if !c.want(e, kArray) {
		return all
	}
	var out []ir.Family
	for _, v := range e.val.arr {
		switch {
		case v.kind != kString:
			c.errorf(v.pos, "families: an element must be a string, not %s", v.kind)
		case v.str == "ipv4":
			out = appendFam(out, ir.IPv4)
		case v.str == "ipv6":
			out = appendFam(out, ir.IPv6)
		default:
			c.errorf(v.pos, "families: unknown family %q (ipv4 or ipv6)", v.str)
		}
	}
	if len(out) == 0 {
		c.errorf(e.pos, "families: name at least one family")
		return all
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

func appendFam(l []ir.Family, f ir.Family) []ir.Family {
	for _, x := range l {
		if x == f {
			return l
		}
	}
	return append(l, f)
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// list returns a value as a list: an array's elements, or the value alone.
func list(v *value) []*value {
	if v.kind == kArray {
		return v.arr
	}
	return []*value{v}
}

// strs returns the strings of a string-or-array key, reporting others.
func (c *checker) strs(e *entry) []*value {
	var out []*value
	for _, v := range list(e.val) {
		if v.kind != kString {
			c.errorf(v.pos, "%s: an element must be a string, not %s", e.key, v.kind)
			continue
		}
		out = append(out, v)
	}
	return out
}

func lower(s string) string { return strings.ToLower(s) }

// setElements checks a set's elements where it is defined, so that an
// error in a set no rule uses is reported too: each must be a port, a
// port range, an address, a prefix, a host name or another @set.
func (c *checker) setElements(s *entry) {
	for _, v := range list(s.val) {
		switch v.kind {
		case kInt:
			if v.num < 0 || v.num > 65535 {
				c.errorf(v.pos, "port: port %d is out of range (0-65535)", v.num)
			}
		case kString:
			if strings.HasPrefix(v.str, "@") {
				continue
			}
			if _, ok := parsePortRange(v.str); ok {
				continue
			}
			var sp []addrSpec
			c.addrList(&sp, s.key, v)
		default:
			c.errorf(v.pos, "set %s: an element must be a port, a port range, an address or a host name, not %s", s.key, v.kind)
		}
	}
}
