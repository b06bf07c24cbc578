package iptables

import (
	"strings"

	"github.com/ruleshift/ruleshift/translate/ir"
)

// Packet matches: mac, iprange, addrtype, pkttype, length, ttl, hl, tos,
// dscp, ecn, devgroup, cpu, cgroup, socket, realm, cluster, rpfilter,
// tcpmss and dccp. Option names, ranges and refusals follow the libxt_*
// extensions of iptables 1.8.9 and the kernel's checkentry functions.

func init() {
	inv := func(n string) optSpec { return optSpec{name: n, arg: oneArg} }
	flag := func(n string) optSpec { return optSpec{name: n, noInvert: true} }
	registerMatch(&matchDef{name: "mac", opts: []optSpec{inv("mac-source")}, build: buildMAC})
	registerMatch(&matchDef{name: "iprange", opts: []optSpec{inv("src-range"), inv("dst-range")}, build: buildIPRange})
	registerMatch(&matchDef{name: "addrtype", opts: []optSpec{inv("src-type"), inv("dst-type"),
		flag("limit-iface-in"), flag("limit-iface-out")}, build: buildAddrType})
	registerMatch(&matchDef{name: "pkttype", opts: []optSpec{inv("pkt-type")}, build: buildPktType})
	registerMatch(&matchDef{name: "length", opts: []optSpec{inv("length")}, build: buildLength})
	registerMatch(&matchDef{name: "ttl", family: ir.IPv4, opts: []optSpec{inv("ttl-eq"),
		{name: "ttl-lt", arg: oneArg, noInvert: true}, {name: "ttl-gt", arg: oneArg, noInvert: true}}, build: buildHopLimit})
	registerMatch(&matchDef{name: "hl", family: ir.IPv6, opts: []optSpec{inv("hl-eq"),
		{name: "hl-lt", arg: oneArg, noInvert: true}, {name: "hl-gt", arg: oneArg, noInvert: true}}, build: buildHopLimit})
	registerMatch(&matchDef{name: "tos", opts: []optSpec{inv("tos")}, build: buildTOSMatch})
	registerMatch(&matchDef{name: "dscp", opts: []optSpec{inv("dscp"), inv("dscp-class")}, build: buildDSCPMatch})
	registerMatch(&matchDef{name: "ecn", opts: []optSpec{{name: "ecn-tcp-cwr"}, {name: "ecn-tcp-ece"}, inv("ecn-ip-ect")}, build: buildECN})
	registerMatch(&matchDef{name: "devgroup", opts: []optSpec{inv("src-group"), inv("dst-group")}, build: buildDevGroup})
	registerMatch(&matchDef{name: "cpu", opts: []optSpec{inv("cpu")}, build: buildCPU})
	registerMatch(&matchDef{name: "nfacct", opts: []optSpec{{name: "nfacct-name", arg: oneArg, noInvert: true}}, build: buildNFAcct})
	registerMatch(&matchDef{name: "cgroup", opts: []optSpec{inv("path"), inv("cgroup")}, build: buildCgroup})
	registerMatch(&matchDef{name: "socket", opts: []optSpec{flag("transparent"), flag("nowildcard"), flag("restore-skmark")}, build: buildSocket})
	registerMatch(&matchDef{name: "realm", family: ir.IPv4, opts: []optSpec{inv("realm")}, build: buildRealm})
	registerMatch(&matchDef{name: "cluster", opts: []optSpec{
		{name: "cluster-total-nodes", arg: oneArg, noInvert: true}, inv("cluster-local-node"),
		inv("cluster-local-nodemask"), {name: "cluster-hash-seed", arg: oneArg, noInvert: true},
	}, build: buildCluster})
	registerMatch(&matchDef{name: "rpfilter", opts: []optSpec{flag("loose"), flag("validmark"), flag("accept-local"), flag("invert")}, build: buildRPFilter})
	registerMatch(&matchDef{name: "tcpmss", opts: []optSpec{inv("mss")}, build: buildTCPMSSMatch})
	registerMatch(&matchDef{name: "dccp", opts: []optSpec{
		inv("source-port"), inv("sport"), inv("destination-port"), inv("dport"),
		inv("dccp-types"), inv("dccp-option"),
	}, build: buildDCCP})
}

func buildMAC(c *ctx) ir.Match {
	m := &ir.MAC{}
	for i := range c.opts {
		o := &c.opts[i]
		if !c.once(o) {
			continue
		}
		hw, ok := parseEtherMAC(o.arg())
		if !ok {
			if strings.ContainsAny(o.arg(), "xX") {
				c.errorf(o.argPos(), "mac: %q is not a MAC address (it looks anonymised); the kernel needs six hex bytes such as 00:11:22:33:44:55", o.arg())
			} else {
				c.errorf(o.argPos(), "mac: invalid MAC address %q", o.arg())
			}
			continue
		}
		m.Neg, m.Addr = o.neg, hw
	}
	if m.Addr == nil && !c.has("mac-source") {
		c.errorf(c.pos, "mac: --mac-source is required")
	}
	pkHooks(c, "PREROUTING", "INPUT", "FORWARD")
	return m
}

func buildIPRange(c *ctx) ir.Match {
	m := &ir.IPRange{}
	for i := range c.opts {
		o := &c.opts[i]
		if !c.once(o) {
			continue
		}
		from, to, found := strings.Cut(o.arg(), "-")
		if !found {
			to = from
		}
		a, ok1 := numericAddr(from, c.fam)
		b, ok2 := numericAddr(to, c.fam)
		if !ok1 || !ok2 {
			c.errorf(o.argPos(), "iprange: invalid %s address range %q (give FROM-TO)", famWord(c.fam), o.arg())
			continue
		}
		r := &ir.AddrRange{From: a, To: b}
		if o.name == "src-range" {
			m.Src, m.NegSrc = r, o.neg
		} else {
			m.Dst, m.NegDst = r, o.neg
		}
	}
	if !c.has("src-range") && !c.has("dst-range") {
		c.errorf(c.pos, "iprange: you must specify --src-range or --dst-range")
	}
	return m
}

// pkNameBits sets bit i for every comma-separated word of list that is
// names[i] in any case, and calls unknown for each word that names none.
func pkNameBits(list string, names []string, unknown func(word string)) uint16 {
	var set uint16
	for _, w := range strings.Split(list, ",") {
		found := false
		for i, n := range names {
			if strings.EqualFold(n, w) {
				set |= 1 << i
				found = true
			}
		}
		if !found {
			unknown(w)
		}
	}
	return set
}

// pkAddrTypes reads an addrtype list as libxt_addrtype does: each word a
// case-insensitive prefix of a type name, the first in table order.
func pkAddrTypes(c *ctx, o *opt) ir.AddrTypes {
	var set ir.AddrTypes
	for _, w := range strings.Split(o.arg(), ",") {
		found := false
		for i, n := range ir.AddrTypeNames {
			if w != "" && hasPrefixFold(n, w) {
				set |= 1 << i
				found = true
				break
			}
		}
		if !found {
			c.errorf(o.argPos(), "addrtype: unknown address type %q (types are %s)", w, strings.Join(ir.AddrTypeNames, ", "))
		}
	}
	return set
}

func buildAddrType(c *ctx) ir.Match {
	m := &ir.AddrType{}
	for i := range c.opts {
		o := &c.opts[i]
		if !c.once(o) {
			continue
		}
		switch o.name {
		case "src-type":
			m.Src, m.NegSrc = pkAddrTypes(c, o), o.neg
		case "dst-type":
			m.Dst, m.NegDst = pkAddrTypes(c, o), o.neg
		case "limit-iface-in":
			m.LimitIfaceIn = true
		case "limit-iface-out":
			m.LimitIfaceOut = true
		}
	}
	pkExclusive(c, "limit-iface-in", "limit-iface-out")
	if m.LimitIfaceIn {
		pkHooks(c, "PREROUTING", "INPUT", "FORWARD")
	}
	if m.LimitIfaceOut {
		pkHooks(c, "FORWARD", "OUTPUT", "POSTROUTING")
	}
	if !c.has("src-type") && !c.has("dst-type") {
		c.errorf(c.pos, "addrtype: you must specify --src-type or --dst-type")
	}
	if c.fam == ir.IPv6 {
		// xt_addrtype's checkentry refuses these for IPv6.
		for _, bit := range []int{3, 6, 7, 8, 9, 10, 11} {
			if (m.Src|m.Dst)&(1<<bit) != 0 && bit != 7 {
				c.errorf(c.pos, "addrtype: the kernel does not support %s matching for IPv6", ir.AddrTypeNames[bit])
			}
		}
	}
	return m
}

var pkPktTypes = map[string]ir.PktType{
	"unicast": ir.PktUnicast, "host": ir.PktUnicast, "broadcast": ir.PktBroadcast, "bcast": ir.PktBroadcast,
	"multicast": ir.PktMulticast, "mcast": ir.PktMulticast, "otherhost": ir.PktOtherHost,
}

func buildPktType(c *ctx) ir.Match {
	m := &ir.PktTypeMatch{}
	for i := range c.opts {
		o := &c.opts[i]
		if !c.once(o) {
			continue
		}
		t, ok := pkPktTypes[strings.ToLower(o.arg())]
		if !ok {
			c.errorf(o.argPos(), "pkttype: bad packet type %q (types are unicast, broadcast, multicast, otherhost)", o.arg())
			continue
		}
		m.Neg, m.Type = o.neg, t
	}
	if !c.has("pkt-type") {
		c.errorf(c.pos, "pkttype: --pkt-type is required")
	}
	return m
}

func buildLength(c *ctx) ir.Match {
	m := &ir.Length{}
	for i := range c.opts {
		o := &c.opts[i]
		if !c.once(o) {
			continue
		}
		lo, hi, ok := pkRange(c, o, 65535)
		if ok {
			m.Neg, m.Min, m.Max = o.neg, uint16(lo), uint16(hi)
		}
	}
	if !c.has("length") {
		c.errorf(c.pos, "length: --length is required")
	}
	return m
}

func buildHopLimit(c *ctx) ir.Match {
	m := &ir.HopLimit{V6: c.name == "hl"}
	n := 0
	for i := range c.opts {
		o := &c.opts[i]
		if n++; n > 1 {
			c.errorf(o.pos, "%s: only one of --%s-eq, --%s-lt and --%s-gt may be given", c.name, c.name, c.name, c.name)
			continue
		}
		v, ok := pkNum(c, o, 0, 255)
		if !ok {
			continue
		}
		m.Op, m.Neg, m.Value = ir.CmpOp(o.name[len(o.name)-2:]), o.neg, uint8(v)
	}
	if n == 0 {
		c.errorf(c.pos, "%s: you must specify one of --%s-eq, --%s-lt, --%s-gt", c.name, c.name, c.name, c.name)
	}
	return m
}

var pkTOSNames = map[string]uint8{
	"minimize-delay": 0x10, "maximize-throughput": 0x08, "maximize-reliability": 0x04,
	"minimize-cost": 0x02, "normal-service": 0x00,
}

func buildTOSMatch(c *ctx) ir.Match {
	m := &ir.TOSMatch{}
	for i := range c.opts {
		o := &c.opts[i]
		if !c.once(o) {
			continue
		}
		m.Neg = o.neg
		if v, ok := pkTOSNames[strings.ToLower(o.arg())]; ok {
			if c.fam == ir.IPv6 {
				c.errorf(o.argPos(), "tos: symbolic names are IPv4 only; give value/mask")
			}
			m.Value, m.Mask = v, 0x3f
			continue
		}
		v, mask, ok := pkValueMask(o.arg(), 8)
		if !ok {
			c.errorf(o.argPos(), "tos: bad value %q (give value[/mask] from 0 to 0xff, or a symbolic name)", o.arg())
			continue
		}
		m.Value, m.Mask = uint8(v), uint8(mask)
	}
	if !c.has("tos") {
		c.errorf(c.pos, "tos: --tos is required")
	}
	return m
}

// pkDSCPClasses are the DiffServ class names iptables knows.
var pkDSCPClasses = map[string]uint8{
	"cs0": 0, "cs1": 8, "cs2": 16, "cs3": 24, "cs4": 32, "cs5": 40, "cs6": 48, "cs7": 56,
	"be": 0, "af11": 10, "af12": 12, "af13": 14, "af21": 18, "af22": 20, "af23": 22,
	"af31": 26, "af32": 28, "af33": 30, "af41": 34, "af42": 36, "af43": 38, "ef": 46,
}

func buildDSCPMatch(c *ctx) ir.Match {
	m := &ir.DSCPMatch{}
	pkExclusive(c, "dscp", "dscp-class")
	for i := range c.opts {
		o := &c.opts[i]
		if !c.once(o) {
			continue
		}
		m.Neg = o.neg
		if o.name == "dscp-class" {
			v, ok := pkDSCPClasses[strings.ToLower(o.arg())]
			if !ok {
				c.errorf(o.argPos(), "dscp: invalid DSCP class %q (BE, EF, AFxx or CSx)", o.arg())
				continue
			}
			m.Value = v
			continue
		}
		if v, ok := pkNum(c, o, 0, 63); ok {
			m.Value = uint8(v)
		}
	}
	if len(c.opts) == 0 {
		c.errorf(c.pos, "dscp: --dscp or --dscp-class is required")
	}
	return m
}

func buildECN(c *ctx) ir.Match {
	m := &ir.ECNMatch{}
	for i := range c.opts {
		o := &c.opts[i]
		if !c.once(o) {
			continue
		}
		switch o.name {
		case "ecn-tcp-cwr":
			m.CWR, m.NegCWR = true, o.neg
		case "ecn-tcp-ece":
			m.ECE, m.NegECE = true, o.neg
		case "ecn-ip-ect":
			if v, ok := pkNum(c, o, 0, 3); ok {
				m.IP, m.NegIP, m.ECT = true, o.neg, uint8(v)
			}
		}
	}
	if len(c.opts) == 0 {
		c.errorf(c.pos, "ecn: some option required")
	}
	if m.CWR || m.ECE {
		// xt_ecn's checkentry refuses the TCP bits without "-p tcp".
		requireProto(c, "tcp", 6)
	}
	return m
}

func pkGroup(c *ctx, o *opt) *ir.GroupMask {
	if o.arg() == "default" {
		// The one name every /etc/iproute2/group defines.
		return &ir.GroupMask{Value: 0, Mask: 0xffffffff}
	}
	v, mask, ok := pkValueMask(o.arg(), 32)
	if !ok {
		c.errorf(o.argPos(), "devgroup: invalid group %q (give value[/mask]; group names from /etc/iproute2/group are not read)", o.arg())
		return nil
	}
	return &ir.GroupMask{Value: uint32(v), Mask: uint32(mask)}
}

func buildDevGroup(c *ctx) ir.Match {
	m := &ir.DevGroup{}
	for i := range c.opts {
		o := &c.opts[i]
		if !c.once(o) {
			continue
		}
		if o.name == "src-group" {
			m.Src, m.NegSrc = pkGroup(c, o), o.neg
		} else {
			m.Dst, m.NegDst = pkGroup(c, o), o.neg
		}
	}
	if len(c.opts) == 0 {
		c.errorf(c.pos, "devgroup: you must specify either --src-group or --dst-group")
	}
	// xt_devgroup: no input device on output paths, no output device
	// before routing.
	if m.Src != nil {
		pkHooks(c, "PREROUTING", "INPUT", "FORWARD")
	}
	if m.Dst != nil {
		pkHooks(c, "FORWARD", "OUTPUT", "POSTROUTING")
	}
	return m
}

func buildCPU(c *ctx) ir.Match {
	m := &ir.CPU{}
	for i := range c.opts {
		o := &c.opts[i]
		if !c.once(o) {
			continue
		}
		if v, ok := pkNum(c, o, 0, 0xffffffff); ok {
			m.Neg, m.CPU = o.neg, uint32(v)
		}
	}
	if len(c.opts) == 0 {
		c.errorf(c.pos, "cpu: --cpu is required")
	}
	return m
}

// buildNFAcct reads libxt_nfacct's one option: a name of 1 to 31 bytes
// (NFACCT_NAME_MAX less the NUL), without a newline.
func buildNFAcct(c *ctx) ir.Match {
	m := &ir.NFAcct{}
	for i := range c.opts {
		o := &c.opts[i]
		if !c.once(o) {
			continue
		}
		if strings.Contains(o.arg(), "\n") {
			c.errorf(o.argPos(), "nfacct: newlines not allowed in --nfacct-name")
			continue
		}
		m.Name, _ = c.str(o, 1, 32)
	}
	if !c.has("nfacct-name") {
		c.errorf(c.pos, "nfacct: --nfacct-name is required")
	}
	return m
}

func buildCgroup(c *ctx) ir.Match {
	m := &ir.Cgroup{}
	pkExclusive(c, "path", "cgroup")
	for i := range c.opts {
		o := &c.opts[i]
		if !c.once(o) {
			continue
		}
		if o.name == "path" {
			if o.arg() == "" || len(o.arg()) >= 4096 {
				c.errorf(o.argPos(), "cgroup: invalid path %q", o.arg())
			}
			m.Path, m.NegPath = o.arg(), o.neg
			continue
		}
		if v, ok := pkNum(c, o, 0, 0xffffffff); ok {
			id := uint32(v)
			m.ClassID, m.NegClassID = &id, o.neg
		}
	}
	if len(c.opts) == 0 {
		c.errorf(c.pos, "cgroup: --path or --cgroup is required")
	}
	return m
}

func buildSocket(c *ctx) ir.Match {
	m := &ir.Socket{}
	pkHooks(c, "PREROUTING", "INPUT")
	for i := range c.opts {
		o := &c.opts[i]
		if !c.once(o) {
			continue
		}
		switch o.name {
		case "transparent":
			m.Transparent = true
		case "nowildcard":
			m.NoWildcard = true
		case "restore-skmark":
			m.RestoreSkMark = true
		}
	}
	return m
}

func buildRealm(c *ctx) ir.Match {
	m := &ir.Realm{}
	for i := range c.opts {
		o := &c.opts[i]
		if !c.once(o) {
			continue
		}
		m.Neg = o.neg
		if o.arg() == "cosmos" { // names are case-sensitive
			// The one name every /etc/iproute2/rt_realms defines.
			m.ID, m.Mask = 0, 0xffffffff
			continue
		}
		v, mask, ok := pkValueMask(o.arg(), 32)
		if !ok {
			c.errorf(o.argPos(), "realm: invalid realm %q (give value[/mask]; names from /etc/iproute2/rt_realms other than cosmos are not read)", o.arg())
			continue
		}
		m.ID, m.Mask = uint32(v), uint32(mask)
	}
	if len(c.opts) == 0 {
		c.errorf(c.pos, "realm: --realm is required")
	}
	return m
}

func buildCluster(c *ctx) ir.Match {
	m := &ir.Cluster{}
	pkExclusive(c, "cluster-local-node", "cluster-local-nodemask")
	var node uint64
	for i := range c.opts {
		o := &c.opts[i]
		if !c.once(o) {
			continue
		}
		switch o.name {
		case "cluster-total-nodes":
			if v, ok := pkNum(c, o, 1, 32); ok {
				m.TotalNodes = uint32(v)
			}
		case "cluster-local-node":
			if v, ok := pkNum(c, o, 1, 32); ok {
				node, m.NodeMask, m.Neg = v, 1<<(v-1), o.neg
			}
		case "cluster-local-nodemask":
			if v, ok := pkNum(c, o, 1, 0xffffffff); ok {
				m.NodeMask, m.Neg = uint32(v), o.neg
			}
		case "cluster-hash-seed":
			if v, ok := pkNum(c, o, 0, 0xffffffff); ok {
				m.HashSeed = uint32(v)
			}
		}
	}
	for _, req := range []string{"cluster-total-nodes", "cluster-hash-seed"} {
		if !c.has(req) {
			c.errorf(c.pos, "cluster: option \"--%s\" must be specified", req)
		}
	}
	if !c.has("cluster-local-node") && !c.has("cluster-local-nodemask") {
		c.errorf(c.pos, "cluster: --cluster-local-node or --cluster-local-nodemask must be specified")
	}
	if node > uint64(m.TotalNodes) && m.TotalNodes > 0 {
		c.errorf(c.pos, "cluster: --cluster-local-node must be <= --cluster-total-nodes")
	}
	if m.TotalNodes > 0 && m.TotalNodes < 32 && m.NodeMask >= 1<<m.TotalNodes {
		c.errorf(c.pos, "cluster: --cluster-local-nodemask names nodes above --cluster-total-nodes (the kernel refuses it)")
	}
	return m
}

func buildRPFilter(c *ctx) ir.Match {
	m := &ir.RPFilter{}
	for i := range c.opts {
		o := &c.opts[i]
		if !c.once(o) {
			continue
		}
		switch o.name {
		case "loose":
			m.Loose = true
		case "validmark":
			m.ValidMark = true
		case "accept-local":
			m.AcceptLocal = true
		case "invert":
			m.Invert = true
		}
	}
	if c.table != "raw" && c.table != "mangle" {
		c.errorf(c.pos, "rpfilter: only valid in the raw or mangle table, not %q", c.table)
	}
	return m
}

func buildTCPMSSMatch(c *ctx) ir.Match {
	m := &ir.TCPMSSMatch{}
	for i := range c.opts {
		o := &c.opts[i]
		if !c.once(o) {
			continue
		}
		lo, hi, ok := pkRange(c, o, 65535)
		if !ok {
			continue
		}
		if lo > hi {
			c.errorf(o.argPos(), "tcpmss: invalid range %q", o.arg())
			continue
		}
		m.Neg, m.Min, m.Max = o.neg, uint16(lo), uint16(hi)
	}
	if len(c.opts) == 0 {
		c.errorf(c.pos, "tcpmss: --mss is required")
	}
	requireProto(c, "tcp", 6)
	return m
}

func buildDCCP(c *ctx) ir.Match {
	m := &ir.DCCP{}
	for i := range c.opts {
		o := &c.opts[i]
		switch o.name {
		case "source-port", "sport":
			onePortOpt(c, o, "source", &m.SrcPorts, &m.NegSrc)
		case "destination-port", "dport":
			onePortOpt(c, o, "destination", &m.DstPorts, &m.NegDst)
		case "dccp-types":
			if !c.once(o) {
				continue
			}
			m.NegTypes = o.neg
			m.Types |= ir.DCCPTypes(pkNameBits(o.arg(), ir.DCCPTypeNames, func(w string) {
				c.errorf(o.argPos(), "dccp: unknown DCCP type %q", w)
			}))
		case "dccp-option":
			if !c.once(o) {
				continue
			}
			if v, ok := pkNum(c, o, 0, 255); ok {
				b := uint8(v)
				m.Option, m.NegOption = &b, o.neg
			}
		}
	}
	requireProto(c, "dccp", 33)
	return m
}
