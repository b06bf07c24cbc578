package iptables

import (
	"encoding/hex"
	"math"
	"strings"
	"time"

	"github.com/ruleshift/ruleshift/translate/ir"
)

// set, string, u32, time, statistic, quota, policy and physdev, after
// iptables 1.8.9's libxt_*.c.

func init() {
	registerMatch(&matchDef{name: "set", opts: []optSpec{
		{name: "match-set", arg: twoArgs}, {name: "set", arg: twoArgs},
		{name: "return-nomatch", noInvert: true}, {name: "update-counters"},
		{name: "update-subcounters"},
		{name: "packets-eq", arg: oneArg}, {name: "packets-lt", arg: oneArg, noInvert: true},
		{name: "packets-gt", arg: oneArg, noInvert: true},
		{name: "bytes-eq", arg: oneArg}, {name: "bytes-lt", arg: oneArg, noInvert: true},
		{name: "bytes-gt", arg: oneArg, noInvert: true},
	}, build: buildSet})
	registerMatch(&matchDef{name: "string", opts: []optSpec{
		{name: "from", arg: oneArg, noInvert: true}, {name: "to", arg: oneArg, noInvert: true},
		{name: "algo", arg: oneArg, noInvert: true}, {name: "string", arg: oneArg},
		{name: "hex-string", arg: oneArg}, {name: "icase", noInvert: true},
	}, build: buildString})
	registerMatch(&matchDef{name: "u32", opts: []optSpec{{name: "u32", arg: oneArg}}, build: buildU32})
	registerMatch(&matchDef{name: "time", opts: []optSpec{
		{name: "datestart", arg: oneArg, noInvert: true}, {name: "datestop", arg: oneArg, noInvert: true},
		{name: "timestart", arg: oneArg, noInvert: true}, {name: "timestop", arg: oneArg, noInvert: true},
		{name: "contiguous", noInvert: true}, {name: "weekdays", arg: oneArg}, {name: "monthdays", arg: oneArg},
		{name: "localtz", noInvert: true}, {name: "utc", noInvert: true}, {name: "kerneltz", noInvert: true},
	}, build: buildTime})
	registerMatch(&matchDef{name: "statistic", opts: []optSpec{
		{name: "mode", arg: oneArg, noInvert: true}, {name: "probability", arg: oneArg},
		{name: "every", arg: oneArg}, {name: "packet", arg: oneArg, noInvert: true},
	}, build: buildStatistic})
	registerMatch(&matchDef{name: "quota", opts: []optSpec{{name: "quota", arg: oneArg}}, build: buildQuota})
	registerMatch(&matchDef{name: "policy", opts: []optSpec{
		{name: "dir", arg: oneArg, noInvert: true}, {name: "pol", arg: oneArg, noInvert: true},
		{name: "strict", noInvert: true}, {name: "reqid", arg: oneArg}, {name: "spi", arg: oneArg},
		{name: "tunnel-src", arg: oneArg}, {name: "tunnel-dst", arg: oneArg},
		{name: "proto", arg: oneArg}, {name: "mode", arg: oneArg}, {name: "next", noInvert: true},
	}, build: buildPolicy})
	registerMatch(&matchDef{name: "physdev", opts: []optSpec{
		{name: "physdev-in", arg: oneArg}, {name: "physdev-out", arg: oneArg},
		{name: "physdev-is-in"}, {name: "physdev-is-out"}, {name: "physdev-is-bridged"},
	}, build: buildPhysdev})
}

func buildSet(c *ctx) ir.Match {
	m := &ir.SetMatch{}
	for i := range c.opts {
		o := &c.opts[i]
		name := o.name
		if name == "set" {
			name = "match-set"
		}
		if !c.once(&opt{name: name, pos: o.pos}) {
			continue
		}
		switch name {
		case "match-set":
			m.Neg, m.Name = o.neg, o.args[0].Text
			if m.Name == "" || len(m.Name) >= 32 {
				c.errorf(o.args[0].Pos, "set: set name %q must be 1 to 31 characters long", m.Name)
			}
			flags := strings.Split(o.args[1].Text, ",")
			if len(flags) > 6 {
				c.errorf(o.args[1].Pos, "set: at most 6 src/dst flags")
			}
			for _, f := range flags {
				switch f {
				case "src":
					m.Dirs = append(m.Dirs, ir.Src)
				case "dst":
					m.Dirs = append(m.Dirs, ir.Dst)
				default:
					c.errorf(o.args[1].Pos, "set: flag %q is not src or dst", f)
				}
			}
		case "return-nomatch":
			m.ReturnNomatch = true
		case "update-counters":
			// "! --update-counters" is how iptables spells "do not".
			m.NoUpdateCounters = o.neg
		case "update-subcounters":
			m.NoUpdateSubCounters = o.neg
		default:
			v, ok := intOpt(c, o, 0, math.MaxUint64)
			if !ok {
				continue
			}
			what, op, _ := strings.Cut(name, "-")
			if what == "packets" {
				m.PacketsOp, m.NegPackets, m.Packets = ir.CmpOp(op), o.neg, v
			} else {
				m.BytesOp, m.NegBytes, m.Bytes = ir.CmpOp(op), o.neg, v
			}
		}
	}
	if m.Name == "" && !c.has("match-set") && !c.has("set") {
		c.errorf(c.pos, "set: --match-set NAME FLAGS is required")
	}
	return m
}

func buildString(c *ctx) ir.Match {
	m := &ir.String{To: math.MaxUint16}
	for i := range c.opts {
		o := &c.opts[i]
		if !c.once(o) {
			continue
		}
		switch o.name {
		case "from", "to":
			if v, ok := intOpt(c, o, 0, math.MaxUint16); ok {
				if o.name == "from" {
					m.From = uint16(v)
				} else {
					m.To = uint16(v)
				}
			}
		case "algo":
			m.Algo = ir.StringAlgo(o.arg())
			if m.Algo != "bm" && m.Algo != "kmp" {
				c.errorf(o.argPos(), "string: unknown --algo %q (bm or kmp)", m.Algo)
			}
		case "string", "hex-string":
			if m.Pattern != nil {
				c.errorf(o.pos, "string: only one of --string and --hex-string may be given")
				continue
			}
			m.Neg = o.neg
			p, err := []byte(o.arg()), error(nil)
			if o.name == "hex-string" {
				p, err = parseHexString(o.arg())
			}
			if err != nil || len(p) == 0 || len(p) > 128 {
				c.errorf(o.argPos(), "string: bad pattern %q (1 to 128 bytes; hex bytes go between |…|)", o.arg())
				continue
			}
			m.Pattern = p
		case "icase":
			m.ICase = true
		}
	}
	if m.Algo == "" {
		c.errorf(c.pos, "string: --algo is required")
	}
	if m.Pattern == nil && !c.has("string") && !c.has("hex-string") {
		c.errorf(c.pos, "string: --string or --hex-string is required")
	}
	if m.From > m.To {
		c.errorf(c.pos, "string: --from %d is beyond --to %d (the kernel refuses it)", m.From, m.To)
	}
	return m
}

// parseHexString decodes iptables' --hex-string syntax: text with byte
// values between pipes ("|0d 0a|GET"), spaces allowed inside the pipes.
func parseHexString(s string) ([]byte, error) {
	var out []byte
	parts := strings.Split(s, "|")
	if len(parts)%2 == 0 {
		return nil, hex.ErrLength
	}
	for i, p := range parts {
		if i%2 == 0 {
			out = append(out, p...)
			continue
		}
		b, err := hex.DecodeString(strings.ReplaceAll(p, " ", ""))
		if err != nil {
			return nil, err
		}
		out = append(out, b...)
	}
	return out, nil
}

func buildU32(c *ctx) ir.Match {
	m := &ir.U32{}
	for i := range c.opts {
		o := &c.opts[i]
		if !c.once(o) {
			continue
		}
		m.Neg, m.Expr = o.neg, o.arg()
		// Every u32 test starts with a number (the location); libxt_u32
		// refuses anything else at char 0.
		t := strings.TrimLeft(m.Expr, " \t")
		if t == "" || t[0] < '0' || t[0] > '9' || strings.ContainsAny(m.Expr, "\"\\") {
			c.errorf(o.argPos(), "u32: invalid expression %q", m.Expr)
		}
	}
	if !c.has("u32") {
		c.errorf(c.pos, "u32: --u32 is required")
	}
	return m
}

func buildStatistic(c *ctx) ir.Match {
	m := &ir.Statistic{}
	mode := ""
	for i := range c.opts {
		o := &c.opts[i]
		if !c.once(o) {
			continue
		}
		if o.neg {
			m.Neg = true
		}
		switch o.name {
		case "mode":
			mode = o.arg()
			if mode != "random" && mode != "nth" {
				c.errorf(o.argPos(), "statistic: bad --mode %q (random or nth)", mode)
			}
			m.Nth = mode == "nth"
		case "probability":
			p, err := parseFloat(strings.TrimLeft(o.arg(), " \t\n\v\f\r")) // strtod skips blanks
			if err != nil || p < 0 || p > 1 {
				c.errorf(o.argPos(), "statistic: --probability %q must be a number from 0 to 1", o.arg())
				continue
			}
			m.Probability = uint32(math.Round(p * 0x80000000))
		case "every":
			if v, ok := intOpt(c, o, 1, math.MaxUint32); ok {
				m.Every = uint32(v - 1)
			}
		case "packet":
			if v, ok := intOpt(c, o, 0, math.MaxUint32); ok {
				m.Packet = uint32(v)
			}
		}
	}
	switch {
	case mode == "":
		c.errorf(c.pos, "statistic: --mode is required")
	case mode == "random" && (!c.has("probability") || c.has("every") || c.has("packet")):
		c.errorf(c.pos, "statistic: random mode takes --probability (and not --every or --packet)")
	case mode == "nth" && (!c.has("every") || !c.has("packet") || c.has("probability")):
		c.errorf(c.pos, "statistic: nth mode takes --every and --packet (and not --probability)")
	case m.Nth && m.Packet > m.Every:
		c.errorf(c.pos, "statistic: --packet must be from 0 to --every minus 1")
	}
	return m
}

func buildQuota(c *ctx) ir.Match {
	m := &ir.Quota{}
	for i := range c.opts {
		o := &c.opts[i]
		if !c.once(o) {
			continue
		}
		if v, ok := intOpt(c, o, 0, math.MaxUint64); ok {
			m.Neg, m.Bytes = o.neg, v
		}
	}
	if !c.has("quota") {
		c.errorf(c.pos, "quota: --quota is required")
	}
	return m
}

func buildPhysdev(c *ctx) ir.Match {
	m := &ir.Physdev{}
	for i := range c.opts {
		o := &c.opts[i]
		if !c.once(o) {
			continue
		}
		switch o.name {
		case "physdev-in", "physdev-out":
			if err := checkIfaceName(o.arg()); err != nil || o.arg() == "" {
				c.errorf(o.argPos(), "physdev: invalid interface name %q", o.arg())
				continue
			}
			if o.name == "physdev-in" {
				m.In, m.NegIn = o.arg(), o.neg
			} else {
				m.Out, m.NegOut = o.arg(), o.neg
			}
		case "physdev-is-in":
			m.IsIn, m.NegIsIn = true, o.neg
		case "physdev-is-out":
			m.IsOut, m.NegIsOut = true, o.neg
		case "physdev-is-bridged":
			m.IsBridged, m.NegIsBridged = true, o.neg
		}
	}
	if len(c.opts) == 0 {
		c.errorf(c.pos, "physdev: at least one option is required")
	}
	return m
}

// Time: dates are UTC seconds since 1970, as xt_time takes them.

var weekdayNames = []string{"", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}

func parseTimeDate(s string) (uint32, bool) {
	// libxt_time's time_parse_date: decimal strtoul fields, each followed
	// by its separator or the end ("2024-01-01T" is midnight); month 0
	// and day 0 are normalised as mktime does.
	f := []uint64{0, 1, 1, 0, 0, 0}
	max := []uint64{2038, 12, 31, 23, 59, 59}
	seps := []byte{'-', '-', 'T', ':', ':', 0}
	for i := 0; i < 6; i++ {
		v, n, _ := strtoumax(s, 10)
		s = s[n:]
		if (s != "" && s[0] != seps[i]) || v > max[i] || (i == 0 && v < 1970) {
			return 0, false
		}
		f[i] = v
		if s == "" {
			break
		}
		s = s[1:]
	}
	t := time.Date(int(f[0]), time.Month(f[1]), int(f[2]), int(f[3]), int(f[4]), int(f[5]), 0, time.UTC).Unix()
	if t < 0 || t > math.MaxUint32 {
		return 0, false
	}
	return uint32(t), true
}

// minute [':' second]; an empty field is 0 ("9:00:").
func parseDaytime(s string) (uint32, bool) {
	h, n, _ := strtoumax(s, 10)
	s = s[n:]
	if !strings.HasPrefix(s, ":") || h > 23 {
		return 0, false
	}
	m, n, _ := strtoumax(s[1:], 10)
	s = s[1+n:]
	if (s != "" && s[0] != ':') || m > 59 {
		return 0, false
	}
	var sec uint64
	if s != "" {
		sec, n, _ = strtoumax(s[1:], 10)
		if n != len(s)-1 || sec > 59 {
			return 0, false
		}
	}
	return uint32(h*3600 + m*60 + sec), true
}
