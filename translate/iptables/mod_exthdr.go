package iptables

import (
	"net/netip"
	"strings"

	"github.com/ruleshift/ruleshift/translate/ir"
)

// IPsec and IPv6 extension header matches: ah, esp, ipcomp, frag, hbh,
// dst, rt, mh, ipv6header, eui64.

func init() {
	inv := func(n string) optSpec { return optSpec{name: n, arg: oneArg} }
	flag := func(n string) optSpec { return optSpec{name: n, noInvert: true} }
	// libipt_ah and libip6t_ah share the name; --ahlen and --ahres are
	// refused for IPv4 in buildAH.
	registerMatch(&matchDef{name: "ah", opts: []optSpec{inv("ahspi"), inv("ahlen"), flag("ahres")}, build: buildAH})
	registerMatch(&matchDef{name: "esp", opts: []optSpec{inv("espspi")}, build: buildESP})
	registerMatch(&matchDef{name: "ipcomp", opts: []optSpec{inv("ipcompspi"), flag("compres")}, build: buildIPComp})
	registerMatch(&matchDef{name: "frag", family: ir.IPv6, opts: []optSpec{inv("fragid"), inv("fraglen"),
		flag("fragres"), flag("fragfirst"), flag("fragmore"), flag("fraglast")}, build: buildFrag})
	registerMatch(&matchDef{name: "hbh", family: ir.IPv6, opts: []optSpec{inv("hbh-len"),
		{name: "hbh-opts", arg: oneArg, noInvert: true}}, build: buildIPv6Opts})
	registerMatch(&matchDef{name: "dst", family: ir.IPv6, opts: []optSpec{inv("dst-len"),
		{name: "dst-opts", arg: oneArg, noInvert: true}}, build: buildIPv6Opts})
	registerMatch(&matchDef{name: "rt", family: ir.IPv6, opts: []optSpec{inv("rt-type"), inv("rt-segsleft"),
		inv("rt-len"), flag("rt-0-res"), {name: "rt-0-addrs", arg: oneArg, noInvert: true}, flag("rt-0-not-strict")}, build: buildRT})
	registerMatch(&matchDef{name: "mh", family: ir.IPv6, opts: []optSpec{inv("mh-type")}, build: buildMH})
	registerMatch(&matchDef{name: "ipv6header", family: ir.IPv6, opts: []optSpec{inv("header"), flag("soft")}, build: buildIPv6Header})
	registerMatch(&matchDef{name: "eui64", family: ir.IPv6, build: func(c *ctx) ir.Match {
		pkHooks(c, "PREROUTING", "INPUT", "FORWARD")
		return &ir.EUI64{}
	}})
}

// spiOpt parses an SPI or id range; a reversed range is kept as given,
// as iptables does (it then matches nothing).
func spiOpt(c *ctx, o *opt) (ir.U32Range, bool) {
	lo, hi, ok := pkRange(c, o, 0xffffffff)
	return ir.U32Range{Lo: uint32(lo), Hi: uint32(hi)}, ok
}

func buildAH(c *ctx) ir.Match {
	m := &ir.AH{V6: c.fam == ir.IPv6, SPI: ir.FullU32}
	for i := range c.opts {
		o := &c.opts[i]
		if !c.once(o) {
			continue
		}
		if !m.V6 && o.name != "ahspi" {
			c.errorf(o.pos, "ah: --%s is IPv6 only (ip6tables)", o.name)
			continue
		}
		switch o.name {
		case "ahspi":
			if r, ok := spiOpt(c, o); ok {
				m.SPI, m.NegSPI = r, o.neg
			}
		case "ahlen":
			if v, ok := pkNum(c, o, 0, 0xffffffff); ok {
				m.Len, m.NegLen = uint32(v), o.neg
			}
		case "ahres":
			m.Res = true
		}
	}
	if !m.V6 {
		requireProto(c, "ah", 51)
	}
	return m
}

func buildESP(c *ctx) ir.Match {
	m := &ir.ESP{SPI: ir.FullU32}
	for i := range c.opts {
		o := &c.opts[i]
		if c.once(o) {
			if r, ok := spiOpt(c, o); ok {
				m.SPI, m.NegSPI = r, o.neg
			}
		}
	}
	requireProto(c, "esp", 50)
	return m
}

func buildIPComp(c *ctx) ir.Match {
	m := &ir.IPComp{SPI: ir.FullU32}
	for i := range c.opts {
		o := &c.opts[i]
		if !c.once(o) {
			continue
		}
		if o.name == "compres" {
			m.Res = true
			continue
		}
		if r, ok := spiOpt(c, o); ok {
			m.SPI, m.NegSPI = r, o.neg
		}
	}
	requireProto(c, "ipcomp", 108)
	return m
}

func buildFrag(c *ctx) ir.Match {
	m := &ir.Frag{ID: ir.FullU32}
	pkExclusive(c, "fragmore", "fraglast")
	for i := range c.opts {
		o := &c.opts[i]
		if !c.once(o) {
			continue
		}
		switch o.name {
		case "fragid":
			if r, ok := spiOpt(c, o); ok {
				m.ID, m.NegID = r, o.neg
			}
		case "fraglen":
			if v, ok := pkNum(c, o, 0, 0xffffffff); ok {
				m.Len, m.NegLen = uint32(v), o.neg
			}
		case "fragres":
			m.Res = true
		case "fragfirst":
			m.First = true
		case "fragmore":
			m.More = true
		case "fraglast":
			m.Last = true
		}
	}
	return m
}

func buildIPv6Opts(c *ctx) ir.Match {
	m := &ir.IPv6Opts{Dst: c.name == "dst"}
	for i := range c.opts {
		o := &c.opts[i]
		if !c.once(o) {
			continue
		}
		if strings.HasSuffix(o.name, "-len") {
			if v, ok := pkNum(c, o, 0, 0xffffffff); ok {
				m.Len, m.NegLen = uint32(v), o.neg
			}
			continue
		}
		parts := strings.Split(o.arg(), ",")
		if len(parts) > 16 {
			c.errorf(o.argPos(), "%s: at most 16 options may be given", c.name)
			continue
		}
		for _, p := range parts {
			ts, ls, hasLen := strings.Cut(p, ":")
			// libip6t_hbh/dst's parse_opts_num: a base-0 strtoul whose
			// low 8 bits are kept; length 255 is "no length".
			t, ok := optsNum(ts)
			if !ok {
				c.errorf(o.argPos(), "%s: invalid option type %q", c.name, ts)
				continue
			}
			opt := ir.IPv6Opt{Type: t}
			if hasLen {
				l, ok := optsNum(ls)
				if !ok {
					c.errorf(o.argPos(), "%s: invalid option length %q", c.name, ls)
					continue
				}
				if t == 0 {
					c.errorf(o.argPos(), "%s: PAD0 has not got length", c.name)
					continue
				}
				if l != 0xff {
					opt.Len = &l
				}
			}
			m.Opts = append(m.Opts, opt)
		}
	}
	return m
}

func buildRT(c *ctx) ir.Match {
	m := &ir.RT{SegsLeft: ir.FullU32}
	for i := range c.opts {
		o := &c.opts[i]
		if !c.once(o) {
			continue
		}
		switch o.name {
		case "rt-type":
			if v, ok := pkNum(c, o, 0, 255); ok {
				t := uint8(v)
				m.Type, m.NegType = &t, o.neg
			}
		case "rt-segsleft":
			if r, ok := spiOpt(c, o); ok {
				m.SegsLeft, m.NegSegsLeft = r, o.neg
			}
		case "rt-len":
			if v, ok := pkNum(c, o, 0, 0xffffffff); ok {
				m.Len, m.NegLen = uint32(v), o.neg
			}
		case "rt-0-res":
			m.Res = true
		case "rt-0-addrs":
			buildRTAddrs(c, o, m)
		case "rt-0-not-strict":
			if m.Addrs == nil {
				c.errorf(o.pos, "rt: \"--rt-0-addrs ...\" required before \"--rt-0-not-strict\"")
			}
			m.NotStrict = true
		}
	}
	return m
}

func buildRTAddrs(c *ctx, o *opt, m *ir.RT) {
	if m.Type == nil || *m.Type != 0 || m.NegType {
		c.errorf(o.pos, "rt: \"--rt-type 0\" required before \"--rt-0-addrs\"")
		return
	}
	parts := strings.Split(o.arg(), ",")
	if len(parts) > 16 {
		c.errorf(o.argPos(), "rt: at most 16 addresses may be given")
		return
	}
	for _, p := range parts {
		a, err := netip.ParseAddr(p)
		if err != nil || !a.Is6() || a.Is4In6() || a.Zone() != "" {
			c.errorf(o.argPos(), "rt: invalid IPv6 address %q", p)
			return
		}
		m.Addrs = append(m.Addrs, a)
	}
}

var mhTypes = map[string]uint8{
	"binding-refresh-request": 0, "brr": 0, "home-test-init": 1, "hoti": 1,
	"careof-test-init": 2, "coti": 2, "home-test": 3, "hot": 3, "careof-test": 4, "cot": 4,
	"binding-update": 5, "bu": 5, "binding-acknowledgement": 6, "ba": 6,
	"binding-error": 7, "be": 7,
}

func mhType(s string) (uint8, bool) {
	if v, ok := mhTypes[strings.ToLower(s)]; ok {
		return v, true
	}
	n, err := strtoul(s, 8)
	return uint8(n), err == nil
}

func buildMH(c *ctx) ir.Match {
	m := &ir.MH{Lo: 0, Hi: 255}
	for i := range c.opts {
		o := &c.opts[i]
		if !c.once(o) {
			continue
		}
		a, b, isRange := strings.Cut(o.arg(), ":")
		lo, ok1 := mhType(a)
		hi, ok2 := lo, true
		if isRange {
			hi, ok2 = mhType(b)
		}
		if !ok1 || !ok2 {
			c.errorf(o.argPos(), "mh: invalid MH type %q", o.arg())
			continue
		}
		m.Neg, m.Lo, m.Hi = o.neg, lo, hi
	}
	requireProto(c, "mh", 135)
	return m
}

var ipv6HeaderWords = map[string]ir.IPv6HeaderSet{
	"hop": 0x80, "hop-by-hop": 0x80, "0": 0x80,
	"dst": 0x40, "ipv6-opts": 0x40, "60": 0x40,
	"route": 0x20, "ipv6-route": 0x20, "43": 0x20,
	"frag": 0x10, "ipv6-frag": 0x10, "44": 0x10,
	"auth": 0x08, "ah": 0x08, "51": 0x08,
	"esp": 0x04, "50": 0x04,
	"none": 0x02, "ipv6-nonxt": 0x02, "59": 0x02,
	"prot": 0x01, "protocol": 0x01, "255": 0x01,
}

func buildIPv6Header(c *ctx) ir.Match {
	m := &ir.IPv6Header{}
	for i := range c.opts {
		o := &c.opts[i]
		if !c.once(o) {
			continue
		}
		if o.name == "soft" {
			m.Soft = true
			continue
		}
		m.Neg = o.neg
		for _, w := range strings.Split(o.arg(), ",") {
			b, ok := ipv6HeaderWords[w] // names are case-sensitive
			if !ok {
				c.errorf(o.argPos(), "ipv6header: unknown header %q specified", w)
				continue
			}
			m.Headers |= b
		}
	}
	if !c.has("header") {
		c.errorf(c.pos, "ipv6header: option \"--header\" must be specified")
	}
	return m
}

// Helpers shared by the packet and extension header matches.

// pkUint parses an unsigned number the way strtoul(s, NULL, 0) does:
// decimal, 0x hex or 0 octal.
func pkUint(s string, bits int) (uint64, error) { return strtoul(s, bits) }

// pkValueMask parses "value[/mask]", each a pkUint of the given width;
// the mask defaults to all ones.
func pkValueMask(s string, bits int) (v, mask uint64, ok bool) {
	vs, ms, hasMask := strings.Cut(s, "/")
	v, err1 := pkUint(vs, bits)
	mask = 1<<bits - 1
	var err2 error
	if hasMask {
		mask, err2 = pkUint(ms, bits)
	}
	return v, mask, err1 == nil && err2 == nil
}

// pkNum parses the option's argument as a number in [lo, hi].
func pkNum(c *ctx, o *opt, lo, hi uint64) (uint64, bool) {
	n, err := pkUint(o.arg(), 64)
	if err != nil || n < lo || n > hi {
		c.errorf(o.argPos(), "%s: bad value for option \"--%s\" %q, or out of range (%d-%d)", c.name, o.name, o.arg(), lo, hi)
		return 0, false
	}
	return n, true
}

// pkRange parses "N", "N:M", ":M" or "N:" with values up to max, as
// xtables' UINT*RC option types do.
func pkRange(c *ctx, o *opt, max uint64) (lo, hi uint64, ok bool) {
	s := o.arg()
	a, b, isRange := strings.Cut(s, ":")
	bad := func() (uint64, uint64, bool) {
		c.errorf(o.argPos(), "%s: bad value for option \"--%s\" %q, or out of range (0-%d)", c.name, o.name, s, max)
		return 0, 0, false
	}
	num := func(t string, def uint64) (uint64, bool) {
		if t == "" {
			return def, true
		}
		n, err := pkUint(t, 64)
		return n, err == nil && n <= max
	}
	var ok1, ok2 bool
	if lo, ok1 = num(a, 0); !ok1 || (a == "" && !isRange) {
		return bad()
	}
	hi = lo
	if isRange {
		if hi, ok2 = num(b, max); !ok2 {
			return bad()
		}
	}
	return lo, hi, true
}

// exclusive reports an error when both options were given.
func pkExclusive(c *ctx, a, b string) {
	if c.has(a) && c.has(b) {
		for i := range c.opts {
			if c.opts[i].name == b {
				c.errorf(c.opts[i].pos, "%s: option \"--%s\" cannot be used together with \"--%s\"", c.name, b, a)
				return
			}
		}
	}
}

// pkHookChains are the chains whose hook is known from the name alone.
var pkHookChains = map[string]bool{"PREROUTING": true, "INPUT": true, "FORWARD": true, "OUTPUT": true, "POSTROUTING": true}

// pkHooks reports an error when the rule goes to a built-in chain the
// kernel refuses the match in. A user chain is checked by the kernel only
// when it is jumped to, so it is left alone here.
func pkHooks(c *ctx, allowed ...string) {
	if !pkHookChains[c.chain] {
		return
	}
	for _, a := range allowed {
		if a == c.chain {
			return
		}
	}
	c.errorf(c.pos, "%s: the kernel allows this match only in %s, not in %s", c.name, strings.Join(allowed, ", "), c.chain)
}

// optsNum reads one number of --hbh-opts / --dst-opts: strtoul base 0 over
// the whole word, its low 8 bits kept.
func optsNum(s string) (uint8, bool) {
	v, n, overflow := strtoumax(s, 0)
	if n == 0 || overflow || n != len(s) {
		return 0, false
	}
	return uint8(v), true
}
