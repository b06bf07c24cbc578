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
	v, err := strtoul(s, 64)
	return v, err == nil && v >= lo && v <= hi
}

// atoll mimics C's atoll: leading digits, anything after them ignored.
func atoll(s string) uint64 {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	s = strings.TrimPrefix(s, "+")
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

func buildHashlimit(c *ctx) ir.Match {
	plen := uint64(32)
	if c.fam == ir.IPv6 {
		plen = 128
	}
	m := &ir.Hashlimit{Burst: 5, GCInterval: 1000, SrcMask: uint8(plen), DstMask: uint8(plen)}
	var mult uint64 = 1
	var burstOpt *opt
	rated, expireSet := false, false
	for i := range c.opts {
		o := &c.opts[i]
		if !c.once(o) {
			continue
		}
		switch o.name {
		case "hashlimit-upto", "hashlimit-above", "hashlimit":
			if rated {
				c.errorf(o.pos, "hashlimit: only one of --hashlimit-upto and --hashlimit-above may be given")
				continue
			}
			rated = true
			m.Above = (o.name == "hashlimit-above") != o.neg
			avg, bytes, mu, ok := hlRate(o.arg())
			if !ok {
				c.errorf(o.argPos(), "hashlimit: bad rate %q for --%s (N/sec, N/min, N/hour, N/day, or Nb/s, Nkb/s, Nmb/s)", o.arg(), o.name)
				continue
			}
			if avg == 0 {
				c.errorf(o.argPos(), "hashlimit: rate too fast %q (at most 1000000/second)", o.arg())
				continue
			}
			m.Avg, m.Bytes, mult = avg, bytes, mu
		case "hashlimit-burst":
			burstOpt = o
		case "hashlimit-mode":
			m.Mode = 0
			for _, tok := range strings.FieldsFunc(o.arg(), func(r rune) bool { return r == ',' || r == '|' }) {
				switch tok {
				case "srcip":
					m.Mode |= ir.HashSrcIP
				case "dstip":
					m.Mode |= ir.HashDstIP
				case "srcport":
					m.Mode |= ir.HashSrcPort
				case "dstport":
					m.Mode |= ir.HashDstPort
				default:
					c.errorf(o.argPos(), "hashlimit: bad --hashlimit-mode %q (a list of srcip, srcport, dstip, dstport)", tok)
				}
			}
		case "hashlimit-srcmask", "hashlimit-dstmask":
			if v, ok := intOpt(c, o, 0, plen); ok {
				if o.name == "hashlimit-srcmask" {
					m.SrcMask = uint8(v)
				} else {
					m.DstMask = uint8(v)
				}
			}
		case "hashlimit-name":
			m.Name, _ = c.str(o, 1, 255)
		case "hashlimit-htable-size", "hashlimit-htable-max", "hashlimit-htable-gcinterval", "hashlimit-htable-expire":
			v, ok := intOpt(c, o, 0, math.MaxUint32)
			if !ok {
				continue
			}
			switch o.name {
			case "hashlimit-htable-size":
				m.Size = uint32(v)
			case "hashlimit-htable-max":
				m.Max = uint32(v)
			case "hashlimit-htable-gcinterval":
				m.GCInterval = uint32(v)
			default:
				m.Expire, expireSet = uint32(v), true
			}
		case "hashlimit-rate-match":
			m.RateMatch = true
		case "hashlimit-rate-interval":
			n := atoll(o.arg())
			if n == 0 || n > math.MaxInt32 || (o.arg() != "" && o.arg()[0] == '-') {
				c.errorf(o.argPos(), "hashlimit: bad --hashlimit-rate-interval %q (a positive number of seconds)", o.arg())
				continue
			}
			m.Interval = uint32(n)
		}
	}
	if !rated {
		c.errorf(c.pos, "hashlimit: --hashlimit-upto or --hashlimit-above is required")
		return nil
	}
	if m.Name == "" && !c.has("hashlimit-name") {
		c.errorf(c.pos, "hashlimit: --hashlimit-name is required")
	}
	hashlimitFinish(c, m, burstOpt, mult, expireSet)
	return m
}

// hashlimitFinish applies hashlimit_mt_check: default expiry, the burst in
// byte mode, and rate-match's per-interval rate.
func hashlimitFinish(c *ctx, m *ir.Hashlimit, burstOpt *opt, mult uint64, expireSet bool) {
	if !expireSet {
		m.Expire = uint32(mult * 1000)
	}
	if burstOpt != nil {
		s := burstOpt.arg()
		v, i, overflow := strtoumax(s, 0)
		if strings.HasPrefix(strings.TrimLeft(s, " \t"), "-") || i == 0 || overflow || v < 1 || (i == len(s) && v > 1000000) {
			c.errorf(burstOpt.argPos(), "hashlimit: bad value %q for --hashlimit-burst, or out of range (1-1000000)", s)
			return
		}
		if i < len(s) {
			v *= sizeFactor(s[i])
		}
		m.Burst = v
	}
	if m.Bytes {
		var burst uint64
		if burstOpt != nil {
			unit := hlCostToBytes(m.Avg)
			if m.Burst < unit {
				c.errorf(burstOpt.argPos(), "hashlimit: burst cannot be smaller than %db", unit)
				return
			}
			burst = (m.Burst + unit - 1) / unit
			if !expireSet {
				m.Expire = 60000
			}
		}
		m.Burst = burst
	} else if m.Burst > 1000000 {
		c.errorf(burstOpt.argPos(), "hashlimit: --hashlimit-burst %d is out of range (1-1000000)", m.Burst)
	}
	if m.RateMatch {
		if !m.Bytes {
			m.Avg /= mult
		}
		if m.Interval == 0 {
			m.Interval = uint32(mult)
			if m.Bytes {
				m.Interval = 1
			}
		}
	} else {
		// The kernel keeps the interval only with rate-match; iptables
		// never prints it otherwise.
		m.Interval = 0
	}
	if m.GCInterval == 0 || m.Expire == 0 {
		c.errorf(c.pos, "hashlimit: the kernel refuses a zero --hashlimit-htable-gcinterval or --hashlimit-htable-expire")
	}
	// xt_hashlimit cuts a size or max above HASHLIMIT_MAX_SIZE down to it.
	if m.Size > 1<<20 || m.Max > 1<<20 {
		c.warnf(c.pos, "hashlimit: the kernel cuts a hash table size or max above %d down to %d", 1<<20, 1<<20)
		m.Size, m.Max = min(m.Size, 1<<20), min(m.Max, 1<<20)
	}
}

var recentCmds = map[string]ir.RecentCmd{"set": ir.RecentSet, "rcheck": ir.RecentCheck, "update": ir.RecentUpdate, "remove": ir.RecentRemove}

func buildRecent(c *ctx) ir.Match {
	m := &ir.Recent{Name: "DEFAULT", Mask: allOnes(c.fam)}
	for i := range c.opts {
		o := &c.opts[i]
		if !c.once(o) {
			continue
		}
		if cmd, ok := recentCmds[o.name]; ok {
			if m.Cmd != "" {
				c.errorf(o.pos, "recent: only one of --set, --rcheck, --update and --remove may be given")
				continue
			}
			m.Cmd, m.Neg = cmd, o.neg
			continue
		}
		switch o.name {
		case "seconds", "hitcount":
			lo := uint64(1)
			if o.name == "hitcount" {
				lo = 0
			}
			if v, ok := intOpt(c, o, lo, math.MaxUint32); ok {
				if o.name == "seconds" {
					m.Seconds = uint32(v)
				} else {
					m.HitCount = uint32(v)
				}
			}
		case "reap":
			m.Reap = true
		case "rttl":
			m.TTL = true
		case "name":
			m.Name, _ = c.str(o, 0, 200)
			if m.Name == "" || strings.Contains(m.Name, "/") {
				c.errorf(o.argPos(), "recent: invalid --name %q: the kernel takes 1 to 199 characters without \"/\"", m.Name)
			}
		case "rsource":
			m.Dest = false
		case "rdest":
			m.Dest = true
		case "mask":
			a, ok := hostAddr(o.arg(), c.fam)
			if !ok {
				c.errorf(o.argPos(), "recent: invalid --mask %q: give an %s address", o.arg(), famWord(c.fam))
				continue
			}
			m.Mask = a
		}
	}
	recentCheck(c, m)
	return m
}

// recentCheck mirrors recent_check in iptables and recent_mt_check in the
// kernel, which returns EINVAL for these combinations.
func recentCheck(c *ctx, m *ir.Recent) {
	switch {
	case m.Cmd == "":
		c.errorf(c.pos, "recent: one of --set, --rcheck, --update or --remove is required")
	case m.Reap && m.Seconds == 0:
		c.errorf(c.pos, "recent: --reap needs --seconds")
	case m.TTL && (m.Cmd == ir.RecentSet || m.Cmd == ir.RecentRemove):
		c.errorf(c.pos, "recent: --rttl cannot be used with --%s", m.Cmd)
	case (m.Cmd == ir.RecentSet || m.Cmd == ir.RecentRemove) && (m.Seconds != 0 || m.HitCount != 0 || m.Reap):
		c.errorf(c.pos, "recent: --seconds, --hitcount and --reap only make sense with --rcheck or --update (the kernel refuses them with --%s)", m.Cmd)
	}
}

func allOnes(f ir.Family) netip.Addr {
	if f == ir.IPv6 {
		var b [16]byte
		for i := range b {
			b[i] = 0xff
		}
		return netip.AddrFrom16(b)
	}
	return netip.AddrFrom4([4]byte{255, 255, 255, 255})
}

// LookupUser and LookupGroup resolve owner names to ids, as iptables does
// with getpwnam/getgrnam at parse time. Tests replace them.
var (
	LookupUser = func(name string) (uint32, bool) {
		u, err := user.Lookup(name)
		if err != nil {
			return 0, false
		}
		n, err := strconv.ParseUint(u.Uid, 10, 32)
		return uint32(n), err == nil
	}
	LookupGroup = func(name string) (uint32, bool) {
		g, err := user.LookupGroup(name)
		if err != nil {
			return 0, false
		}
		n, err := strconv.ParseUint(g.Gid, 10, 32)
		return uint32(n), err == nil
	}
)

func ownerID(c *ctx, o *opt, lookup func(string) (uint32, bool)) *ir.IDRange {
	s := o.arg()
	if id, ok := lookup(s); ok {
		return &ir.IDRange{Min: id, Max: id, Name: s}
	}
	lo, hi, isRange := strings.Cut(s, "-")
	if !isRange {
		lo, hi, isRange = strings.Cut(s, ":")
	}
	a, ok1 := parseUint(lo, 0, math.MaxUint32-1)
	b, ok2 := a, true
	if isRange {
		b, ok2 = parseUint(hi, 0, math.MaxUint32-1)
	}
	if !ok1 || !ok2 || lo == "" {
		what := "user"
		if o.name == "gid-owner" {
			what = "group"
		}
		c.errorf(o.argPos(), "owner: %q is not a known %s here nor a number or range (iptables needs the number: add the %s or give its id)", s, what, what)
		return nil
	}
	if a > b {
		c.errorf(o.argPos(), "owner: range %q is reversed (the kernel refuses it)", s)
		return nil
	}
	return &ir.IDRange{Min: uint32(a), Max: uint32(b)}
}

func buildOwner(c *ctx) ir.Match {
	m := &ir.Owner{}
	for i := range c.opts {
		o := &c.opts[i]
		if !c.once(o) {
			continue
		}
		switch o.name {
		case "uid-owner":
			m.UID, m.NegUID = ownerID(c, o, LookupUser), o.neg
		case "gid-owner":
			m.GID, m.NegGID = ownerID(c, o, LookupGroup), o.neg
		case "socket-exists":
			m.SocketExists, m.NegSocket = true, o.neg
		case "suppl-groups":
			if !c.has("gid-owner") {
				c.errorf(o.pos, "owner: --suppl-groups needs --gid-owner")
			}
			m.SupplGroups = true
		}
	}
	if !c.has("uid-owner") && !c.has("gid-owner") && !m.SocketExists {
		c.errorf(c.pos, "owner: at least one of --uid-owner, --gid-owner or --socket-exists is required")
	}
	return m
}
