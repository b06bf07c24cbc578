package policy

import "github.com/ruleshift/ruleshift/translate/ir"

// icmpv6Needed are the ICMPv6 types the policy reader accepts first in an
// IPv6 chain whose default is not accept (RFC 4890); forward takes the
// first four, the errors.
var icmpv6Needed = []uint8{1, 2, 3, 4, 133, 134, 135, 136}

// defaults sets each direction's default verdict: that of a last rule
// that takes every packet (accept, drop, or reject as the reader's
// reject answers), else the chain policy. Where the families disagree,
// the first family's verdict is the default and the other family's chain
// ends in a rule that takes every packet with its own verdict, which is
// exact.
func (p *Policy) defaults(pol map[ir.Family]map[string]ir.Policy) {
	for _, f := range p.Families {
		p.Chains[f] = map[string][]*ir.Rule{}
	}
	for _, dir := range dirs {
		eff := map[ir.Family]string{}
		last := map[ir.Family]bool{}
		for _, f := range p.Families {
			eff[f], last[f] = verdictOf(pol[f][dir.key], p.body[f][dir.key], f)
		}
		def := eff[p.Families[0]]
		p.Default[dir.key] = def
		for _, f := range p.Families {
			b := p.body[f][dir.key]
			switch {
			case eff[f] == def && last[f]:
				b = b[:len(b)-1]
			case eff[f] != def && !last[f]:
				kind := ir.Accept
				if eff[f] == "drop" {
					kind = ir.Drop
				}
				b = append(b[:len(b):len(b)], &ir.Rule{Target: &ir.Verdict{Kind: kind}})
			}
			p.body[f][dir.key] = b
			// What the reader makes of it: the rules, then reject.
			full := append([]*ir.Rule{}, b...)
			if def == "reject" {
				full = append(full, &ir.Rule{Target: &ir.Reject{With: rejectWith(f)}})
			}
			p.Chains[f][dir.key] = full
		}
	}
}

// verdictOf returns the verdict of a chain, and whether its last rule
// (which takes every packet) gives it rather than its policy.
func verdictOf(pol ir.Policy, rules []*ir.Rule, f ir.Family) (string, bool) {
	if n := len(rules); n > 0 && len(rules[n-1].Matches) == 0 {
		switch t := rules[n-1].Target.(type) {
		case *ir.Reject:
			if t.With == rejectWith(f) {
				return "reject", true
			}
		case *ir.Verdict:
			switch t.Kind {
			case ir.Accept:
				return "accept", true
			case ir.Drop:
				return "drop", true
			}
		}
	}
	if pol == ir.PolicyDrop {
		return "drop", false
	}
	return "accept", false
}

func rejectWith(f ir.Family) ir.RejectWith {
	if f == ir.IPv6 {
		return ir.Reject6PortUnreach
	}
	return ir.RejectPortUnreach
}

// safeDefaults turns on each safe default whose rules every chain it
// concerns starts with, exactly as the reader makes them, and takes those
// rules off the chains' bodies; the others are written as false.
func (p *Policy) safeDefaults() {
	p.Loopback = p.strip(func(f ir.Family, dir string) []func(*ir.Rule) bool {
		switch dir {
		case "input":
			return []func(*ir.Rule) bool{isLoopback(ir.Src)}
		case "output":
			return []func(*ir.Rule) bool{isLoopback(ir.Dst)}
		}
		return nil
	})
	p.Established = p.strip(func(ir.Family, string) []func(*ir.Rule) bool {
		return []func(*ir.Rule) bool{isEstablished}
	})
	p.ICMPv6 = p.strip(func(f ir.Family, dir string) []func(*ir.Rule) bool {
		if f != ir.IPv6 || p.Default[dir] == "accept" {
			return nil
		}
		types := icmpv6Needed
		if dir == "forward" {
			types = types[:4]
		}
		var out []func(*ir.Rule) bool
		for _, t := range types {
			out = append(out, isICMPv6(t))
		}
		return out
	})
}

// strip reports whether every chain starts with the rules want names for
// it, and then removes them.
func (p *Policy) strip(want func(ir.Family, string) []func(*ir.Rule) bool) bool {
	for _, f := range p.Families {
		for _, dir := range dirs {
			w := want(f, dir.key)
			b := p.body[f][dir.key]
			if len(b) < len(w) {
				return false
			}
			for i, ok := range w {
				if !ok(b[i]) {
					return false
				}
			}
		}
	}
	for _, f := range p.Families {
		for _, dir := range dirs {
			p.body[f][dir.key] = p.body[f][dir.key][len(want(f, dir.key)):]
		}
	}
	return true
}

func accepts(r *ir.Rule) bool {
	v, ok := r.Target.(*ir.Verdict)
	return ok && v.Kind == ir.Accept
}

func isLoopback(d ir.Dir) func(*ir.Rule) bool {
	return func(r *ir.Rule) bool {
		if !accepts(r) || len(r.Matches) != 1 {
			return false
		}
		m, ok := r.Matches[0].(*ir.Iface)
		return ok && !m.Neg && m.Dir == d && m.Name == "lo"
	}
}

func isEstablished(r *ir.Rule) bool {
	if !accepts(r) || len(r.Matches) != 1 {
		return false
	}
	st := stateOf(r.Matches[0])
	return st != nil && !st.Neg && st.States == ir.CtEstablished|ir.CtRelated
}

// stateOf returns the state test of -m state, or of -m conntrack when
// --ctstate is all it tests: the two are the same test.
func stateOf(m ir.Match) *ir.State {
	switch m := m.(type) {
	case *ir.State:
		return m
	case *ir.Conntrack:
		if m.State != nil && (ir.Conntrack{At: m.At, State: m.State}) == *m {
			return m.State
		}
	}
	return nil
}

func isICMPv6(t uint8) func(*ir.Rule) bool {
	return func(r *ir.Rule) bool {
		if !accepts(r) || len(r.Matches) != 2 {
			return false
		}
		pr, ok1 := r.Matches[0].(*ir.Protocol)
		ic, ok2 := r.Matches[1].(*ir.ICMP)
		return ok1 && ok2 && !pr.Neg && !pr.All && pr.Num == 58 && ic.V6 && !ic.Neg && !ic.Any && ic.Type == t && ic.AnyCode()
	}
}
