package iptables

import (
	"math"
	"net/netip"
	"strings"

	"github.com/ruleshift/ruleshift/translate/ir"
)

// Connection tracking matches: state, conntrack, mark, connmark, helper,
// connlimit, connbytes and connlabel, as libxt_*.c of iptables 1.8.9 parse
// them.

func init() {
	registerMatch(&matchDef{name: "state", opts: []optSpec{{name: "state", arg: oneArg}}, build: buildState})
	registerMatch(&matchDef{name: "conntrack", opts: []optSpec{
		{name: "ctstate", arg: oneArg}, {name: "ctproto", arg: oneArg},
		{name: "ctorigsrc", arg: oneArg}, {name: "ctorigdst", arg: oneArg},
		{name: "ctreplsrc", arg: oneArg}, {name: "ctrepldst", arg: oneArg},
		{name: "ctstatus", arg: oneArg}, {name: "ctexpire", arg: oneArg},
		{name: "ctorigsrcport", arg: oneArg}, {name: "ctorigdstport", arg: oneArg},
		{name: "ctreplsrcport", arg: oneArg}, {name: "ctrepldstport", arg: oneArg},
		{name: "ctdir", arg: oneArg, noInvert: true},
	}, build: buildConntrack})
	registerMatch(&matchDef{name: "mark", opts: []optSpec{{name: "mark", arg: oneArg}}, build: buildMark})
	registerMatch(&matchDef{name: "connmark", opts: []optSpec{{name: "mark", arg: oneArg}}, build: buildMark})
	registerMatch(&matchDef{name: "helper", opts: []optSpec{{name: "helper", arg: oneArg}}, build: buildHelper})
	registerMatch(&matchDef{name: "connlimit", opts: []optSpec{
		{name: "connlimit-upto", arg: oneArg}, {name: "connlimit-above", arg: oneArg},
		{name: "connlimit-mask", arg: oneArg, noInvert: true},
		{name: "connlimit-saddr", noInvert: true}, {name: "connlimit-daddr", noInvert: true},
	}, build: buildConnLimit})
	registerMatch(&matchDef{name: "connbytes", opts: []optSpec{
		{name: "connbytes", arg: oneArg},
		{name: "connbytes-dir", arg: oneArg, noInvert: true},
		{name: "connbytes-mode", arg: oneArg, noInvert: true},
	}, build: buildConnBytes})
	registerMatch(&matchDef{name: "connlabel", opts: []optSpec{
		{name: "label", arg: oneArg}, {name: "set", noInvert: true},
	}, build: buildConnLabel})
}

// cUint parses an unsigned number as strtoul with base 0 does (decimal,
// 0x hex, leading-0 octal), refusing values above max.
func cUint(s string, max uint64) (uint64, bool) {
	n, err := strtoul(s, 64)
	return n, err == nil && n <= max
}

// parseMarkMask parses "value[/mask]"; the mask defaults to all ones.
func parseMarkMask(s string) (value, mask uint32, ok bool) {
	v, m, hasMask := strings.Cut(s, "/")
	n, ok := cUint(v, math.MaxUint32)
	if !ok {
		return 0, 0, false
	}
	mask = math.MaxUint32
	if hasMask {
		mm, ok := cUint(m, math.MaxUint32)
		if !ok {
			return 0, 0, false
		}
		mask = uint32(mm)
	}
	return uint32(n), mask, true
}

// parseList parses a comma list of case-insensitive keywords, each of
// which may be abbreviated to a prefix (strncasecmp, as libxt_conntrack
// does); the first keyword in names order wins.
func parseList(s string, names []string) ([]int, string) {
	var out []int
	for _, item := range strings.Split(s, ",") {
		found := -1
		for i, n := range names {
			if item != "" && len(item) <= len(n) && strings.EqualFold(item, n[:len(item)]) {
				found = i
				break
			}
		}
		if found < 0 {
			return nil, item
		}
		out = append(out, found)
	}
	return out, ""
}

var (
	stateParseOrder  = []ir.CtState{ir.CtInvalid, ir.CtNew, ir.CtEstablished, ir.CtRelated, ir.CtUntracked, ir.CtSNAT, ir.CtDNAT}
	stateParseNames  = []string{"INVALID", "NEW", "ESTABLISHED", "RELATED", "UNTRACKED", "SNAT", "DNAT"}
	statusParseOrder = []ir.CtStatus{0, ir.CtExpected, ir.CtSeenReply, ir.CtAssured, ir.CtConfirmed}
	statusParseNames = []string{"NONE", "EXPECTED", "SEEN_REPLY", "ASSURED", "CONFIRMED"}
)

// parseStates parses a --state or --ctstate list; the state match knows
// only the first five states.
func parseStates(c *ctx, o *opt, n int, word string) (ir.CtState, bool) {
	idx, bad := parseList(o.arg(), stateParseNames[:n])
	if idx == nil {
		c.errorf(o.argPos(), "%s: bad %s %q (states are %s)", c.name, word, bad, strings.Join(stateParseNames[:n], ", "))
		return 0, false
	}
	var m ir.CtState
	for _, i := range idx {
		m |= stateParseOrder[i]
	}
	return m, true
}

func buildState(c *ctx) ir.Match {
	m := &ir.State{}
	for i := range c.opts {
		o := &c.opts[i]
		if !c.once(o) {
			continue
		}
		m.Neg = o.neg
		m.States, _ = parseStates(c, o, 5, "state")
	}
	if !c.has("state") {
		c.errorf(c.pos, "state: --state is required")
	}
	return m
}

func buildConntrack(c *ctx) ir.Match {
	m := &ir.Conntrack{}
	for i := range c.opts {
		o := &c.opts[i]
		if !c.once(o) {
			continue
		}
		switch o.name {
		case "ctstate":
			s, _ := parseStates(c, o, len(stateParseNames), "ctstate")
			m.State = &ir.State{Neg: o.neg, States: s}
		case "ctproto":
			p, err := parseProtocol(o.arg(), c.fam)
			if err != nil {
				c.errorf(o.argPos(), "conntrack: %v", err)
				continue
			}
			m.Proto = &ir.CtProto{Neg: o.neg, Num: p.Num}
		case "ctorigsrc":
			m.OrigSrc = ctAddr(c, o)
		case "ctorigdst":
			m.OrigDst = ctAddr(c, o)
		case "ctreplsrc":
			m.ReplSrc = ctAddr(c, o)
		case "ctrepldst":
			m.ReplDst = ctAddr(c, o)
		case "ctorigsrcport":
			m.OrigSrcPort = ctPorts(c, o)
		case "ctorigdstport":
			m.OrigDstPort = ctPorts(c, o)
		case "ctreplsrcport":
			m.ReplSrcPort = ctPorts(c, o)
		case "ctrepldstport":
			m.ReplDstPort = ctPorts(c, o)
		case "ctstatus":
			idx, bad := parseList(o.arg(), statusParseNames)
			if idx == nil {
				c.errorf(o.argPos(), "conntrack: bad ctstatus %q (statuses are %s)", bad, strings.Join(statusParseNames, ", "))
				continue
			}
			for _, j := range idx {
				m.Status |= statusParseOrder[j]
			}
			m.StatusSet, m.NegStatus = true, o.neg
		case "ctexpire":
			lo, hi, ok := parseRange(o.arg(), math.MaxUint32)
			if !ok {
				c.errorf(o.argPos(), "conntrack: bad --ctexpire %q (seconds, or a range MIN:MAX)", o.arg())
				continue
			}
			m.Expire = &ir.CtExpire{Neg: o.neg, Min: uint32(lo), Max: uint32(hi)}
		case "ctdir":
			switch strings.ToUpper(o.arg()) {
			case "ORIGINAL":
				m.Dir = ir.CtOriginal
			case "REPLY":
				m.Dir = ir.CtReply
			default:
				c.errorf(o.argPos(), "conntrack: bad --ctdir %q (ORIGINAL or REPLY)", o.arg())
			}
		}
	}
	if len(c.opts) == 0 {
		c.errorf(c.pos, "conntrack: at least one option is required")
	}
	return m
}

// parseRange parses "N", "N:M", "N:" and ":M" as xtables' *RC types do:
// a missing low end is 0, a missing high end is max. It does not reorder.
func parseRange(s string, max uint64) (lo, hi uint64, ok bool) {
	a, b, isRange := strings.Cut(s, ":")
	if !isRange {
		n, ok := cUint(s, max)
		return n, n, ok
	}
	if strings.Contains(b, ":") {
		return 0, 0, false
	}
	lo, hi = 0, max
	if a != "" {
		if lo, ok = cUint(a, max); !ok {
			return 0, 0, false
		}
	}
	if b != "" {
		if hi, ok = cUint(b, max); !ok {
			return 0, 0, false
		}
	}
	return lo, hi, true
}

func ctPorts(c *ctx, o *opt) *ir.CtPorts {
	r, err := parsePortRange(o.arg(), "")
	if err != nil {
		c.errorf(o.argPos(), "conntrack: %v", err)
		return nil
	}
	return &ir.CtPorts{Neg: o.neg, Lo: r.Lo, Hi: r.Hi}
}

// parsePlen parses a prefix length or a contiguous dotted mask, as
// xtables' XTTYPE_PLEN does.
func parsePlen(s string, f ir.Family) (int, bool) {
	// iptables 1.8.9 takes up to 128 for IPv4 too; the mask it builds
	// keeps 32 bits.
	if n, ok := xtUint(s, 0, 128); ok {
		return min(int(n), bitsOf(f)), true
	}
	m, err := netip.ParseAddr(s)
	if err != nil || m.BitLen() != bitsOf(f) {
		return 0, false
	}
	return maskBits(m)
}

func ctAddr(c *ctx, o *opt) *ir.CtAddr {
	host, mask, hasMask := strings.Cut(o.arg(), "/")
	a, ok := hostAddr(host, c.fam)
	if !ok {
		c.errorf(o.argPos(), "conntrack: --%s needs an %s address, not %q (host names are not resolved here)", o.name, famWord(c.fam), host)
		return nil
	}
	r := &ir.CtAddr{Neg: o.neg, Addr: a, Bits: a.BitLen()}
	if hasMask {
		n, ok := parsePlen(mask, c.fam)
		if !ok {
			c.errorf(o.argPos(), "conntrack: bad mask %q in --%s (a prefix length or a contiguous mask)", mask, o.name)
			return nil
		}
		r.Bits = n
	}
	return r
}

// buildMark serves mark and connmark, which share their one option.
func buildMark(c *ctx) ir.Match {
	var v, mask uint32
	neg := false
	for i := range c.opts {
		o := &c.opts[i]
		if !c.once(o) {
			continue
		}
		var ok bool
		if v, mask, ok = parseMarkMask(o.arg()); !ok {
			c.errorf(o.argPos(), "%s: bad mark %q (value[/mask], each at most 0xffffffff)", c.name, o.arg())
		}
		neg = o.neg
	}
	if !c.has("mark") {
		c.errorf(c.pos, "%s: --mark is required", c.name)
	}
	if c.name == "connmark" {
		return &ir.ConnMark{Neg: neg, Value: v, Mask: mask}
	}
	return &ir.Mark{Neg: neg, Value: v, Mask: mask}
}

// maxHelperName is xt_helper_info's name buffer less the NUL.
const maxHelperName = 29

func buildHelper(c *ctx) ir.Match {
	m := &ir.Helper{}
	for i := range c.opts {
		o := &c.opts[i]
		if !c.once(o) {
			continue
		}
		m.Name, _ = c.str(o, 0, maxHelperName+1)
		m.Neg = o.neg
	}
	if !c.has("helper") {
		c.errorf(c.pos, "helper: --helper is required")
	}
	return m
}

func buildConnLimit(c *ctx) ir.Match {
	m := &ir.ConnLimit{Bits: bitsOf(c.fam)}
	for i := range c.opts {
		o := &c.opts[i]
		if !c.once(o) {
			continue
		}
		switch o.name {
		case "connlimit-upto", "connlimit-above":
			n, ok := cUint(o.arg(), math.MaxUint32)
			if !ok {
				c.errorf(o.argPos(), "connlimit: bad --%s %q", o.name, o.arg())
			}
			m.Limit = uint32(n)
			m.Upto = (o.name == "connlimit-upto") != o.neg
		case "connlimit-mask":
			n, ok := parsePlen(o.arg(), c.fam)
			if !ok {
				c.errorf(o.argPos(), "connlimit: bad --connlimit-mask %q (0-%d)", o.arg(), bitsOf(c.fam))
			}
			m.Bits = n
		case "connlimit-saddr":
			m.DAddr = false
		case "connlimit-daddr":
			m.DAddr = true
		}
	}
	exclusive(c, "connlimit", "connlimit-upto", "connlimit-above")
	exclusive(c, "connlimit", "connlimit-saddr", "connlimit-daddr")
	if !c.has("connlimit-upto") && !c.has("connlimit-above") {
		c.errorf(c.pos, "connlimit: --connlimit-above or --connlimit-upto is required")
	}
	return m
}

// exclusive reports options that iptables refuses together.
func exclusive(c *ctx, mod string, names ...string) {
	var given []string
	var pos ir.Pos
	for i := range c.opts {
		for _, n := range names {
			if c.opts[i].name == n && !contains(given, n) {
				given = append(given, n)
				pos = c.opts[i].pos
			}
		}
	}
	if len(given) > 1 {
		c.errorf(pos, "%s: --%s cannot be used together", mod, strings.Join(given, " and --"))
	}
}

func buildConnBytes(c *ctx) ir.Match {
	m := &ir.ConnBytes{}
	for i := range c.opts {
		o := &c.opts[i]
		if !c.once(o) {
			continue
		}
		switch o.name {
		case "connbytes":
			lo, hi, ok := parseRange(o.arg(), math.MaxUint64)
			if !ok {
				c.errorf(o.argPos(), "connbytes: bad --connbytes %q (N, N: or N:M)", o.arg())
				continue
			}
			if !strings.Contains(o.arg(), ":") {
				hi = math.MaxUint64
			}
			if hi < lo {
				c.errorf(o.argPos(), "connbytes: %d should be less than %d", lo, hi)
			}
			m.From, m.To, m.Neg = lo, hi, o.neg
		case "connbytes-dir":
			switch d := ir.ConnBytesDir(o.arg()); d {
			case ir.ConnBytesOriginal, ir.ConnBytesReply, ir.ConnBytesBoth:
				m.Dir = d
			default:
				c.errorf(o.argPos(), "connbytes: unknown --connbytes-dir %q (original, reply or both)", o.arg())
			}
		case "connbytes-mode":
			switch md := ir.ConnBytesMode(o.arg()); md {
			case ir.ConnBytesPackets, ir.ConnBytesBytes, ir.ConnBytesAvgPkt:
				m.Mode = md
			default:
				c.errorf(o.argPos(), "connbytes: unknown --connbytes-mode %q (packets, bytes or avgpkt)", o.arg())
			}
		}
	}
	for _, n := range []string{"connbytes", "connbytes-dir", "connbytes-mode"} {
		if !c.has(n) {
			c.errorf(c.pos, "connbytes: --%s is required", n)
		}
	}
	return m
}

// maxLabelBit is XT_CONNLABEL_MAXBIT.
const maxLabelBit = 127

func buildConnLabel(c *ctx) ir.Match {
	m := &ir.ConnLabel{}
	for i := range c.opts {
		o := &c.opts[i]
		if !c.once(o) {
			continue
		}
		switch o.name {
		case "label":
			n, ok := cUint(o.arg(), maxLabelBit)
			if !ok {
				c.errorf(o.argPos(), "connlabel: label %q is not a bit number 0-%d (label names from connlabel.conf are not read)", o.arg(), maxLabelBit)
			}
			m.Bit, m.Neg = uint8(n), o.neg
		case "set":
			m.Set = true
		}
	}
	if !c.has("label") {
		c.errorf(c.pos, "connlabel: --label is required")
	}
	return m
}
