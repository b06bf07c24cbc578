package iptables

import (
	"strconv"
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

// rejectAliases maps every spelling iptables takes to the canonical name.
var rejectV4 = map[string]string{
	"icmp-net-unreachable": "icmp-net-unreachable", "net-unreach": "icmp-net-unreachable",
	"icmp-host-unreachable": "icmp-host-unreachable", "host-unreach": "icmp-host-unreachable",
	"icmp-proto-unreachable": "icmp-proto-unreachable", "proto-unreach": "icmp-proto-unreachable",
	"icmp-port-unreachable": "icmp-port-unreachable", "port-unreach": "icmp-port-unreachable",
	"icmp-net-prohibited": "icmp-net-prohibited", "net-prohib": "icmp-net-prohibited",
	"icmp-host-prohibited": "icmp-host-prohibited", "host-prohib": "icmp-host-prohibited",
	"icmp-admin-prohibited": "icmp-admin-prohibited", "admin-prohib": "icmp-admin-prohibited",
	"tcp-reset": "tcp-reset", "tcp-rst": "tcp-reset",
}

var rejectV6 = map[string]string{
	"icmp6-no-route": "icmp6-no-route", "no-route": "icmp6-no-route",
	"icmp6-adm-prohibited": "icmp6-adm-prohibited", "adm-prohibited": "icmp6-adm-prohibited",
	"icmp6-addr-unreachable": "icmp6-addr-unreachable", "addr-unreach": "icmp6-addr-unreachable",
	"icmp6-port-unreachable": "icmp6-port-unreachable", "port-unreach": "icmp6-port-unreachable",
	"icmp6-policy-fail": "icmp6-policy-fail", "policy-fail": "icmp6-policy-fail",
	"icmp6-reject-route": "icmp6-reject-route", "reject-route": "icmp6-reject-route",
	"tcp-reset": "tcp-reset", "tcp-rst": "tcp-reset",
}

func buildReject(c *ctx) ir.Target {
	t := &ir.Reject{With: "icmp-port-unreachable"}
	names := rejectV4
	if c.fam == ir.IPv6 {
		t.With, names = "icmp6-port-unreachable", rejectV6
	}
	for i := range c.opts {
		o := &c.opts[i]
		if !c.once(o) {
			continue
		}
		w, ok := names[strings.ToLower(o.arg())]
		if !ok {
			other := rejectV6
			if c.fam == ir.IPv6 {
				other = rejectV4
			}
			if _, isOther := other[strings.ToLower(o.arg())]; isOther {
				c.errorf(o.argPos(), "REJECT: --reject-with %s is for the other family (this rule is %s)", o.arg(), famWord(c.fam))
			} else {
				c.errorf(o.argPos(), "REJECT: unknown --reject-with type %q", o.arg())
			}
			continue
		}
		t.With = w
	}
	if t.With == "tcp-reset" && !c.protoIs(6) {
		c.errorf(c.pos, "REJECT --reject-with tcp-reset needs \"-p tcp\" (the kernel refuses it otherwise)")
	}
	return t
}

var logLevels = map[string]int{
	"emerg": 0, "panic": 0, "alert": 1, "crit": 2, "err": 3, "error": 3,
	"warning": 4, "warn": 4, "notice": 5, "info": 6, "debug": 7,
}

// maxLogPrefix is the kernel's LOG prefix buffer less the NUL.
const maxLogPrefix = 29

func buildLog(c *ctx) ir.Target {
	t := &ir.Log{Level: -1}
	for i := range c.opts {
		o := &c.opts[i]
		if !c.once(o) {
			continue
		}
		switch o.name {
		case "log-level":
			if n, err := strconv.Atoi(o.arg()); err == nil && n >= 0 && n <= 7 {
				t.Level = n
			} else if n, ok := logLevels[strings.ToLower(o.arg())]; ok {
				t.Level = n
			} else {
				c.errorf(o.argPos(), "LOG: invalid log level %q", o.arg())
			}
		case "log-prefix":
			t.Prefix = o.arg()
			if len(t.Prefix) > maxLogPrefix {
				c.errorf(o.argPos(), "LOG: prefix is %d bytes; the kernel allows at most %d", len(t.Prefix), maxLogPrefix)
			}
			if strings.ContainsRune(t.Prefix, '\n') {
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
		n, err := strconv.ParseUint(o.arg(), 10, bits)
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
			t.Prefix = o.arg()
			if len(t.Prefix) > maxNFLogPrefix {
				c.errorf(o.argPos(), "NFLOG: prefix is %d bytes; at most %d are allowed", len(t.Prefix), maxNFLogPrefix)
			}
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
