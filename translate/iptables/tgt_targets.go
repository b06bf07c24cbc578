package iptables

import (
	"fmt"
	"strings"

	"github.com/ruleshift/ruleshift/translate/ir"
)

// Mangling and miscellaneous targets: TCPMSS, CHECKSUM, TPROXY, TTL, HL,
// DSCP, TOS, CLASSIFY, NFQUEUE, AUDIT, TRACE, SYNPROXY, TEE and SET. Table
// and hook lists are those of the kernel's xt_*.c registrations.

func init() {
	mangle := []string{"mangle"}
	ni := func(name string, a argKind) optSpec { return optSpec{name: name, arg: a, noInvert: true} }
	registerTarget(&targetDef{name: "TCPMSS", opts: []optSpec{ni("set-mss", oneArg), ni("clamp-mss-to-pmtu", noArg)}, build: buildTCPMSS})
	registerTarget(&targetDef{name: "CHECKSUM", tables: mangle, opts: []optSpec{ni("checksum-fill", noArg)}, build: buildChecksum})
	registerTarget(&targetDef{name: "TPROXY", tables: mangle, hooks: []string{"PREROUTING"}, opts: []optSpec{
		ni("on-port", oneArg), ni("on-ip", oneArg), ni("tproxy-mark", oneArg),
	}, build: buildTProxy})
	registerTarget(&targetDef{name: "TTL", family: ir.IPv4, tables: mangle, opts: []optSpec{
		ni("ttl-set", oneArg), ni("ttl-inc", oneArg), ni("ttl-dec", oneArg),
	}, build: buildHop})
	registerTarget(&targetDef{name: "HL", family: ir.IPv6, tables: mangle, opts: []optSpec{
		ni("hl-set", oneArg), ni("hl-inc", oneArg), ni("hl-dec", oneArg),
	}, build: buildHop})
	registerTarget(&targetDef{name: "DSCP", tables: mangle, opts: []optSpec{ni("set-dscp", oneArg), ni("set-dscp-class", oneArg)}, build: buildDSCP})
	registerTarget(&targetDef{name: "TOS", tables: mangle, opts: []optSpec{
		ni("set-tos", oneArg), ni("and-tos", oneArg), ni("or-tos", oneArg), ni("xor-tos", oneArg),
	}, build: buildTOS})
	registerTarget(&targetDef{name: "CLASSIFY", hooks: []string{"FORWARD", "OUTPUT", "POSTROUTING"},
		opts: []optSpec{ni("set-class", oneArg)}, build: buildClassify})
	registerTarget(&targetDef{name: "NFQUEUE", opts: []optSpec{
		ni("queue-num", oneArg), ni("queue-balance", oneArg), ni("queue-bypass", noArg), ni("queue-cpu-fanout", noArg),
	}, build: buildNFQueue})
	registerTarget(&targetDef{name: "AUDIT", opts: []optSpec{ni("type", oneArg)}, build: buildAudit})
	registerTarget(&targetDef{name: "TRACE", tables: []string{"raw"}, build: func(*ctx) ir.Target { return &ir.Trace{} }})
	registerTarget(&targetDef{name: "SYNPROXY", hooks: []string{"INPUT", "FORWARD"}, opts: []optSpec{
		ni("sack-perm", noArg), ni("timestamp", noArg), ni("wscale", oneArg), ni("mss", oneArg),
	}, build: buildSynProxy})
	registerTarget(&targetDef{name: "TEE", opts: []optSpec{ni("gateway", oneArg), ni("oif", oneArg)}, build: buildTee})
	registerTarget(&targetDef{name: "SET", opts: []optSpec{
		ni("add-set", twoArgs), ni("del-set", twoArgs), ni("exist", noArg), ni("timeout", oneArg),
	}, build: buildSetTarget})
}

// parseCUint parses a number as strtoul(s, NULL, 0) does: decimal, 0x hex
// or 0 octal, with none of Go's extra forms (underscores, 0b, 0o).
func tgtCUint(s string, bits int) (uint64, error) { return strtoul(s, bits) }

// numOpt parses option o as a number in [min, max].
func tgtNum(c *ctx, o *opt, min, max uint64) (uint64, bool) {
	n, err := tgtCUint(o.arg(), 64)
	if err != nil || n < min || n > max {
		c.errorf(o.argPos(), "%s: bad value for option \"--%s\", or out of range (%d-%d)", c.name, o.name, min, max)
		return 0, false
	}
	return n, true
}

// exclusive reports an error when more than one of names was given.
func tgtExclusive(c *ctx, names ...string) {
	var given []string
	for _, n := range names {
		if c.has(n) {
			given = append(given, n)
		}
	}
	if len(given) > 1 {
		c.errorf(c.pos, "%s: option \"--%s\" cannot be used together with \"--%s\"", c.name, given[0], given[1])
	}
}

func buildTCPMSS(c *ctx) ir.Target {
	t := &ir.TCPMSS{}
	for i := range c.opts {
		o := &c.opts[i]
		if !c.once(o) {
			continue
		}
		// The last of --set-mss and --clamp-mss-to-pmtu wins, as in
		// iptables, which writes both into the same field.
		if o.name == "clamp-mss-to-pmtu" {
			t.ClampPMTU, t.MSS = true, 0
			continue
		}
		if n, ok := tgtNum(c, o, 0, 65535); ok {
			t.ClampPMTU, t.MSS = false, uint16(n)
		}
	}
	if len(c.opts) == 0 {
		c.errorf(c.pos, "TCPMSS: at least one of --set-mss and --clamp-mss-to-pmtu is required")
	}
	if !c.protoIs(6) {
		c.errorf(c.pos, "TCPMSS needs \"-p tcp\" (the kernel refuses it otherwise)")
	}
	if t.ClampPMTU && IsBuiltin(c.table, c.chain) && c.chain != "FORWARD" && c.chain != "OUTPUT" && c.chain != "POSTROUTING" {
		c.errorf(c.pos, "TCPMSS --clamp-mss-to-pmtu is only valid in FORWARD, OUTPUT and POSTROUTING, not in %s (the kernel refuses it there)", c.chain)
	}
	return t
}

func buildChecksum(c *ctx) ir.Target {
	for i := range c.opts {
		c.once(&c.opts[i])
	}
	if !c.has("checksum-fill") {
		c.errorf(c.pos, "CHECKSUM: option \"--checksum-fill\" must be specified")
	}
	return &ir.Checksum{}
}

// parseMarkMask parses VALUE[/MASK]; the mask defaults to all ones.
func tgtMarkMask(s string) (uint32, uint32, error) {
	v, m, hasMask := strings.Cut(s, "/")
	val, err := tgtCUint(v, 32)
	if err != nil {
		return 0, 0, err
	}
	mask := uint64(0xffffffff)
	if hasMask {
		if mask, err = tgtCUint(m, 32); err != nil {
			return 0, 0, err
		}
	}
	return uint32(val), uint32(mask), nil
}

func buildTProxy(c *ctx) ir.Target {
	t := &ir.TProxy{}
	for i := range c.opts {
		o := &c.opts[i]
		if !c.once(o) {
			continue
		}
		switch o.name {
		case "on-port":
			// XTTYPE_PORT: getaddrinfo's service, decimal or a name.
			n, err := portByName(o.arg())
			if err != nil {
				c.errorf(o.argPos(), "TPROXY: %v", err)
				continue
			}
			t.Port = n
		case "on-ip":
			a, ok := hostAddr(o.arg(), c.fam)
			if !ok {
				c.errorf(o.argPos(), "TPROXY: bad %s address %q", famWord(c.fam), o.arg())
				continue
			}
			t.Addr = a
		case "tproxy-mark":
			v, m, err := tgtMarkMask(o.arg())
			if err != nil {
				c.errorf(o.argPos(), "TPROXY: bad value for option \"--tproxy-mark\": %q", o.arg())
				continue
			}
			t.Mark, t.Mask = v, m
		}
	}
	if !c.has("on-port") {
		c.errorf(c.pos, "TPROXY: option \"--on-port\" must be specified")
	}
	if !c.protoIs(6, 17) {
		c.errorf(c.pos, "TPROXY needs \"-p tcp\" or \"-p udp\" (the kernel refuses it otherwise)")
	}
	return t
}

// buildHop builds TTL (IPv4) and HL (IPv6): one of set, inc or dec.
func buildHop(c *ctx) ir.Target {
	pfx := "ttl-"
	if c.name == "HL" {
		pfx = "hl-"
	}
	var op ir.HopOp
	var val uint8
	for i := range c.opts {
		o := &c.opts[i]
		if !c.once(o) {
			continue
		}
		min := uint64(1)
		if o.name == pfx+"set" {
			min = 0
		}
		if n, ok := tgtNum(c, o, min, 255); ok {
			op, val = ir.HopOp(strings.TrimPrefix(o.name, pfx)), uint8(n)
		}
	}
	tgtExclusive(c, pfx+"set", pfx+"inc", pfx+"dec")
	if len(c.opts) == 0 {
		c.errorf(c.pos, "%s: one of --%sset, --%sinc and --%sdec is required", c.name, pfx, pfx, pfx)
	}
	if c.name == "HL" {
		return &ir.HL{Op: op, Value: val}
	}
	return &ir.TTL{Op: op, Value: val}
}

// dscpClasses are the names --set-dscp-class takes (libxt_dscp_helper.c).
var dscpClasses = map[string]uint8{
	"CS0": 0x00, "CS1": 0x08, "CS2": 0x10, "CS3": 0x18, "CS4": 0x20, "CS5": 0x28, "CS6": 0x30, "CS7": 0x38,
	"BE": 0x00, "AF11": 0x0a, "AF12": 0x0c, "AF13": 0x0e, "AF21": 0x12, "AF22": 0x14, "AF23": 0x16,
	"AF31": 0x1a, "AF32": 0x1c, "AF33": 0x1e, "AF41": 0x22, "AF42": 0x24, "AF43": 0x26, "EF": 0x2e,
}

func buildDSCP(c *ctx) ir.Target {
	t := &ir.DSCP{}
	for i := range c.opts {
		o := &c.opts[i]
		if !c.once(o) {
			continue
		}
		if o.name == "set-dscp" {
			if n, ok := tgtNum(c, o, 0, 63); ok {
				t.Value = uint8(n)
			}
			continue
		}
		v, ok := dscpClasses[strings.ToUpper(o.arg())]
		if !ok {
			c.errorf(o.argPos(), "DSCP: invalid DSCP class %q", o.arg())
			continue
		}
		t.Value = v
	}
	tgtExclusive(c, "set-dscp", "set-dscp-class")
	if len(c.opts) == 0 {
		c.errorf(c.pos, "DSCP: --set-dscp or --set-dscp-class is required")
	}
	return t
}

// tosNames are the symbolic --set-tos values (tos_values.c). A name sets
// only the DSCP-era bits (mask 0x3f), a number the whole byte.
var tosNames = map[string]uint8{
	"minimize-cost": 0x02, "normal-service": 0x00, "maximize-reliability": 0x04,
	"maximize-throughput": 0x08, "minimize-delay": 0x10,
}

// parseTOS parses --set-tos VALUE[/MASK] or a symbolic name.
func parseTOS(s string) (val, mask uint8, err error) {
	v, m, hasMask := strings.Cut(s, "/")
	if n, err := tgtCUint(v, 8); err == nil {
		mask := uint64(0xff)
		if hasMask {
			if mask, err = tgtCUint(m, 8); err != nil {
				return 0, 0, fmt.Errorf("bad mask %q", m)
			}
		}
		return uint8(n), uint8(mask), nil
	}
	if n, ok := tosNames[strings.ToLower(s)]; ok {
		return n, 0x3f, nil
	}
	return 0, 0, fmt.Errorf("symbolic name %q is unknown", s)
}

func buildTOS(c *ctx) ir.Target {
	t := &ir.TOS{}
	for i := range c.opts {
		o := &c.opts[i]
		if !c.once(o) {
			continue
		}
		if o.name == "set-tos" {
			v, m, err := parseTOS(o.arg())
			if err != nil {
				c.errorf(o.argPos(), "TOS: %v", err)
				continue
			}
			t.Value, t.Mask = v, m
			continue
		}
		n, ok := tgtNum(c, o, 0, 255)
		if !ok {
			continue
		}
		b := uint8(n)
		switch o.name {
		case "and-tos":
			t.Value, t.Mask = 0, ^b
		case "or-tos":
			t.Value, t.Mask = b, b
		case "xor-tos":
			t.Value, t.Mask = b, 0
		}
	}
	tgtExclusive(c, "set-tos", "and-tos", "or-tos", "xor-tos")
	if len(c.opts) == 0 {
		c.errorf(c.pos, "TOS: an action (--set-tos, --and-tos, --or-tos or --xor-tos) is required")
	}
	return t
}

func buildClassify(c *ctx) ir.Target {
	t := &ir.Classify{}
	for i := range c.opts {
		o := &c.opts[i]
		if !c.once(o) {
			continue
		}
		// sscanf("%x:%x") as libxt_CLASSIFY: each number hex (0x
		// allowed), anything after the second ignored, 16 bits kept.
		s := o.arg()
		a, n, _ := strtoumax(s, 16)
		ok := n > 0 && strings.HasPrefix(s[n:], ":")
		var b uint64
		if ok {
			b, n, _ = strtoumax(s[n+1:], 16)
			ok = n > 0
		}
		if !ok {
			c.errorf(o.argPos(), "CLASSIFY: bad class value %q (want MAJOR:MINOR in hex)", o.arg())
			continue
		}
		t.Major, t.Minor = uint16(a), uint16(b)
	}
	if !c.has("set-class") {
		c.errorf(c.pos, "CLASSIFY: option \"--set-class\" must be specified")
	}
	return t
}

func buildNFQueue(c *ctx) ir.Target {
	t := &ir.NFQueue{}
	for i := range c.opts {
		o := &c.opts[i]
		if !c.once(o) {
			continue
		}
		switch o.name {
		case "queue-num":
			if n, ok := tgtNum(c, o, 0, 65535); ok {
				t.Num = uint16(n)
			}
		case "queue-balance":
			lo, hi, ok := strings.Cut(o.arg(), ":")
			a, err1 := tgtCUint(lo, 16)
			b, err2 := tgtCUint(hi, 16)
			if !ok || err1 != nil || err2 != nil {
				c.errorf(o.argPos(), "NFQUEUE: bad --queue-balance %q (want FIRST:LAST)", o.arg())
				continue
			}
			if a >= b {
				c.errorf(o.argPos(), "NFQUEUE: --queue-balance: %d should be less than %d", a, b)
				continue
			}
			t.Num, t.Last, t.Balance = uint16(a), uint16(b), true
		case "queue-bypass":
			t.Bypass = true
		case "queue-cpu-fanout":
			t.CPUFanout = true
		}
	}
	tgtExclusive(c, "queue-num", "queue-balance")
	if c.has("queue-cpu-fanout") && !c.has("queue-balance") {
		c.errorf(c.pos, "NFQUEUE: option \"--queue-cpu-fanout\" also requires \"--queue-balance\"")
	}
	return t
}

func buildAudit(c *ctx) ir.Target {
	t := &ir.Audit{}
	for i := range c.opts {
		o := &c.opts[i]
		if !c.once(o) {
			continue
		}
		switch ty := ir.AuditType(strings.ToLower(o.arg())); ty {
		case ir.AuditAccept, ir.AuditDrop, ir.AuditReject:
			t.Type = ty
		default:
			c.errorf(o.argPos(), "AUDIT: bad --type %q (accept, drop or reject)", o.arg())
		}
	}
	if !c.has("type") {
		c.errorf(c.pos, "AUDIT: option \"--type\" must be specified")
	}
	return t
}

func buildSynProxy(c *ctx) ir.Target {
	t := &ir.SynProxy{}
	for i := range c.opts {
		o := &c.opts[i]
		if !c.once(o) {
			continue
		}
		switch o.name {
		case "sack-perm":
			t.SACKPerm = true
		case "timestamp":
			t.Timestamp = true
		case "wscale":
			// iptables reads a 32-bit number and keeps its low bits.
			if n, ok := tgtNum(c, o, 0, 0xffffffff); ok {
				v := uint8(n)
				t.WScale = &v
			}
		case "mss":
			if n, ok := tgtNum(c, o, 0, 0xffffffff); ok {
				v := uint16(n)
				t.MSS = &v
			}
		}
	}
	if !c.protoIs(6) {
		c.errorf(c.pos, "SYNPROXY needs \"-p tcp\" (the kernel refuses it otherwise)")
	}
	return t
}

func buildTee(c *ctx) ir.Target {
	t := &ir.Tee{}
	for i := range c.opts {
		o := &c.opts[i]
		if !c.once(o) {
			continue
		}
		switch o.name {
		case "gateway":
			a, ok := hostAddr(o.arg(), c.fam)
			if !ok {
				c.errorf(o.argPos(), "TEE: bad %s address %q", famWord(c.fam), o.arg())
				continue
			}
			t.Gateway = a
		case "oif":
			if err := checkIfaceName(o.arg()); err != nil || o.arg() == "" {
				c.errorf(o.argPos(), "TEE: invalid --oif %q", o.arg())
				continue
			}
			t.OIF = o.arg()
		}
	}
	if !c.has("gateway") {
		c.errorf(c.pos, "TEE: option \"--gateway\" must be specified")
	}
	return t
}

// maxSetName is IPSET_MAXNAMELEN less the NUL.
const maxSetName = 31

func parseSetRef(c *ctx, o *opt) *ir.SetTargetRef {
	r := &ir.SetTargetRef{Name: o.args[0].Text}
	if r.Name == "" || len(r.Name) > maxSetName {
		c.errorf(o.args[0].Pos, "SET: set name %q must be 1 to %d characters", r.Name, maxSetName)
		return nil
	}
	for _, f := range strings.Split(o.args[1].Text, ",") {
		switch ir.SetDir(f) {
		case ir.SetSrc, ir.SetDst:
			r.Flags = append(r.Flags, ir.SetDir(f))
		default:
			c.errorf(o.args[1].Pos, "SET: bad flag %q (src or dst)", f)
			return nil
		}
	}
	if len(r.Flags) > 6 {
		c.errorf(o.args[1].Pos, "SET: at most 6 flags are allowed")
		return nil
	}
	return r
}

func buildSetTarget(c *ctx) ir.Target {
	t := &ir.SetTarget{}
	for i := range c.opts {
		o := &c.opts[i]
		if !c.once(o) {
			continue
		}
		switch o.name {
		case "add-set":
			t.Add = parseSetRef(c, o)
		case "del-set":
			t.Del = parseSetRef(c, o)
		case "exist":
			t.Exist = true
		case "timeout":
			if n, ok := tgtNum(c, o, 0, 0xfffffffe); ok {
				v := uint32(n)
				t.Timeout = &v
			}
		}
	}
	if !c.has("add-set") && !c.has("del-set") {
		c.errorf(c.pos, "SET: --add-set or --del-set is required")
	}
	return t
}
