package iptables

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/ruleshift/ruleshift/internal/netfilter"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// Core matches: the protocol matches, multiport and comment.

func init() {
	registerMatch(&matchDef{name: "tcp", opts: []optSpec{
		{name: "source-port", arg: oneArg}, {name: "sport", arg: oneArg},
		{name: "destination-port", arg: oneArg}, {name: "dport", arg: oneArg},
		{name: "syn"}, {name: "tcp-flags", arg: twoArgs}, {name: "tcp-option", arg: oneArg},
	}, build: buildTCP})
	registerMatch(&matchDef{name: "udp", opts: []optSpec{
		{name: "source-port", arg: oneArg}, {name: "sport", arg: oneArg},
		{name: "destination-port", arg: oneArg}, {name: "dport", arg: oneArg},
	}, build: buildUDP})
	registerMatch(&matchDef{name: "sctp", opts: []optSpec{
		{name: "source-port", arg: oneArg}, {name: "sport", arg: oneArg},
		{name: "destination-port", arg: oneArg}, {name: "dport", arg: oneArg},
		{name: "chunk-types", arg: twoArgs},
	}, build: buildSCTP})
	registerMatch(&matchDef{name: "icmp", family: ir.IPv4, opts: []optSpec{
		{name: "icmp-type", arg: oneArg},
	}, build: buildICMP})
	registerMatch(&matchDef{name: "icmp6", aliases: []string{"icmpv6", "ipv6-icmp"}, family: ir.IPv6, opts: []optSpec{
		{name: "icmpv6-type", arg: oneArg},
	}, build: buildICMP})
	registerMatch(&matchDef{name: "multiport", opts: []optSpec{
		{name: "source-ports", arg: oneArg}, {name: "sports", arg: oneArg},
		{name: "destination-ports", arg: oneArg}, {name: "dports", arg: oneArg},
		{name: "ports", arg: oneArg},
	}, build: buildMultiport})
	registerMatch(&matchDef{name: "comment", opts: []optSpec{
		{name: "comment", arg: oneArg, noInvert: true},
	}, build: buildComment})
}

// requireProto reports an error unless the rule's -p is one of nums; the
// kernel refuses protocol matches on other protocols.
func requireProto(c *ctx, what string, nums ...uint8) bool {
	if c.protoIs(nums...) {
		return true
	}
	if c.lenient {
		c.warnf(c.pos, "%s match without \"-p %s\": the kernel would refuse this rule", c.name, what)
		return true
	}
	c.errorf(c.pos, "%s match needs \"-p %s\" (the kernel refuses it for other protocols)", c.name, what)
	return false
}

func portOpt(c *ctx, o *opt) *ir.PortRange {
	r, err := parsePortRange(o.arg(), c.name)
	if err != nil {
		c.errorf(o.argPos(), "%s: %v", c.name, err)
		return nil
	}
	return &r
}

// onePortOpt parses a --sport or --dport of the tcp, udp and dccp matches
// into *ports and *neg; these matches take each direction only once.
func onePortOpt(c *ctx, o *opt, dir string, ports **ir.PortRange, neg *bool) {
	if *ports != nil {
		c.errorf(o.pos, "%s: only one %s port allowed", c.name, dir)
	}
	*ports, *neg = portOpt(c, o), o.neg
}

func buildTCP(c *ctx) ir.Match {
	m := &ir.TCP{}
	for i := range c.opts {
		o := &c.opts[i]
		switch o.name {
		case "source-port", "sport":
			onePortOpt(c, o, "source", &m.SrcPorts, &m.NegSrc)
		case "destination-port", "dport":
			onePortOpt(c, o, "destination", &m.DstPorts, &m.NegDst)
		case "syn":
			if m.Flags != nil {
				c.errorf(o.pos, "tcp: only one of --syn and --tcp-flags allowed")
			}
			m.Flags = &ir.TCPFlags{Neg: o.neg, Mask: 0x17, Comp: 0x02}
		case "tcp-flags":
			if m.Flags != nil {
				c.errorf(o.pos, "tcp: only one of --syn and --tcp-flags allowed")
			}
			mask, err1 := parseTCPFlags(o.args[0].Text)
			comp, err2 := parseTCPFlags(o.args[1].Text)
			if err1 != nil {
				c.errorf(o.args[0].Pos, "tcp: %v", err1)
			}
			if err2 != nil {
				c.errorf(o.args[1].Pos, "tcp: %v", err2)
			}
			m.Flags = &ir.TCPFlags{Neg: o.neg, Mask: mask, Comp: comp}
		case "tcp-option":
			n, err := strtoul(o.arg(), 8)
			if err != nil {
				c.errorf(o.argPos(), "tcp: invalid TCP option %q", o.arg())
				continue
			}
			v := uint8(n)
			m.Option, m.NegOption = &v, o.neg
		}
	}
	requireProto(c, "tcp", 6)
	return m
}

var tcpFlagBits = map[string]uint8{
	"FIN": 0x01, "SYN": 0x02, "RST": 0x04, "PSH": 0x08, "ACK": 0x10, "URG": 0x20,
	"ALL": 0x3f, "NONE": 0,
}

func parseTCPFlags(s string) (uint8, error) {
	var v uint8
	for _, f := range strings.Split(s, ",") {
		if f == "" {
			continue // strtok skips empty pieces
		}
		b, ok := tcpFlagBits[strings.ToUpper(f)]
		if !ok {
			return 0, fmt.Errorf("unknown TCP flag %q (flags are FIN, SYN, RST, PSH, ACK, URG, ALL, NONE)", f)
		}
		v |= b
	}
	return v, nil
}

func buildUDP(c *ctx) ir.Match {
	m := &ir.UDP{}
	for i := range c.opts {
		o := &c.opts[i]
		switch o.name {
		case "source-port", "sport":
			onePortOpt(c, o, "source", &m.SrcPorts, &m.NegSrc)
		case "destination-port", "dport":
			onePortOpt(c, o, "destination", &m.DstPorts, &m.NegDst)
		}
	}
	requireProto(c, "udp", 17)
	return m
}

// sctpChunkFlags maps libxt_sctp's chunk names to the flag letters each
// takes ("-" is in every string there, so iptables takes it too). ALL
// and NONE are only taken alone.
var sctpChunkFlags = map[string]string{
	"DATA": "----IUBE", "INIT": "--------", "INIT_ACK": "--------", "SACK": "--------",
	"HEARTBEAT": "--------", "HEARTBEAT_ACK": "--------", "ABORT": "-------T", "SHUTDOWN": "--------",
	"SHUTDOWN_ACK": "--------", "ERROR": "--------", "COOKIE_ECHO": "--------", "COOKIE_ACK": "--------",
	"ECN_ECNE": "--------", "ECN_CWR": "--------", "SHUTDOWN_COMPLETE": "-------T", "I_DATA": "----IUBE",
	"RE_CONFIG": "--------", "PAD": "--------", "ASCONF": "--------", "ASCONF_ACK": "--------",
	"FORWARD_TSN": "--------", "I_FORWARD_TSN": "--------",
}

func buildSCTP(c *ctx) ir.Match {
	m := &ir.SCTP{}
	for i := range c.opts {
		o := &c.opts[i]
		switch o.name {
		case "source-port", "sport":
			m.SrcPorts, m.NegSrc = portOpt(c, o), o.neg
		case "destination-port", "dport":
			m.DstPorts, m.NegDst = portOpt(c, o), o.neg
		case "chunk-types":
			how := strings.ToLower(o.args[0].Text)
			if how != "all" && how != "any" && how != "only" {
				c.errorf(o.args[0].Pos, "sctp: --chunk-types takes all, any or only, not %q", o.args[0].Text)
				continue
			}
			m.ChunkMatch, m.NegChunks = ir.SCTPChunkMatch(how), o.neg
			list := o.args[1].Text
			if strings.EqualFold(list, "ALL") || strings.EqualFold(list, "NONE") {
				m.Chunks = append(m.Chunks, ir.SCTPChunk{Name: ir.SCTPChunkType(strings.ToUpper(list))})
				continue
			}
			for _, ch := range strings.Split(list, ",") {
				if ch == "" {
					continue // strtok skips empty pieces
				}
				name, flags, _ := strings.Cut(ch, ":")
				name = strings.ToUpper(name)
				valid, known := sctpChunkFlags[name]
				if !known {
					c.errorf(o.args[1].Pos, "sctp: unknown chunk type %q", name)
					continue
				}
				var fl ir.SCTPChunkFlags
				for _, f := range flags {
					// libxt_sctp: the first occurrence of the letter in
					// the chunk's table, counted from bit 7 down.
					i := strings.IndexRune(valid, unicode.ToUpper(f))
					if i < 0 {
						c.errorf(o.args[1].Pos, "sctp: invalid flag %q for chunk type %s (it takes %s)", unicode.ToUpper(f), name, strings.Trim(valid, "-"))
						break
					}
					fl.Mask |= 1 << (7 - i)
					if unicode.IsUpper(f) {
						fl.Value |= 1 << (7 - i)
					}
				}
				m.Chunks = append(m.Chunks, ir.SCTPChunk{Name: ir.SCTPChunkType(name), Flags: fl})
			}
		}
	}
	requireProto(c, "sctp", 132)
	return m
}

func buildICMP(c *ctx) ir.Match {
	v6 := c.fam == ir.IPv6
	m := &ir.ICMP{V6: v6}
	given := false
	for i := range c.opts {
		o := &c.opts[i]
		if !c.once(o) {
			continue
		}
		given = true
		m.Neg = o.neg
		t, err := parseICMPType(o.arg(), v6)
		if err != nil {
			c.errorf(o.argPos(), "%v", err)
			continue
		}
		t.V6, t.Neg = v6, o.neg
		*m = t
	}
	if v6 {
		requireProto(c, "ipv6-icmp", 58)
	} else {
		requireProto(c, "icmp", 1)
	}
	if !given {
		// "-m icmp" alone matches any type, as in iptables.
		m.Any = true
	}
	return m
}

func icmpWord(v6 bool) string {
	if v6 {
		return "ICMPv6"
	}
	return "ICMP"
}

// multiportRange reads one element of a multiport list: a port or
// FIRST:LAST, each end through xtables_parse_port with the rule's
// protocol; an empty end or a range whose start is not below its end is
// refused.
func multiportRange(part, proto string) (ir.PortRange, error) {
	lo, hi, isRange := strings.Cut(part, ":")
	a, err := parsePort(lo, proto)
	if err != nil {
		return ir.PortRange{}, err
	}
	if !isRange {
		return ir.PortRange{Lo: a, Hi: a}, nil
	}
	b, err := parsePort(hi, proto)
	if err != nil {
		return ir.PortRange{}, err
	}
	if a >= b {
		return ir.PortRange{}, fmt.Errorf("invalid portrange %q specified (the first port must be below the second)", part)
	}
	return ir.PortRange{Lo: a, Hi: b}, nil
}

func buildMultiport(c *ctx) ir.Match {
	m := &ir.Multiport{}
	proto := ""
	if c.proto != nil {
		proto = netfilter.ProtoName(c.proto.Num)
	}
	n := 0
	for i := range c.opts {
		o := &c.opts[i]
		n++
		if n > 1 {
			c.errorf(o.pos, "multiport: only one of --sports, --dports and --ports may be given")
			continue
		}
		switch o.name {
		case "source-ports", "sports":
			m.Dir = ir.Src
		case "destination-ports", "dports":
			m.Dir = ir.Dst
		default:
			m.Dir = ir.Both
		}
		m.Neg = o.neg
		count := 0
		col := 0
		for _, part := range strings.Split(o.arg(), ",") {
			pos := o.argPos()
			pos.Col += col
			col += len(part) + 1
			r, err := multiportRange(part, proto)
			if err != nil {
				c.errorf(pos, "multiport: %v", err)
				continue
			}
			count++
			if !r.Single() {
				count++
			}
			m.Ports = append(m.Ports, r)
		}
		if count > 15 {
			c.errorf(o.argPos(), "multiport: too many ports specified (at most 15, a range counts as two)")
		}
	}
	if n == 0 {
		c.errorf(c.pos, "multiport: one of --sports, --dports or --ports is required")
	}
	if !c.protoIs(6, 17, 33, 132, 136) {
		c.errorf(c.pos, "multiport needs \"-p tcp\", \"-p udp\", \"-p udplite\", \"-p sctp\" or \"-p dccp\"")
	}
	return m
}

// maxComment is XT_MAX_COMMENT_LEN less the terminating NUL.
const maxComment = 255

func buildComment(c *ctx) ir.Match {
	m := &ir.Comment{}
	for i := range c.opts {
		o := &c.opts[i]
		if !c.once(o) {
			continue
		}
		m.Text, _ = c.str(o, 0, maxComment+1)
	}
	if !c.has("comment") {
		c.errorf(c.pos, "comment: --comment is required")
	}
	return m
}
