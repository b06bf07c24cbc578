package passes

import "github.com/ruleshift/ruleshift/translate/ir"

// Normalize rewrites every -m state --state into the conntrack match's
// --ctstate form, which the kernel evaluates the same way (xt_state and
// xt_conntrack read the same state bits of the packet's connection), so
// that later passes see one kind where two mean the same.
//
// It is opt-in per backend: the iptables backend prints ir.State back as
// "-m state" so that a user's rules round-trip unchanged, and must not be
// given the normalised ruleset. The nftables backend already renders both
// kinds as "ct state", so nothing calls Normalize today.
//
// The result shares every table, chain and rule it does not change with
// rs; rs itself is left alone.
func Normalize(rs *ir.Ruleset) *ir.Ruleset {
	out := &ir.Ruleset{Tables: make([]*ir.Table, len(rs.Tables))}
	for i, t := range rs.Tables {
		out.Tables[i] = normalizeTable(t)
	}
	return out
}

func normalizeTable(t *ir.Table) *ir.Table {
	var nt *ir.Table
	for ci, c := range t.Chains {
		var nc *ir.Chain
		for ri, r := range c.Rules {
			nr := normalizeRule(r)
			if nr == r {
				continue
			}
			if nt == nil {
				cp := *t
				cp.Chains = append([]*ir.Chain(nil), t.Chains...)
				nt = &cp
			}
			if nc == nil {
				cp := *c
				cp.Rules = append([]*ir.Rule(nil), c.Rules...)
				nc = &cp
				nt.Chains[ci] = nc
			}
			nc.Rules[ri] = nr
		}
	}
	if nt == nil {
		return t
	}
	return nt
}

// normalizeRule returns r itself when it holds no state match, else a copy
// with each replaced by a conntrack match.
func normalizeRule(r *ir.Rule) *ir.Rule {
	var ms []ir.Match
	for i, m := range r.Matches {
		s, ok := m.(*ir.State)
		if !ok {
			continue
		}
		if ms == nil {
			ms = append([]ir.Match(nil), r.Matches...)
		}
		st := *s
		ms[i] = &ir.Conntrack{State: &st}
	}
	if ms == nil {
		return r
	}
	cp := *r
	cp.Matches = ms
	return &cp
}
