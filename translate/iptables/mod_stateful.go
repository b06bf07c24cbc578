package iptables

import (
	"math"
	"net/netip"
	"os/user"
	"strconv"
	"strings"

	"github.com/ruleshift/ruleshift/translate/ir"
)

// Rate limits (limit, hashlimit), recent and owner. The arithmetic mirrors
// iptables 1.8.9's libxt_limit.c and libxt_hashlimit.c so that the kernel
// values, and so iptables-save's output, come out the same.

func init() {
	registerMatch(&matchDef{name: "limit", opts: []optSpec{
		{name: "limit", arg: oneArg, noInvert: true}, {name: "limit-burst", arg: oneArg, noInvert: true},
	}, build: buildLimit})
	registerMatch(&matchDef{name: "hashlimit", opts: []optSpec{
		{name: "hashlimit-upto", arg: oneArg}, {name: "hashlimit-above", arg: oneArg},
		{name: "hashlimit", arg: oneArg},
		{name: "hashlimit-srcmask", arg: oneArg, noInvert: true}, {name: "hashlimit-dstmask", arg: oneArg, noInvert: true},
		{name: "hashlimit-burst", arg: oneArg, noInvert: true},
		{name: "hashlimit-htable-size", arg: oneArg, noInvert: true}, {name: "hashlimit-htable-max", arg: oneArg, noInvert: true},
		{name: "hashlimit-htable-gcinterval", arg: oneArg, noInvert: true},
		{name: "hashlimit-htable-expire", arg: oneArg, noInvert: true},
		{name: "hashlimit-mode", arg: oneArg, noInvert: true}, {name: "hashlimit-name", arg: oneArg, noInvert: true},
		{name: "hashlimit-rate-match", noInvert: true}, {name: "hashlimit-rate-interval", arg: oneArg, noInvert: true},
	}, build: buildHashlimit})
	registerMatch(&matchDef{name: "recent", opts: []optSpec{
		{name: "set"}, {name: "rcheck"}, {name: "update"}, {name: "remove"},
		{name: "seconds", arg: oneArg, noInvert: true}, {name: "reap", noInvert: true},
		{name: "hitcount", arg: oneArg, noInvert: true}, {name: "rttl", noInvert: true},
		{name: "name", arg: oneArg, noInvert: true}, {name: "rsource", noInvert: true},
		{name: "rdest", noInvert: true}, {name: "mask", arg: oneArg, noInvert: true},
	}, build: buildRecent})
	registerMatch(&matchDef{name: "owner", opts: []optSpec{
		{name: "uid-owner", arg: oneArg}, {name: "gid-owner", arg: oneArg},
		{name: "socket-exists"}, {name: "suppl-groups", noInvert: true},
	}, build: buildOwner})
}

// parseUint parses an unsigned number as xtables_strtoul does (base 0:
// decimal, 0x hex or 0 octal) and checks it against [lo, hi].
func parseUint(s string, lo, hi uint64) (uint64, bool) {
	v, err := strconv.ParseUint(s, 0, 64)
	if err != nil || v < lo || v > hi {
		return 0, false
	}
	return v, true
}

// atoll mimics C's atoll: leading digits, anything after them ignored.
func atoll(s string) uint64 {
	s = strings.TrimLeft(s, " \t")
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	v, err := strconv.ParseUint(s[:i], 10, 64)
	if err != nil {
		return 0
	}
	return v
}

// rateUnit resolves the unit of "N/unit": any prefix of second, minute,
// hour or day, as strncasecmp in parse_rate allows.
func rateUnit(s string) (uint64, bool) {
	rest, unit, has := strings.Cut(s, "/")
	_ = rest
	if !has {
		return 1, true
	}
	if unit == "" {
		return 0, false
	}
	u := strings.ToLower(unit)
	for _, c := range []struct {
		word string
		secs uint64
	}{{"second", 1}, {"minute", 60}, {"hour", 3600}, {"day", 86400}} {
		if strings.HasPrefix(c.word, u) {
			return c.secs, true
		}
	}
	return 0, false
}

// intOpt parses a numeric option argument, reporting iptables' message.
func intOpt(c *ctx, o *opt, lo, hi uint64) (uint64, bool) {
	v, ok := parseUint(o.arg(), lo, hi)
	if !ok {
		c.errorf(o.argPos(), "%s: bad value for option \"--%s\" %q, or out of range (%d-%d)", c.name, o.name, o.arg(), lo, hi)
	}
	return v, ok
}

func buildLimit(c *ctx) ir.Match {
	m := &ir.Limit{Avg: ir.LimitScale * 3600 / 3, Burst: 5}
	for i := range c.opts {
		o := &c.opts[i]
		if !c.once(o) {
			continue
		}
		switch o.name {
		case "limit":
			mult, ok := rateUnit(o.arg())
			r := atoll(o.arg())
			if !ok || r == 0 || r > math.MaxUint32 {
				c.errorf(o.argPos(), "limit: bad rate %q (give N/second, N/minute, N/hour or N/day)", o.arg())
				continue
			}
			avg := ir.LimitScale * mult / r
			if avg == 0 {
				c.errorf(o.argPos(), "limit: rate too fast %q (at most 10000/second)", o.arg())
				continue
			}
			m.Avg = uint32(avg)
		case "limit-burst":
			if v, ok := intOpt(c, o, 0, 10000); ok {
				m.Burst = uint32(v)
			}
		}
	}
	// xt_limit's checkentry refuses a zero burst and a rate times burst
	// that overflows 32 bits ("Numerical result out of range").
	if m.Burst == 0 {
		c.errorf(c.pos, "limit: --limit-burst 0 is refused by the kernel (give at least 1)")
	} else if uint64(m.Avg)*uint64(m.Burst) > math.MaxUint32 {
		c.errorf(c.pos, "limit: this rate with burst %d overflows the kernel's counter (the kernel refuses it): use a faster rate or a smaller burst", m.Burst)
	}
	return m
}

// hashlimit byte mode: XT_HASHLIMIT_BYTE_SHIFT and the cost conversions of
// libxt_hashlimit.c.
const hlByteShift = 4

func hlCostToBytes(cost uint64) uint64 {
	r := uint64(math.MaxUint32)
	if cost != 0 {
		r = math.MaxUint32 / cost
	}
	return (r - 1) << hlByteShift
}

func hlBytesToCost(b uint64) uint64 {
	r := uint32(b >> hlByteShift)
	return math.MaxUint32 / (uint64(r) + 1)
}

func sizeFactor(c byte) uint64 {
	switch c {
	case 'm':
		return 1024 * 1024
	case 'k':
		return 1024
	}
	return 1
}

// hlRate parses a hashlimit rate: "Nb/s", "Nkb/s", "Nmb/s" (bytes) or
// "N[/unit]" (packets). mult is the unit in seconds (15 for bytes).
func hlRate(s string) (avg uint64, bytes bool, mult uint64, ok bool) {
	if i := strings.Index(s, "b/s"); i > 0 {
		r := atoll(s)
		if r == 0 {
			return 0, false, 0, false
		}
		f := sizeFactor(s[i-1])
		if r > math.MaxUint64/f {
			return 0, false, 0, false
		}
		cost := hlBytesToCost(r * f)
		return cost, true, 15, cost != 0
	}
	mult, ok = rateUnit(s)
	r := atoll(s)
	if !ok || r == 0 {
		return 0, false, 0, false
	}
	return ir.HashlimitScale * mult / r, false, mult, true
}
