package lint

import (
	"fmt"
	"strings"

	"github.com/ruleshift/ruleshift/translate/ir"
	"github.com/ruleshift/ruleshift/translate/passes/pktset"
)

// table runs every check of one table.
func (l *linter) table(t *ir.Table) {
	pt := l.pt(t)
	for _, c := range t.Chains {
		if c.MirrorOf != "" {
			continue // a copy ruleshift made; the raw chain's findings stand for it
		}
		ch := pt.Chain(c)
		for i := range ch.Rules {
			l.rule(ch, i)
		}
		permissive := t.Name == "filter" && l.permissive(ch)
		l.below(ch, permissive)
	}
	if t.Name == "filter" {
		l.filter(pt)
	}
}

// where names a rule for a message: its position, or "rule N of CHAIN".
func where(c *ir.Chain, i int) string {
	if p := c.Rules[i].Src; !p.IsZero() {
		return p.String()
	}
	return fmt.Sprintf("rule %d of %s", i+1, c.Name)
}

func positions(c *ir.Chain, idx []int) []ir.Pos {
	var out []ir.Pos
	for _, i := range idx {
		out = append(out, c.Rules[i].Src)
	}
	return out
}

func wheres(c *ir.Chain, idx []int) string {
	var s []string
	for _, i := range idx {
		s = append(s, where(c, i))
	}
	if len(s) > 4 {
		s = append(s[:4], fmt.Sprintf("and %d more", len(s)-4))
	}
	return strings.Join(s, ", ")
}

// rule runs the checks about one rule of a chain.
func (l *linter) rule(ch *pktset.Chain, i int) {
	c, r, x := ch.C, ch.C.Rules[i], &ch.Rules[i]
	for _, m := range r.Matches {
		switch m := m.(type) {
		case *ir.Addr:
			if m.Host != "" {
				l.add("L1", r, ir.PosOf(m, r), nil,
					"write the addresses, or keep them in an ipset (an nftables set) that a resolver updates",
					"host name %q was resolved once, when the rule was added, to %s: iptables adds one rule per address, ignores AAAA records, and never follows a change", m.Host, m.Net.Addr())
			}
		case *ir.State:
			l.add("L2", r, ir.PosOf(m, r), nil,
				"write -m conntrack --ctstate instead (same states, same meaning)",
				"-m state is the old alias of -m conntrack --ctstate")
		}
	}
	if x.Set.Empty() {
		if ch.Dead(i) {
			l.add("L11", r, r.Src, nil, "remove the rule, or fix the condition that contradicts the others",
				"no packet can match this rule: its conditions contradict each other")
			l.removable(true)
		} else {
			l.add("L11", r, r.Src, nil, "fix the condition that contradicts the others (removing the rule also removes what its stateful match does)",
				"no packet can match this rule: its conditions contradict each other (its stateful match still runs for packets that get that far)")
		}
		return
	}
	covered, by := ch.CoveredBy(i)
	switch {
	case covered && len(by) == 1 && ch.Rules[by[0]].Set.Universal():
		l.add("L5", r, r.Src, positions(c, by),
			fmt.Sprintf("move the rule above %s (insert it with -I, or add it before the catch-all)", where(c, by[0])),
			"never reached: the catch-all rule at %s decides every packet first", where(c, by[0]))
		l.removable(ch.Dead(i))
		return
	case covered:
		same := x.Verdict != ""
		for _, j := range by {
			same = same && ch.Rules[j].Verdict == x.Verdict
		}
		if same {
			l.add("L10", r, r.Src, positions(c, by), "remove the rule",
				"redundant: every packet it matches is already %s by %s", verdictWord(x.Verdict), wheres(c, by))
		} else {
			together := ""
			if len(by) > 1 {
				together = ", together,"
			}
			l.add("L9", r, r.Src, positions(c, by),
				"move the rule above them, narrow them, or remove it",
				"shadowed: never reached, the rules at %s%s decide every packet it matches first", wheres(c, by), together)
		}
		l.removable(ch.Dead(i))
		return
	}
	if x.Jump != "" {
		var q pktset.Box
		q.Constrain(pktset.Ct, pktset.Point(pktset.U64(pktset.CtNew)))
		if ok, nby := ch.CoveredIn(i, q); ok {
			l.add("L13", r, r.Src, positions(c, nby),
				fmt.Sprintf("move the jump above %s, or narrow those rules to the states they mean", wheres(c, nby)),
				"new connections never reach the jump to %s: %s decide them first (only packets in other states reach it)", x.Jump, wheres(c, nby))
		}
		return
	}
}

// below runs the redundancy check against later rules (L10) from the
// last rule up, each rule found taken as removed for the rules above it,
// so that every rule flagged can go at once (a REJECT and its twin
// below are each redundant alone, not both).
func (l *linter) below(ch *pktset.Chain, permissive bool) {
	c := ch.C
	gone := make([]bool, len(ch.Rules))
	for i := range ch.Rules {
		gone[i] = ch.Dead(i)
	}
	for i := len(ch.Rules) - 1; i >= 0; i-- {
		if gone[i] {
			continue
		}
		ok, by := ch.RedundantBelow(i, func(j int) bool { return gone[j] })
		if !ok {
			continue
		}
		gone[i] = true
		x := &ch.Rules[i]
		// An ACCEPT the ACCEPT policy repeats is L12's finding, once per
		// chain (the rule stays removable in the model, not reported).
		if permissive && len(by) == 0 && x.Verdict == "ACCEPT" {
			continue
		}
		why := "the chain's end (" + ch.EndVerdict() + ") does the same"
		if len(by) > 0 {
			why = wheres(c, by) + " or the chain's end (" + ch.EndVerdict() + ") give the same verdict"
		}
		l.add("L10", c.Rules[i], c.Rules[i].Src, positions(c, by), "remove the rule",
			"redundant: without it, every packet it matches still gets %s: %s", x.Verdict, why)
		l.removable(true)
	}
}

func verdictWord(v string) string {
	switch {
	case v == "ACCEPT":
		return "accepted"
	case v == "DROP":
		return "dropped"
	case v == "RETURN":
		return "returned"
	case strings.HasPrefix(v, "REJECT"):
		return "rejected"
	}
	return "decided"
}

// removable marks the last finding added as removable when ok (and a
// finding was added: its check may be disabled). A rule never matched
// may still run a stateful match (limit, recent) for the packets that
// reach it: such a rule is reported, not removable.
func (l *linter) removable(ok bool) {
	if n := len(l.out); ok && n > 0 && l.added {
		l.out[n-1].Removable = true
	}
}
