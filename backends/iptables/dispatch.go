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
		w.add("-m", "comment", "--comment", QuoteAlways(m.Text))
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
	// TARGET CASES (keep this marker: new kinds are added above it)
	default:
		w.errorf("internal error: no iptables rendering for target %T", t)
	}
}
