package iptables

import (
	"fmt"
	"strings"

	"github.com/ruleshift/ruleshift/translate/ir"
)

// Core targets: the built-in verdicts, REJECT, LOG and NFLOG.

func init() {
	for _, k := range []ir.VerdictKind{ir.Accept, ir.Drop, ir.Return} {
		k := k
		registerTarget(&targetDef{name: string(k), build: func(*ctx) ir.Target { return &ir.Verdict{Kind: k} }})
	}
	// ipt_REJECT and ip6t_REJECT declare table "filter" and the INPUT,
	// FORWARD and OUTPUT hooks: the kernel refuses REJECT elsewhere
	// (EINVAL), seen on Linux 6.x with iptables 1.8.9.
	registerTarget(&targetDef{name: "REJECT", tables: []string{"filter"}, hooks: []string{"INPUT", "FORWARD", "OUTPUT"}, opts: []optSpec{{name: "reject-with", arg: oneArg, noInvert: true}}, build: buildReject})
	registerTarget(&targetDef{name: "LOG", opts: []optSpec{
		{name: "log-level", arg: oneArg, noInvert: true}, {name: "log-prefix", arg: oneArg, noInvert: true},
		{name: "log-tcp-sequence", noInvert: true}, {name: "log-tcp-options", noInvert: true},
		{name: "log-ip-options", noInvert: true}, {name: "log-uid", noInvert: true},
		{name: "log-macdecode", noInvert: true},
	}, build: buildLog})
	registerTarget(&targetDef{name: "NFLOG", opts: []optSpec{
		{name: "nflog-group", arg: oneArg, noInvert: true}, {name: "nflog-prefix", arg: oneArg, noInvert: true},
		{name: "nflog-range", arg: oneArg, noInvert: true}, {name: "nflog-size", arg: oneArg, noInvert: true},
		{name: "nflog-threshold", arg: oneArg, noInvert: true},
	}, build: buildNFLog})
}

// rejectType is one --reject-with type: its name and alias, in the order
// of libipt_REJECT's and libip6t_REJECT's tables, which take the first
// entry that the argument is a case-insensitive prefix of ("icmp-port"
// is icmp-port-unreachable; "icmp" is the first entry).
type rejectType struct{ name, alias string }

var (
	rejectV4 = []rejectType{
		{"icmp-net-unreachable", "net-unreach"}, {"icmp-host-unreachable", "host-unreach"},
		{"icmp-proto-unreachable", "proto-unreach"}, {"icmp-port-unreachable", "port-unreach"},
		{"icmp-net-prohibited", "net-prohib"}, {"icmp-host-prohibited", "host-prohib"},
		{"tcp-reset", "tcp-rst"}, {"icmp-admin-prohibited", "admin-prohib"},
	}
	rejectV6 = []rejectType{
		{"icmp6-no-route", "no-route"}, {"icmp6-adm-prohibited", "adm-prohibited"},
		{"icmp6-addr-unreachable", "addr-unreach"}, {"icmp6-port-unreachable", "port-unreach"},
		{"tcp-reset", "tcp-reset"}, {"icmp6-policy-fail", "policy-fail"},
		{"icmp6-reject-route", "reject-route"},
	}
)

func hasPrefixFold(s, prefix string) bool {
	return len(prefix) <= len(s) && strings.EqualFold(s[:len(prefix)], prefix)
}

func findReject(arg string, types []rejectType) (string, bool) {
	for _, t := range types {
		if hasPrefixFold(t.name, arg) || hasPrefixFold(t.alias, arg) {
			return t.name, true
		}
	}
	return "", false
}

func buildReject(c *ctx) ir.Target {
	t := &ir.Reject{With: ir.RejectPortUnreach}
	types, other := rejectV4, rejectV6
	if c.fam == ir.IPv6 {
		t.With, types, other = ir.Reject6PortUnreach, rejectV6, rejectV4
	}
	for i := range c.opts {
		o := &c.opts[i]
		if !c.once(o) {
			continue
		}
		w, ok := findReject(o.arg(), types)
		if !ok {
			msg := fmt.Sprintf("REJECT: unknown reject type %q", o.arg())
			if _, isOther := findReject(o.arg(), other); isOther {
				msg += fmt.Sprintf(" (it is a type of the other family; this rule is %s)", famWord(c.fam))
			} else if c.fam == ir.IPv4 && strings.EqualFold(o.arg(), "port-unreachable") {
				msg += " (iptables takes icmp-port-unreachable or port-unreach)"
			}
			c.errorf(o.argPos(), "%s", msg)
			continue
		}
		t.With = ir.RejectWith(w)
	}
	if t.With == ir.RejectTCPReset && !c.protoIs(6) {
		c.errorf(c.pos, "REJECT --reject-with tcp-reset needs \"-p tcp\" (the kernel refuses it otherwise)")
	}
	return t
}

// logLevels are the names xtables' XTTYPE_SYSLOGLEVEL takes, in lower
// case only (bsearch with strcmp): iptables 1.8.9 refuses "DEBUG",
// "warn" and "err".
var logLevels = map[string]int{
	"emerg": 0, "panic": 0, "alert": 1, "crit": 2, "error": 3,
	"warning": 4, "notice": 5, "info": 6, "debug": 7,
}

// logLevel reads --log-level: a base-0 number 0-7 or a level name.
func logLevel(c *ctx, o *opt) int {
	if n, ok := xtUint(o.arg(), 0, 7); ok {
		return int(n)
	}
	s := o.arg()
	if n, ok := logLevels[s]; ok {
		return n
	}
	hint := ""
	switch low := strings.ToLower(s); {
	case low == "warn":
		hint = " (iptables takes \"warning\" or 4)"
	case low == "err":
		hint = " (iptables takes \"error\" or 3)"
	case logLevels[low] != 0 || low == "emerg" || low == "panic":
		hint = fmt.Sprintf(" (level names are lower case: %q)", low)
	}
	c.errorf(o.argPos(), "%s: log level %q unknown%s", c.name, s, hint)
	return -1
}

// maxLogPrefix is the kernel's LOG prefix buffer less the NUL.
const maxLogPrefix = 29

func buildLog(c *ctx) ir.Target {
	t := &ir.Log{}
	for i := range c.opts {
		o := &c.opts[i]
		if !c.once(o) {
			continue
		}
		switch o.name {
		case "log-level":
			t.Level = ir.LogLevelOf(logLevel(c, o))
		case "log-prefix":
			t.Prefix, _ = c.str(o, 1, maxLogPrefix+1)
			if strings.ContainsRune(o.arg(), '\n') {
				c.errorf(o.argPos(), "LOG: newlines are not allowed in --log-prefix")
			}
		case "log-tcp-sequence":
			t.TCPSequence = true
		case "log-tcp-options":
			t.TCPOptions = true
		case "log-ip-options":
			t.IPOptions = true
		case "log-uid":
			t.UID = true
		case "log-macdecode":
			t.MACDecode = true
		}
	}
	return t
}

// maxNFLogPrefix is the NFLOG prefix buffer less the NUL.
const maxNFLogPrefix = 63

func buildNFLog(c *ctx) ir.Target {
	t := &ir.NFLog{}
	num := func(o *opt, bits int) uint64 {
		n, err := strtoul(o.arg(), bits)
		if err != nil {
			c.errorf(o.argPos(), "NFLOG: invalid --%s %q", o.name, o.arg())
		}
		return n
	}
	for i := range c.opts {
		o := &c.opts[i]
		if !c.once(o) {
			continue
		}
		switch o.name {
		case "nflog-group":
			t.Group = uint16(num(o, 16))
		case "nflog-prefix":
			t.Prefix, _ = c.str(o, 1, maxNFLogPrefix+1)
		case "nflog-range":
			t.Range = uint32(num(o, 32))
		case "nflog-size":
			t.Range, t.SizeSet = uint32(num(o, 32)), true
		case "nflog-threshold":
			t.Threshold = uint16(num(o, 16))
		}
	}
	if c.has("nflog-range") && c.has("nflog-size") {
		c.errorf(c.pos, "NFLOG: --nflog-range and --nflog-size cannot be used together")
	}
	return t
}
