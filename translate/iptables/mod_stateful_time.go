package iptables

import (
	"math"
	"strconv"
	"strings"

	"github.com/ruleshift/ruleshift/translate/ir"
)

func parseFloat(s string) (float64, error) { return strconv.ParseFloat(s, 64) }

func buildTime(c *ctx) ir.Match {
	m := &ir.Time{DateStop: ir.TimeMaxDate, DaytimeStop: ir.TimeMaxDaytime,
		Weekdays: ir.TimeAllWeekdays, Monthdays: ir.TimeAllMonthdays}
	utc := false
	for i := range c.opts {
		o := &c.opts[i]
		if !c.once(o) {
			continue
		}
		switch o.name {
		case "datestart", "datestop":
			v, ok := parseTimeDate(o.arg())
			if !ok {
				c.errorf(o.argPos(), "time: invalid date %q (YYYY[-MM[-DD[Thh[:mm[:ss]]]]], 1970 to 2038)", o.arg())
			} else if o.name == "datestart" {
				m.DateStart = v
			} else {
				m.DateStop = v
			}
		case "timestart", "timestop":
			v, ok := parseDaytime(o.arg())
			if !ok {
				c.errorf(o.argPos(), "time: invalid time %q (hh:mm[:ss])", o.arg())
			} else if o.name == "timestart" {
				m.DaytimeStart = v
			} else {
				m.DaytimeStop = v
			}
		case "contiguous":
			m.Contiguous = true
		case "weekdays":
			m.Weekdays = timeWeekdays(c, o)
		case "monthdays":
			m.Monthdays = timeMonthdays(c, o)
		case "localtz", "kerneltz":
			if utc {
				c.errorf(o.pos, "time: --%s and --utc exclude each other", o.name)
			}
			m.KernelTZ = true
		case "utc":
			if m.KernelTZ {
				c.errorf(o.pos, "time: --utc and --kerneltz exclude each other")
			}
			utc = true
		}
	}
	if m.Contiguous && m.DaytimeStart < m.DaytimeStop {
		c.errorf(c.pos, "time: --contiguous only makes sense when --timestop is before --timestart")
	}
	return m
}

// timeSegments splits a --weekdays or --monthdays list as libxt_time's
// my_strseg does: ',' separated, each piece cut to width bytes, nothing
// after a trailing ','.
func timeSegments(s string, width int) []string {
	var out []string
	for s != "" {
		seg, rest, more := strings.Cut(s, ",")
		if len(seg) > width {
			seg = seg[:width]
		}
		out = append(out, seg)
		if !more {
			break
		}
		s = rest
	}
	return out
}

// timeWeekdays reads --weekdays as libxt_time does: each piece (cut to 3
// bytes, so "Monday" is "Mon") is a base-0 number, or a day whose first
// two letters match, case-sensitively ("Mo", "Mon"; not "mon").
func timeWeekdays(c *ctx, o *opt) uint8 {
	var v uint8
	for _, d := range timeSegments(o.arg(), 3) {
		if n, m, _ := strtoumax(d, 0); m == len(d) {
			if n == 0 {
				c.errorf(o.argPos(), "time: weekday %q: the week begins with Monday (1 Monday to 7 Sunday)", d)
				continue
			}
			if n < 8 {
				v |= 1 << n
			}
			continue
		}
		found := false
		for i := 1; i <= 7; i++ {
			if len(d) >= 2 && d[:2] == weekdayNames[i][:2] {
				v |= 1 << i
				found = true
			}
		}
		if !found {
			hint := ""
			for i := 1; i <= 7; i++ {
				if len(d) >= 2 && strings.EqualFold(d[:2], weekdayNames[i][:2]) {
					hint = " (day names are case-sensitive: Mon, Tue, Wed, Thu, Fri, Sat, Sun)"
				}
			}
			c.errorf(o.argPos(), "time: %q is not a valid day specifier%s", d, hint)
		}
	}
	if o.neg {
		v ^= ir.TimeAllWeekdays
	}
	return v
}

// timeMonthdays reads --monthdays: pieces cut to 2 bytes, each a base-0
// number up to 31 (an empty piece is 0, which matches no day).
func timeMonthdays(c *ctx, o *opt) uint32 {
	var v uint32
	for _, d := range timeSegments(o.arg(), 2) {
		n, m, _ := strtoumax(d, 0)
		if m != len(d) || n > 31 {
			c.errorf(o.argPos(), "time: %q is not a valid day for --monthdays (1-31)", d)
			continue
		}
		v |= 1 << n
	}
	if o.neg {
		v ^= ir.TimeAllMonthdays
	}
	return v
}

var policyProtos = map[string]uint8{"ah": 51, "esp": 50, "ipcomp": 108, "comp": 108}

func buildPolicy(c *ctx) ir.Match {
	m := &ir.IPsecPolicy{}
	var cur *ir.PolicyElem
	elem := func() *ir.PolicyElem {
		if cur == nil {
			m.Elems = append(m.Elems, ir.PolicyElem{})
			cur = &m.Elems[len(m.Elems)-1]
		}
		return cur
	}
	seen := map[string]bool{}
	dir, pol := false, false
	for i := range c.opts {
		o := &c.opts[i]
		switch o.name {
		case "dir", "pol", "strict":
			if !c.once(o) {
				continue
			}
		case "next":
			if cur == nil {
				c.errorf(o.pos, "policy: --next needs a policy element before it")
			}
			cur, seen = nil, map[string]bool{}
			if len(m.Elems) >= 4 {
				c.errorf(o.pos, "policy: at most 4 policy elements")
			}
			continue
		default:
			if seen[o.name] {
				c.errorf(o.pos, "policy: --%s given twice in one element", o.name)
				continue
			}
			seen[o.name] = true
		}
		policyOpt(c, o, m, elem, &dir, &pol)
	}
	if !dir {
		c.errorf(c.pos, "policy: --dir in|out is required")
	}
	if !pol {
		c.errorf(c.pos, "policy: --pol none|ipsec is required")
	}
	if c.has("next") && !m.Strict {
		c.errorf(c.pos, "policy: --next needs --strict")
	}
	if m.Strict && len(m.Elems) == 0 {
		c.errorf(c.pos, "policy: --strict needs at least one policy element")
	}
	if !m.IPsec && len(m.Elems) > 0 {
		c.errorf(c.pos, "policy: policy elements only make sense with --pol ipsec")
	}
	return m
}

func policyOpt(c *ctx, o *opt, m *ir.IPsecPolicy, elem func() *ir.PolicyElem, dir, pol *bool) {
	switch o.name {
	case "dir":
		*dir = true
		switch o.arg() {
		case "in":
		case "out":
			m.Out = true
		default:
			c.errorf(o.argPos(), "policy: --dir takes in or out, not %q", o.arg())
		}
	case "pol":
		*pol = true
		switch o.arg() {
		case "none":
		case "ipsec":
			m.IPsec = true
		default:
			c.errorf(o.argPos(), "policy: --pol takes none or ipsec, not %q", o.arg())
		}
	case "strict":
		m.Strict = true
	case "reqid", "spi":
		v, ok := intOpt(c, o, 0, math.MaxUint32)
		if !ok {
			return
		}
		x := uint32(v)
		e := elem()
		if o.name == "reqid" {
			e.ReqID, e.NegReqID = &x, o.neg
		} else {
			e.SPI, e.NegSPI = &x, o.neg
		}
	case "proto":
		// XTTYPE_PROTOCOL: a base-0 number or a name, case-sensitive.
		n, ok := policyProtos[o.arg()]
		if !ok {
			if v, err := strtoul(o.arg(), 8); err == nil && (v == 50 || v == 51 || v == 108) {
				n, ok = uint8(v), true
			}
		}
		if !ok {
			c.errorf(o.argPos(), "policy: --proto takes ah, esp or ipcomp, not %q", o.arg())
			return
		}
		e := elem()
		e.Proto, e.NegProto = &n, o.neg
	case "mode":
		if o.arg() != "transport" && o.arg() != "tunnel" {
			c.errorf(o.argPos(), "policy: --mode takes transport or tunnel, not %q", o.arg())
			return
		}
		e := elem()
		e.Mode, e.NegMode = ir.PolicyMode(o.arg()), o.neg
	case "tunnel-src", "tunnel-dst":
		// XTTYPE_HOSTMASK: an inet_aton address ("10.1" is 10.0.0.1)
		// and a prefix length or contiguous mask.
		host, mask, hasMask := strings.Cut(o.arg(), "/")
		ip, ok := hostAddr(host, c.fam)
		bits := bitsOf(c.fam)
		if ok && hasMask {
			bits, ok = parsePlen(mask, c.fam)
		}
		if !ok {
			c.errorf(o.argPos(), "policy: --%s takes an address or network, not %q", o.name, o.arg())
			return
		}
		p, _ := ip.Prefix(bits)
		e := elem()
		if o.name == "tunnel-src" {
			e.TunnelSrc, e.NegTunnelSrc = &p, o.neg
		} else {
			e.TunnelDst, e.NegTunnelDst = &p, o.neg
		}
	}
}
