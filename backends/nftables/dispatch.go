package nftables

import "github.com/ruleshift/ruleshift/translate/ir"

// match renders one match. Every ir.Match kind needs a case: the default is
// an internal error, never a silent skip.
func (w *rw) match(m ir.Match) {
	switch m := m.(type) {
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
	// MATCH CASES (keep this marker: new kinds are added above it)
	default:
		w.errorf("internal error: no nftables rendering for match %T", m)
	}
}

// target renders the rule's target statement(s).
func (w *rw) target(t ir.Target) {
	switch t := t.(type) {
	case *ir.Verdict:
		switch t.Kind {
		case ir.Accept:
			w.add("accept")
		case ir.Drop:
			w.add("drop")
		case ir.Return:
			w.add("return")
		}
	case *ir.Jump:
		if t.Goto {
			w.add("goto", w.chain(t.Chain))
		} else {
			w.add("jump", w.chain(t.Chain))
		}
	case *ir.Reject:
		w.reject(t)
	case *ir.Log:
		w.log(t)
	case *ir.NFLog:
		w.nflog(t)
	// TARGET CASES (keep this marker: new kinds are added above it)
	default:
		w.errorf("internal error: no nftables rendering for target %T", t)
	}
}
