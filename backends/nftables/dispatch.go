package nftables

import (
	"github.com/google/nftables/expr"
	"github.com/ruleshift/ruleshift/backends/nftables/stmt"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// match renders one match. Every ir.Match kind needs a case: the default is
// an internal error, never a silent skip.
func (w *rw) match(m ir.Match) {
	w.node = m
	switch m := m.(type) {
	case *ir.TCP:
		w.tcp(m)
	case *ir.UDP:
		w.udp(m)
	case *ir.SCTP:
		w.sctp(m)
	case *ir.ICMP:
		w.icmp(m)
	case *ir.Tuples:
		w.tuples(m)
	case *ir.Multiport:
		w.multiport(m)
	case *ir.Limit:
		w.limit(m)
	case *ir.Hashlimit:
		w.hashlimit(m)
	case *ir.Owner:
		w.owner(m)
	case *ir.Time:
		w.timeMatch(m)
	case *ir.Statistic:
		w.statistic(m)
	case *ir.Quota:
		w.quota(m)
	case *ir.IPsecPolicy:
		w.policy(m)
	case *ir.Recent:
		w.recent(m)
	case *ir.SetMatch:
		w.stateless("set", "nft cannot read ipsets: move the ipset into an nft set first")
	case *ir.String:
		w.stateless("string", "nft 1.0.6 has no payload string search")
	case *ir.U32:
		w.stateless("u32", "nft has no u32 expression language; rewrite it with raw payload expressions")
	case *ir.Physdev:
		w.stateless("physdev", "bridge ports are not visible to an ip/ip6 table (use a bridge family table with iifname/oifname)")
	case *ir.State:
		w.state(m)
	case *ir.Conntrack:
		w.conntrack(m)
	case *ir.Mark:
		w.markCond(stmt.MetaMark, m.Neg, m.Value, m.Mask)
	case *ir.ConnMark:
		w.markCond(stmt.CtMark, m.Neg, m.Value, m.Mask)
	case *ir.Helper:
		w.helper(m)
	case *ir.ConnLimit:
		w.connLimit(m)
	case *ir.ConnBytes:
		w.connBytes(m)
	case *ir.ConnLabel:
		w.connLabel(m)
	case *ir.MAC:
		w.mac(m)
	case *ir.IPRange:
		w.iprange(m)
	case *ir.AddrType:
		w.addrtype(m)
	case *ir.HopLimit:
		w.hopLimit(m)
	case *ir.ECNMatch:
		w.ecn(m)
	case *ir.DevGroup:
		w.devgroup(m)
	case *ir.Cgroup:
		w.cgroup(m)
	case *ir.Cluster:
		w.cluster(m)
	case *ir.DCCP:
		w.dccp(m)
	case *ir.AH:
		w.ah(m)
	case *ir.ESP:
		w.esp(m)
	case *ir.IPComp:
		w.ipcomp(m)
	case *ir.Frag:
		w.frag6(m)
	case *ir.IPv6Opts:
		w.ipv6Opts(m)
	case *ir.RT:
		w.rt(m)
	case *ir.MH:
		w.mh(m)
	case *ir.IPv6Header:
		w.ipv6Header(m)
	case *ir.PktTypeMatch, *ir.Length, *ir.DSCPMatch, *ir.CPU, *ir.TOSMatch, *ir.Socket, *ir.Realm, *ir.RPFilter, *ir.TCPMSSMatch, *ir.EUI64:
		w.packetMatch(m)
	case *ir.SetRef:
		w.setRef(m)
	case *ir.NFProto:
		if w.ctx.table != ir.Inet {
			w.errorf("internal error: a family match outside an inet table")
		}
		w.emit(&stmt.Cmp{Field: stmt.MetaNFProto, Value: []byte{nfproto(m.Family)}})
	case *ir.NFAcct:
		w.unsupported("-m nfacct", "nft has no match on nfnetlink_acct objects (an nft named counter is another object, which nfacct does not list)")
	// MATCH CASES (keep this marker: new kinds are added above it)
	default:
		w.errorf("internal error: no nftables rendering for match %T", m)
	}
}

// target renders the rule's target statement(s).
func (w *rw) target(t ir.Target) {
	w.node = t
	switch t := t.(type) {
	case *ir.Verdict:
		switch t.Kind {
		case ir.Accept:
			w.emit(&stmt.Verdict{Kind: expr.VerdictAccept})
		case ir.Drop:
			w.emit(&stmt.Verdict{Kind: expr.VerdictDrop})
		case ir.Return:
			w.emit(&stmt.Verdict{Kind: expr.VerdictReturn})
		}
	case *ir.Jump:
		k := expr.VerdictJump
		if t.Goto {
			k = expr.VerdictGoto
		}
		w.emit(&stmt.Verdict{Kind: k, Chain: w.chain(t.Chain)})
	case *ir.Reject:
		w.reject(t)
	case *ir.Log:
		w.log(t)
	case *ir.NFLog:
		w.nflog(t)
	case *ir.SNAT:
		w.snat(t)
	case *ir.DNAT:
		w.dnat(t)
	case *ir.Masquerade:
		w.masquerade(t)
	case *ir.Redirect:
		w.redirect(t)
	case *ir.Netmap:
		w.netmap(t)
	case *ir.TCPMSS:
		w.tcpmss(t)
	case *ir.TProxy:
		w.tproxy(t)
	case *ir.NFQueue:
		w.nfqueue(t)
	case *ir.SynProxy:
		w.synproxy(t)
	case *ir.Tee:
		w.tee(t)
	case *ir.Checksum, *ir.TTL, *ir.HL, *ir.DSCP, *ir.TOS, *ir.Classify, *ir.Audit, *ir.Trace, *ir.SetTarget:
		w.simpleTarget(t)
	case *ir.MarkTarget:
		w.markTarget(t)
	case *ir.ConnMarkTarget:
		w.connMarkTarget(t)
	case *ir.CtTarget:
		w.ctTarget(t)
	case *ir.VerdictMap:
		w.verdictMap(t)
	case *ir.NATMap:
		w.natMap(t)
	// TARGET CASES (keep this marker: new kinds are added above it)
	default:
		w.errorf("internal error: no nftables rendering for target %T", t)
	}
}
