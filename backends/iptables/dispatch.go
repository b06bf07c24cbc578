package iptables

import "github.com/ruleshift/ruleshift/translate/ir"

// match renders one match. Every kind of ir.Match must have a case here; the
// default is an internal error, never a silent skip.
func (w *writer) match(m ir.Match) {
	switch m := m.(type) {
	case *ir.Protocol:
		w.protocol(m)
	case *ir.Addr:
		w.addr(m)
	case *ir.Iface:
		w.iface(m)
	case *ir.Fragment:
		w.opt(m.Neg, "-f")
	case *ir.TCP:
		w.tcp(m)
	case *ir.UDP:
		w.udp(m)
	case *ir.SCTP:
		w.sctp(m)
	case *ir.ICMP:
		w.icmp(m)
	case *ir.Multiport:
		w.multiport(m)
	case *ir.Comment:
		w.module("comment", "--comment", QuoteAlways(m.Text))
	case *ir.State:
		w.state(m)
	case *ir.Conntrack:
		w.conntrack(m)
	case *ir.Mark:
		w.mark(m)
	case *ir.ConnMark:
		w.connMark(m)
	case *ir.Helper:
		w.helper(m)
	case *ir.ConnLimit:
		w.connLimit(m)
	case *ir.ConnBytes:
		w.connBytes(m)
	case *ir.ConnLabel:
		w.connLabel(m)
	case *ir.Limit:
		w.limit(m)
	case *ir.Hashlimit:
		w.hashlimit(m)
	case *ir.Recent:
		w.recent(m)
	case *ir.Owner:
		w.owner(m)
	case *ir.SetMatch:
		w.setMatch(m)
	case *ir.String:
		w.stringMatch(m)
	case *ir.U32:
		w.u32(m)
	case *ir.Time:
		w.timeMatch(m)
	case *ir.Statistic:
		w.statistic(m)
	case *ir.Quota:
		w.quota(m)
	case *ir.IPsecPolicy:
		w.policy(m)
	case *ir.Physdev:
		w.physdev(m)
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
	case *ir.Realm:
		w.realm(m)
	case *ir.Cluster:
		w.cluster(m)
	case *ir.DCCP:
		w.dccp(m)
	case *ir.AH:
		w.ah(m)
	case *ir.IPComp:
		w.ipcomp(m)
	case *ir.Frag:
		w.frag(m)
	case *ir.IPv6Opts:
		w.ipv6Opts(m)
	case *ir.RT:
		w.rt(m)
	case *ir.MH:
		w.mh(m)
	case *ir.IPv6Header:
		w.ipv6Header(m)
	case *ir.PktTypeMatch, *ir.Length, *ir.TOSMatch, *ir.DSCPMatch, *ir.CPU, *ir.Socket, *ir.RPFilter, *ir.TCPMSSMatch, *ir.ESP, *ir.EUI64:
		w.packetMatch(m)
	case *ir.NFProto:
		// Only an inet table has it, and iptables has no inet tables.
		w.errorf("a family match belongs to an nftables inet table; iptables keeps one table per family")
	case *ir.SetRef:
		// A named set of the ruleset would have to become an ipset, and
		// a restore file cannot create one.
		w.errorf("a lookup in the ruleset's set %q cannot be written for iptables: iptables-restore cannot create the ipset it needs", m.Name)
	case *ir.NFAcct:
		w.module("nfacct", "--nfacct-name", Quote(m.Name))
	case *ir.Tuples:
		// Only the optimiser makes it, for nftables.
		w.errorf("a lookup of several fields together is nftables' (made by --optimize); iptables cannot write it")
	// MATCH CASES (keep this marker: new kinds are added above it)
	default:
		w.errorf("internal error: no iptables rendering for match %T", m)
	}
}

// target renders the rule's target.
func (w *writer) target(t ir.Target) {
	switch t := t.(type) {
	case *ir.Verdict:
		w.add("-j", string(t.Kind))
	case *ir.Jump:
		if t.Goto {
			w.add("-g", Quote(t.Chain))
		} else {
			w.add("-j", Quote(t.Chain))
		}
	case *ir.Reject:
		w.reject(t)
	case *ir.Log:
		w.log(t)
	case *ir.NFLog:
		w.nflog(t)
	case *ir.MarkTarget:
		w.markTarget(t)
	case *ir.ConnMarkTarget:
		w.connMarkTarget(t)
	case *ir.CtTarget:
		w.ctTarget(t)
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
	case *ir.SetTarget:
		w.setTarget(t)
	case *ir.Checksum, *ir.TTL, *ir.HL, *ir.DSCP, *ir.TOS, *ir.Classify, *ir.Audit, *ir.Trace:
		w.simpleTarget(t)
	case *ir.VerdictMap:
		// Only the optimiser makes it, for nftables; iptables has one
		// verdict per rule.
		w.errorf("a verdict map is nftables' (made by --optimize); iptables has one verdict per rule")
	case *ir.NATMap:
		w.errorf("a NAT map is nftables' (made by --optimize); iptables has one address per rule")
	// TARGET CASES (keep this marker: new kinds are added above it)
	default:
		w.errorf("internal error: no iptables rendering for target %T", t)
	}
}
