package nftables

import (
	"fmt"
	"strings"

	"github.com/google/nftables/expr"
	"github.com/ruleshift/ruleshift/backends/nftables/stmt"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// Packet matches, in the form iptables-translate uses where that form is
// faithful to the kernel's iptables match.

// neq returns "!= " for a negated comparison.
func neq(neg bool) string {
	if neg {
		return "!= "
	}
	return ""
}

func (w *rw) mac(m *ir.MAC) {
	w.emit(&stmt.Cmp{Field: stmt.EtherSaddr, Neg: m.Neg, Value: m.Addr})
}

// addrRange writes one iprange side. A reversed range matches nothing in
// the kernel: negated it is always true and adds no condition.
func (w *rw) addrRange(dir string, r *ir.AddrRange, neg bool) {
	if r == nil {
		return
	}
	switch c := r.From.Compare(r.To); {
	case c > 0 && neg:
		return
	case c > 0:
		w.unsupported(fmt.Sprintf("iprange %s-%s", r.From, r.To), "the range is reversed and matches no packet; remove the rule")
	case c == 0:
		w.emit(&stmt.Cmp{Field: w.addrField(dir == "daddr"), Neg: neg, Value: r.From.AsSlice()})
	default:
		w.emit(&stmt.Cmp{Field: w.addrField(dir == "daddr"), Neg: neg, Value: r.From.AsSlice(), To: r.To.AsSlice()})
	}
}

func (w *rw) iprange(m *ir.IPRange) {
	w.addrRange("saddr", m.Src, m.NegSrc)
	w.addrRange("daddr", m.Dst, m.NegDst)
}

func (w *rw) addrtype(m *ir.AddrType) {
	iface := ""
	switch {
	case m.LimitIfaceIn:
		iface = " . iif"
	case m.LimitIfaceOut:
		iface = " . oif"
	}
	side := func(dir string, t ir.AddrTypes, neg bool) {
		if t == 0 {
			return
		}
		var names []string
		for i, n := range ir.AddrTypeNames {
			switch {
			case t&(1<<i) == 0:
			case i >= 9:
				// nft 1.0.6 has no names for RTN_THROW, RTN_NAT and
				// RTN_XRESOLVE; the type is the route type number.
				names = append(names, fmt.Sprint(i))
			default:
				names = append(names, strings.ToLower(n))
			}
		}
		v := names[0]
		if len(names) > 1 {
			v = "{ " + strings.Join(names, ", ") + " }"
		}
		w.addf("fib %s%s type %s%s", dir, iface, neq(neg), v)
	}
	side("saddr", m.Src, m.NegSrc)
	side("daddr", m.Dst, m.NegDst)
}

var pkPktTypeNft = map[ir.PktType]string{
	ir.PktUnicast: "unicast", ir.PktBroadcast: "broadcast", ir.PktMulticast: "multicast", ir.PktOtherHost: "other",
}

// u16Cond writes "EXPR [!=] lo[-hi]"; a reversed range matches nothing.
func (w *rw) u16Cond(what, expr string, lo, hi uint16, neg bool) {
	switch {
	case lo > hi && neg:
	case lo > hi:
		w.unsupported(fmt.Sprintf("%s %d:%d", what, lo, hi), "the range is reversed and matches no packet; remove the rule")
	case lo == hi:
		w.addf("%s %s%d", expr, neq(neg), lo)
	default:
		w.addf("%s %s%d-%d", expr, neq(neg), lo, hi)
	}
}

func (w *rw) hopLimit(m *ir.HopLimit) {
	c := &stmt.Cmp{Field: stmt.IPTTL, Neg: m.Neg, Value: []byte{m.Value}}
	if m.V6 {
		c.Field = stmt.IP6HopLimit
	}
	switch m.Op {
	case ir.CmpLt:
		c.Op, c.Neg = expr.CmpOpLt, false
	case ir.CmpGt:
		c.Op, c.Neg = expr.CmpOpGt, false
	}
	w.emit(c)
}

func (w *rw) tosMatch(m *ir.TOSMatch) {
	// The TOS byte is bits 8-15 of the IPv4 header and the traffic class
	// bits 4-11 of the IPv6 header; nft names only its dscp and ecn parts.
	off := 8
	if w.v6() {
		off = 4
	}
	op := "=="
	if m.Neg {
		op = "!="
	}
	w.addf("@nh,%d,8 & 0x%02x %s 0x%02x", off, m.Mask, op, m.Value)
}

var pkECTNft = []string{"not-ect", "ect1", "ect0", "ce"}

// tcpBit writes a test of one TCP flag bit. "tcp flags != ecn" in nft
// 1.0.6 compares the whole flags byte with 0x40 (what iptables-translate
// writes), which is not "ECE clear"; the clear test masks the bit.
func (w *rw) tcpBit(name string, neg bool) {
	if neg {
		w.addf("tcp flags & %s == 0", name)
		return
	}
	w.addf("tcp flags %s", name)
}

func (w *rw) ecn(m *ir.ECNMatch) {
	if m.ECE {
		w.tcpBit("ecn", m.NegECE)
	}
	if m.CWR {
		w.tcpBit("cwr", m.NegCWR)
	}
	if m.IP {
		w.addf("%s ecn %s%s", w.ipKW(), neq(m.NegIP), pkECTNft[m.ECT&3])
	}
}

func (w *rw) devgroup(m *ir.DevGroup) {
	side := func(kw string, g *ir.GroupMask, neg bool) {
		if g == nil {
			return
		}
		if g.Mask == 0xffffffff {
			w.addf("%s %s0x%x", kw, neq(neg), g.Value)
			return
		}
		op := "=="
		if neg {
			op = "!="
		}
		w.addf("%s and 0x%x %s 0x%x", kw, g.Mask, op, g.Value)
	}
	side("iifgroup", m.Src, m.NegSrc)
	side("oifgroup", m.Dst, m.NegDst)
}

func (w *rw) cgroup(m *ir.Cgroup) {
	if m.ClassID != nil {
		w.addf("meta cgroup %s%d", neq(m.NegClassID), *m.ClassID)
	}
	if m.Path == "" {
		return
	}
	p := strings.Trim(m.Path, "/")
	if p == "" || strings.Contains(p, `"`) {
		w.unsupported(fmt.Sprintf("cgroup --path %q", m.Path), "nft's socket cgroupv2 needs a path below the root without double quotes")
		return
	}
	// xt_cgroup matches the path's cgroup and its descendants; nft does
	// the same by comparing the socket's ancestor at the path's depth.
	w.addf("socket cgroupv2 level %d %s%s", strings.Count(p, "/")+1, neq(m.NegPath), quote(p))
}

func (w *rw) socket(m *ir.Socket) {
	switch {
	case m.NoWildcard && m.Transparent:
		w.add("socket transparent 1")
	case m.NoWildcard:
		// Any socket will do, including one bound to a wildcard address.
		w.add("socket wildcard le 1")
	case m.Transparent:
		w.add("socket wildcard 0 socket transparent 1")
	default:
		w.add("socket wildcard 0")
	}
	if m.RestoreSkMark {
		w.add("meta mark set socket mark")
	}
}

func (w *rw) realm(m *ir.Realm) {
	if m.Mask == 0xffffffff {
		w.addf("rtclassid %s0x%x", neq(m.Neg), m.ID)
		return
	}
	op := "=="
	if m.Neg {
		op = "!="
	}
	w.addf("rtclassid and 0x%x %s 0x%x", m.Mask, op, m.ID)
}

// cluster follows xt_cluster: the node of a packet is the jhash of the
// connection's original source address scaled to the node count, and
// node n (1-based) is bit n-1 of the mask, so it is hash value n-1.
// (iptables-translate 1.8.9 writes the 1-based node number for a single
// node, which is off by one.)
func (w *rw) cluster(m *ir.Cluster) {
	// The translation ends in "meta pkttype set host", which the kernel
	// takes only in a prerouting base chain (nft_meta_set_validate;
	// EOPNOTSUPP elsewhere, found by the property test on Linux 6.x).
	if b := w.ctx.Base; b == nil || b.Hook != ir.HookPrerouting {
		w.unsupported("cluster", "its nft form sets the packet type to host, which nft allows only in a PREROUTING chain, and this rule is in "+w.ctx.Chain)
		return
	}
	var vals []string
	for b := uint32(0); b < 32 && b < m.TotalNodes; b++ {
		if m.NodeMask&(1<<b) != 0 {
			vals = append(vals, fmt.Sprint(b))
		}
	}
	// "ct original saddr" without the family makes nft 1.0.6 crash when
	// it lists the rule; "ct original ip saddr" lists fine.
	hash := fmt.Sprintf("jhash ct original %s saddr mod %d seed 0x%x", w.ipKW(), m.TotalNodes, m.HashSeed)
	switch {
	case len(vals) == 0 && !m.Neg:
		w.unsupported("cluster", "the node mask names no node below --cluster-total-nodes, so it matches no packet")
		return
	case len(vals) == 0:
	case m.Neg:
		// nft 1.0.6 crashes listing "jhash … != { … }": one test each.
		for _, v := range vals {
			w.addf("%s != %s", hash, v)
		}
	case len(vals) == 1:
		w.addf("%s eq %s", hash, vals[0])
	default:
		w.addf("%s { %s }", hash, strings.Join(vals, ", "))
	}
	w.add("meta pkttype set host")
}

func (w *rw) rpfilter(m *ir.RPFilter) {
	if m.AcceptLocal {
		w.unsupported("rpfilter --accept-local", "nft's fib expression has no way to accept a local source address in the same lookup")
		return
	}
	s := "fib saddr"
	if m.ValidMark {
		s += " . mark"
	}
	if !m.Loose {
		s += " . iif"
	}
	if m.Invert {
		w.add(s + " oif 0")
	} else {
		w.add(s + " oif != 0")
	}
}

func (w *rw) tcpmssMatch(m *ir.TCPMSSMatch) {
	if m.Neg {
		// xt_tcpmss's negation also matches TCP packets that carry no MSS
		// option; nft's option test never matches those.
		w.unsupported("\"! --mss\"", "iptables also matches packets without an MSS option there, and nft cannot test \"size differs or option missing\" in one rule")
		return
	}
	if m.Min == 0 && m.Max == 65535 {
		w.add("tcp option maxseg exists")
		return
	}
	w.u16Cond("tcpmss --mss", "tcp option maxseg size", m.Min, m.Max, false)
}

var pkDCCPTypeNft = []string{"request", "response", "data", "ack", "dataack", "closereq", "close", "reset", "sync", "syncack", "10-15"}

func (w *rw) dccp(m *ir.DCCP) {
	n := 0
	if w.portMatch("dccp", "sport", m.SrcPorts, m.NegSrc) {
		n++
	}
	if w.portMatch("dccp", "dport", m.DstPorts, m.NegDst) {
		n++
	}
	if m.Types != 0 {
		var ts []string
		for i, name := range pkDCCPTypeNft {
			if m.Types&(1<<i) != 0 {
				ts = append(ts, name)
			}
		}
		v := ts[0]
		if len(ts) > 1 {
			v = "{ " + strings.Join(ts, ", ") + " }"
		}
		w.addf("dccp type %s%s", neq(m.NegTypes), v)
		n++
	}
	if m.Option != nil {
		w.unsupported("dccp --dccp-option", "nft 1.0.6 has no DCCP option test")
		return
	}
	if n == 0 && w.l4Needed() {
		w.l4Only("dccp")
	}
}

// packetMatch renders the packet matches that are one expression; it
// reports whether m was one of them.
func (w *rw) packetMatch(m ir.Match) bool {
	switch m := m.(type) {
	case *ir.PktTypeMatch:
		w.addf("pkttype %s%s", neq(m.Neg), pkPktTypeNft[m.Type])
	case *ir.Length:
		w.u16Cond("length", "meta length", m.Min, m.Max, m.Neg)
	case *ir.DSCPMatch:
		w.addf("%s dscp %s0x%02x", w.ipKW(), neq(m.Neg), m.Value)
	case *ir.CPU:
		w.addf("cpu %s%d", neq(m.Neg), m.CPU)
	case *ir.TOSMatch:
		w.tosMatch(m)
	case *ir.Socket:
		w.socket(m)
	case *ir.Realm:
		w.realm(m)
	case *ir.RPFilter:
		w.rpfilter(m)
	case *ir.TCPMSSMatch:
		w.tcpmssMatch(m)
	case *ir.EUI64:
		w.unsupported("eui64", "nft cannot compare the source address with the EUI-64 of the source MAC address")
	default:
		return false
	}
	return true
}
