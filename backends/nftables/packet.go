package nftables

import (
	"fmt"
	"math/bits"
	"strings"

	"github.com/google/nftables/expr"
	"github.com/ruleshift/ruleshift/backends/nftables/stmt"
	"github.com/ruleshift/ruleshift/translate/ir"
	"golang.org/x/sys/unix"
)

// Packet matches, in the form iptables-translate uses where that form is
// faithful to the kernel's iptables match.

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
	iface, flags := "", uint32(0)
	switch {
	case m.LimitIfaceIn:
		iface, flags = " . iif", unix.NFTA_FIB_F_IIF
	case m.LimitIfaceOut:
		iface, flags = " . oif", unix.NFTA_FIB_F_OIF
	}
	side := func(dir string, dflag uint32, t ir.AddrTypes, neg bool) {
		if t == 0 {
			return
		}
		// nft 1.0.6 has no names for RTN_THROW, RTN_NAT and RTN_XRESOLVE;
		// they print as the route type number (stmt.FibAddrTypeNames).
		var elems []stmt.Elem
		for i := range ir.AddrTypeNames {
			if t&(1<<i) != 0 {
				elems = append(elems, stmt.Elem{From: stmt.Host32(uint32(i))})
			}
		}
		f := &stmt.Fib{Text: "fib " + dir + iface + " type", Flags: dflag | flags, Result: unix.NFT_FIB_RESULT_ADDRTYPE, Dt: stmt.FibAddrTypeDt}
		c := &stmt.Cmp{Field: f, Neg: neg, Value: elems[0].From}
		if len(elems) > 1 {
			c.Value, c.Set = nil, &stmt.Set{Key: stmt.FibAddrTypeDt, KeyLen: 4, Elems: elems}
		}
		w.emit(c)
	}
	side("saddr", unix.NFTA_FIB_F_SADDR, m.Src, m.NegSrc)
	side("daddr", unix.NFTA_FIB_F_DADDR, m.Dst, m.NegDst)
}

// pkPktTypeNft are the packet types in the order of their kernel numbers
// (PACKET_HOST, PACKET_BROADCAST, PACKET_MULTICAST, PACKET_OTHERHOST).
var pkPktTypeNft = map[ir.PktType]byte{
	ir.PktUnicast: 0, ir.PktBroadcast: 1, ir.PktMulticast: 2, ir.PktOtherHost: 3,
}

// rangeCond writes "FIELD [!=] lo[-hi]"; a reversed range matches nothing.
func (w *rw) rangeCond(what string, f stmt.Field, lo, hi uint32, neg bool) {
	switch {
	case lo > hi && neg:
	case lo > hi:
		w.unsupported(fmt.Sprintf("%s %d:%d", what, lo, hi), "the range is reversed and matches no packet; remove the rule")
	default:
		w.fieldCmp(f, lo, hi, neg)
	}
}

// hostRange compares a host-order 32-bit field with lo or lo-hi; a
// reversed range matches nothing.
func (w *rw) hostRange(what string, f stmt.Field, lo, hi uint16, neg bool) {
	switch {
	case lo > hi && neg:
	case lo > hi:
		w.unsupported(fmt.Sprintf("%s %d:%d", what, lo, hi), "the range is reversed and matches no packet; remove the rule")
	case lo == hi:
		w.emit(&stmt.Cmp{Field: f, Neg: neg, Value: stmt.Host32(uint32(lo))})
	default:
		w.emit(&stmt.Cmp{Field: f, Neg: neg, Value: stmt.Host32(uint32(lo)), To: stmt.Host32(uint32(hi))})
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
	// bits 4-11 of the IPv6 header.
	if w.v6() {
		w.emit(&stmt.TrafficClass{Neg: m.Neg, Mask: m.Mask, Value: m.Value})
		return
	}
	w.emit(&stmt.Cmp{Field: stmt.IPTOS, Neg: m.Neg, Mask: []byte{m.Mask}, Value: []byte{m.Value}})
}

// tcpBit writes a test of one TCP flag bit. "tcp flags != ecn" in nft
// 1.0.6 compares the whole flags byte with 0x40 (what iptables-translate
// writes), which is not "ECE clear"; the clear test masks the bit.
func (w *rw) ecn(m *ir.ECNMatch) {
	if m.ECE {
		w.emit(&stmt.TCPBit{Name: "ecn", Bit: 0x40, Clear: m.NegECE})
	}
	if m.CWR {
		w.emit(&stmt.TCPBit{Name: "cwr", Bit: 0x80, Clear: m.NegCWR})
	}
	if m.IP {
		f := stmt.IPECN
		if w.v6() {
			f = stmt.IP6ECN
		}
		w.emit(&stmt.Cmp{Field: f, Neg: m.NegIP, Value: []byte{m.ECT & 3}})
	}
}

func (w *rw) devgroup(m *ir.DevGroup) {
	side := func(f *stmt.Meta, g *ir.GroupMask, neg bool) {
		if g != nil {
			w.maskedKey(f, g.Value, g.Mask, neg)
		}
	}
	side(stmt.IifGroup, m.Src, m.NegSrc)
	side(stmt.OifGroup, m.Dst, m.NegDst)
}

func (w *rw) cgroup(m *ir.Cgroup) {
	if m.ClassID != nil {
		w.emit(&stmt.Cmp{Field: stmt.MetaCgroup, Neg: m.NegClassID, Value: stmt.Host32(*m.ClassID)})
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
	w.emit(&stmt.SocketCgroup{Level: uint32(strings.Count(p, "/") + 1), Neg: m.NegPath, Path: p})
}

func (w *rw) socket(m *ir.Socket) {
	one, zero := []byte{1}, []byte{0}
	switch {
	case m.NoWildcard && m.Transparent:
		w.emit(&stmt.Cmp{Field: stmt.SocketTransparent, Value: one})
	case m.NoWildcard:
		// Any socket will do, including one bound to a wildcard address.
		w.emit(&stmt.Cmp{Field: stmt.SocketWildcard, Op: expr.CmpOpLte, Value: one})
	case m.Transparent:
		w.emit(&stmt.Cmp{Field: stmt.SocketWildcard, Value: zero})
		w.emit(&stmt.Cmp{Field: stmt.SocketTransparent, Value: one})
	default:
		w.emit(&stmt.Cmp{Field: stmt.SocketWildcard, Value: zero})
	}
	if m.RestoreSkMark {
		w.emit(&stmt.SocketMarkRestore{})
	}
}

// maskedKey compares a 32-bit host-order key, under a mask unless it is
// all ones.
func (w *rw) maskedKey(f *stmt.Meta, v, mask uint32, neg bool) {
	c := &stmt.Cmp{Field: f, Neg: neg, Value: stmt.Host32(v)}
	if mask != 0xffffffff {
		c.Mask = stmt.Host32(mask)
	}
	w.emit(c)
}

func (w *rw) realm(m *ir.Realm) {
	w.maskedKey(stmt.RtClassID, m.ID, m.Mask, m.Neg)
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
	var vals []uint32
	for b := uint32(0); b < 32 && b < m.TotalNodes; b++ {
		if m.NodeMask&(1<<b) != 0 {
			vals = append(vals, b)
		}
	}
	// "ct original saddr" without the family makes nft 1.0.6 crash when
	// it lists the rule; "ct original ip saddr" lists fine.
	hash := stmt.JHash{V6: w.v6(), Mod: m.TotalNodes, Seed: m.HashSeed}
	switch {
	case len(vals) == 0 && !m.Neg:
		w.unsupported("cluster", "the node mask names no node below --cluster-total-nodes, so it matches no packet")
		return
	case len(vals) == 0:
	case m.Neg:
		// nft 1.0.6 crashes listing "jhash … != { … }": one test each.
		for _, v := range vals {
			h := hash
			h.Neg, h.Vals = true, []uint32{v}
			w.emit(&h)
		}
	default:
		hash.Vals = vals
		w.emit(&hash)
	}
	w.emit(&stmt.PktTypeHost{})
}

func (w *rw) rpfilter(m *ir.RPFilter) {
	if m.AcceptLocal {
		w.unsupported("rpfilter --accept-local", "nft's fib expression has no way to accept a local source address in the same lookup")
		return
	}
	s, flags := "fib saddr", uint32(unix.NFTA_FIB_F_SADDR)
	if m.ValidMark {
		s += " . mark"
		flags |= unix.NFTA_FIB_F_MARK
	}
	if !m.Loose {
		s += " . iif"
		flags |= unix.NFTA_FIB_F_IIF
	}
	f := &stmt.Fib{Text: s + " oif", Flags: flags, Result: unix.NFT_FIB_RESULT_OIF, Dt: stmt.HostInt}
	w.emit(&stmt.Cmp{Field: f, Neg: !m.Invert, Value: stmt.Host32(0)})
}

func (w *rw) tcpmssMatch(m *ir.TCPMSSMatch) {
	if m.Neg {
		// xt_tcpmss's negation also matches TCP packets that carry no MSS
		// option; nft's option test never matches those.
		w.unsupported("\"! --mss\"", "iptables also matches packets without an MSS option there, and nft cannot test \"size differs or option missing\" in one rule")
		return
	}
	if m.Min == 0 && m.Max == 65535 {
		w.emit(&stmt.Present{Text: "tcp option maxseg", Op: expr.ExthdrOpTcpopt, Hdr: stmt.TCPOptMSS})
		return
	}
	w.rangeCond("tcpmss --mss", stmt.TCPOptMSSSize, uint32(m.Min), uint32(m.Max), false)
}

func (w *rw) dccp(m *ir.DCCP) {
	n := 0
	if w.portMatch(protoDCCP, false, m.SrcPorts, m.NegSrc) {
		n++
	}
	if w.portMatch(protoDCCP, true, m.DstPorts, m.NegDst) {
		n++
	}
	if m.Types != 0 && m.Types&(m.Types-1) == 0 && m.Types < stmt.DCCPReserved {
		// One named type.
		w.emit(&stmt.Cmp{Field: stmt.DCCPType, Neg: m.NegTypes, Value: []byte{byte(bits.TrailingZeros16(uint16(m.Types)))}})
		n++
	} else if m.Types != 0 {
		w.emit(&stmt.DCCPTypes{Neg: m.NegTypes, Types: uint16(m.Types) & (stmt.DCCPReserved<<1 - 1)})
		n++
	}
	if m.Option != nil {
		w.unsupported("dccp --dccp-option", "nft 1.0.6 has no DCCP option test")
		return
	}
	if n == 0 && w.l4Needed() {
		w.l4Only(protoDCCP)
	}
}

// packetMatch renders the packet matches that are one expression; it
// reports whether m was one of them.
func (w *rw) packetMatch(m ir.Match) bool {
	switch m := m.(type) {
	case *ir.PktTypeMatch:
		w.emit(&stmt.Cmp{Field: stmt.MetaPktType, Neg: m.Neg, Value: []byte{pkPktTypeNft[m.Type]}})
	case *ir.Length:
		w.hostRange("length", stmt.MetaLength, m.Min, m.Max, m.Neg)
	case *ir.DSCPMatch:
		f := stmt.IPDSCP
		if w.v6() {
			f = stmt.IP6DSCP
		}
		w.emit(&stmt.Cmp{Field: f, Neg: m.Neg, Value: []byte{m.Value}})
	case *ir.CPU:
		w.emit(&stmt.Cmp{Field: stmt.MetaCPU, Neg: m.Neg, Value: stmt.Host32(m.CPU)})
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
