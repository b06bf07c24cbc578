package iptables

import (
	"math"
	"slices"
	"strings"

	"github.com/ruleshift/ruleshift/translate/ir"
)

// Mark and conntrack targets: MARK, CONNMARK, CT and NOTRACK, as the
// newest revisions in iptables 1.8.9 parse them (MARK v2, CONNMARK v2,
// CT v2).

func init() {
	registerTarget(&targetDef{name: "MARK", opts: []optSpec{
		{name: "set-xmark", arg: oneArg, noInvert: true}, {name: "set-mark", arg: oneArg, noInvert: true},
		{name: "and-mark", arg: oneArg, noInvert: true}, {name: "or-mark", arg: oneArg, noInvert: true},
		{name: "xor-mark", arg: oneArg, noInvert: true},
	}, build: buildMarkTarget})
	registerTarget(&targetDef{name: "CONNMARK", opts: []optSpec{
		{name: "set-xmark", arg: oneArg, noInvert: true}, {name: "set-mark", arg: oneArg, noInvert: true},
		{name: "and-mark", arg: oneArg, noInvert: true}, {name: "or-mark", arg: oneArg, noInvert: true},
		{name: "xor-mark", arg: oneArg, noInvert: true},
		{name: "save-mark", noInvert: true}, {name: "restore-mark", noInvert: true},
		{name: "left-shift-mark", arg: oneArg, noInvert: true}, {name: "right-shift-mark", arg: oneArg, noInvert: true},
		{name: "ctmask", arg: oneArg, noInvert: true}, {name: "nfmask", arg: oneArg, noInvert: true},
		{name: "mask", arg: oneArg, noInvert: true},
	}, build: buildConnMarkTarget})
	// xt_CT registers for the raw table only.
	registerTarget(&targetDef{name: "CT", tables: []string{"raw"}, opts: []optSpec{
		{name: "notrack", noInvert: true}, {name: "helper", arg: oneArg, noInvert: true},
		{name: "timeout", arg: oneArg, noInvert: true},
		{name: "ctevents", arg: oneArg, noInvert: true}, {name: "expevents", arg: oneArg, noInvert: true},
		{name: "zone-orig", arg: oneArg, noInvert: true}, {name: "zone-reply", arg: oneArg, noInvert: true},
		{name: "zone", arg: oneArg, noInvert: true},
	}, build: buildCT})
	registerTarget(&targetDef{name: "NOTRACK", tables: []string{"raw"}, build: func(*ctx) ir.Target {
		return &ir.CtTarget{Alias: true, NoTrack: true}
	}})
}

var markOps = []string{"set-xmark", "set-mark", "and-mark", "or-mark", "xor-mark"}

// markOp turns one of the mark options into the (value, mask) pair the
// kernel stores: mark = (mark & ^mask) ^ value.
func markOp(c *ctx, o *opt) (value, mask uint32, ok bool) {
	switch o.name {
	case "set-xmark", "set-mark":
		v, m, ok := parseMarkMask(o.arg())
		if !ok {
			c.errorf(o.argPos(), "%s: bad --%s %q (value[/mask], each at most 0xffffffff)", c.name, o.name, o.arg())
			return 0, 0, false
		}
		if o.name == "set-mark" {
			m |= v
		}
		return v, m, true
	}
	n, ok := cUint(o.arg(), math.MaxUint32)
	if !ok {
		c.errorf(o.argPos(), "%s: bad --%s %q (at most 0xffffffff)", c.name, o.name, o.arg())
		return 0, 0, false
	}
	v := uint32(n)
	switch o.name {
	case "and-mark":
		return 0, ^v, true
	case "or-mark":
		return v, v, true
	}
	return v, 0, true // xor-mark
}

// oneOf reports an error when more than one option of names is given,
// as the exclusion masks of the mark targets do.
func oneOf(c *ctx, names []string) int {
	n := 0
	for i := range c.opts {
		if contains(names, c.opts[i].name) {
			n++
			if n == 2 {
				c.errorf(c.opts[i].pos, "%s: only one of --%s may be given", c.name, strings.Join(names, ", --"))
			}
		}
	}
	return n
}

func buildMarkTarget(c *ctx) ir.Target {
	t := &ir.MarkTarget{}
	for i := range c.opts {
		o := &c.opts[i]
		if v, m, ok := markOp(c, o); ok {
			t.Op, t.Value, t.Mask = ir.MarkOp(o.name), v, m
		}
	}
	if oneOf(c, markOps) == 0 {
		c.errorf(c.pos, "MARK: one of the --set-xmark, --{and,or,xor,set}-mark options is required")
	}
	return t
}

func buildConnMarkTarget(c *ctx) ir.Target {
	t := &ir.ConnMarkTarget{CtMask: math.MaxUint32, NfMask: math.MaxUint32}
	ops := append([]string{"save-mark", "restore-mark"}, markOps...)
	for i := range c.opts {
		o := &c.opts[i]
		if !c.once(o) {
			continue
		}
		switch o.name {
		case "save-mark":
			t.Mode = ir.ConnMarkSave
		case "restore-mark":
			t.Mode = ir.ConnMarkRestore
		case "ctmask", "nfmask", "mask":
			n, ok := cUint(o.arg(), math.MaxUint32)
			if !ok {
				c.errorf(o.argPos(), "CONNMARK: bad --%s %q (at most 0xffffffff)", o.name, o.arg())
			}
			if o.name != "nfmask" {
				t.CtMask = uint32(n)
			}
			if o.name != "ctmask" {
				t.NfMask = uint32(n)
			}
		case "left-shift-mark", "right-shift-mark":
			n, ok := cUint(o.arg(), 32)
			if !ok {
				c.errorf(o.argPos(), "CONNMARK: bad --%s %q (0-32)", o.name, o.arg())
			}
			t.Shift, t.ShiftRight = uint8(n), o.name == "right-shift-mark"
		default:
			if v, m, ok := markOp(c, o); ok {
				t.Mode, t.Op, t.Value, t.CtMask = ir.ConnMarkSet, ir.MarkOp(o.name), v, m
			}
		}
	}
	if oneOf(c, ops) == 0 {
		c.errorf(c.pos, "CONNMARK: no operation specified (--set-xmark, --set-mark, --save-mark, --restore-mark, --and-mark, --or-mark or --xor-mark)")
	}
	exclusive(c, "CONNMARK", "mask", "ctmask")
	exclusive(c, "CONNMARK", "mask", "nfmask")
	return t
}

// ctEvents parses an event list against libxt_CT's table (ir.CtEventNames
// or ir.ExpEventNames, in kernel bit order) into the kernel's bit set.
func ctEvents(c *ctx, o *opt, table []string) uint32 {
	var bits uint32
	for _, e := range strings.Split(o.arg(), ",") {
		i := slices.Index(table, e)
		if i < 0 {
			c.errorf(o.argPos(), "CT: unknown event type %q (known: %s)", e, strings.Join(table, ", "))
			return 0
		}
		bits |= 1 << i
	}
	return bits
}

// Buffer sizes of xt_ct_target_info_v1 less the NUL.
const (
	maxCtHelper  = 15
	maxCtTimeout = 31
)

func buildCT(c *ctx) ir.Target {
	t := &ir.CtTarget{}
	for i := range c.opts {
		o := &c.opts[i]
		if !c.once(o) {
			continue
		}
		switch o.name {
		case "notrack":
			t.NoTrack = true
		case "helper":
			t.Helper = o.arg()
			if len(t.Helper) > maxCtHelper {
				c.errorf(o.argPos(), "CT: helper name %q is longer than %d bytes", t.Helper, maxCtHelper)
			}
		case "timeout":
			t.Timeout = o.arg()
			if len(t.Timeout) > maxCtTimeout {
				c.errorf(o.argPos(), "CT: timeout policy name %q is longer than %d bytes", t.Timeout, maxCtTimeout)
			}
		case "ctevents":
			t.CtEvents = ir.CtEvents(ctEvents(c, o, ir.CtEventNames))
		case "expevents":
			t.ExpEvents = ir.ExpEvents(ctEvents(c, o, ir.ExpEventNames))
		case "zone", "zone-orig", "zone-reply":
			ctZone(c, o, t)
		}
	}
	// xt_CT looks the helper and the timeout policy up for the rule's
	// protocol, and refuses a rule without one.
	if (t.Helper != "" || t.Timeout != "") && !t.NoTrack && (c.proto == nil || c.proto.Neg || c.proto.All) {
		c.errorf(c.pos, "CT: --helper and --timeout need a layer 4 protocol (\"-p tcp\" or \"-p udp\", not negated); the kernel refuses the rule otherwise")
	}
	return t
}

// ctZone mirrors ct_parse_zone_id: every zone option sets the one zone id,
// and flags only accumulate (-orig/-reply add a direction, "mark" stays).
func ctZone(c *ctx, o *opt, t *ir.CtTarget) {
	switch o.name {
	case "zone-orig":
		t.ZoneOrig = true
	case "zone-reply":
		t.ZoneReply = true
	}
	t.Zone = 0
	if strings.EqualFold(o.arg(), "mark") {
		t.ZoneMark = true
		return
	}
	n, ok := cUint(o.arg(), math.MaxUint16)
	if !ok {
		c.errorf(o.argPos(), "CT: cannot parse %q as a zone id (0-65535 or \"mark\")", o.arg())
	}
	t.Zone = uint16(n)
}
