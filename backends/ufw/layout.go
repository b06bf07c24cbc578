package ufw

import (
	"github.com/ruleshift/ruleshift/translate/ir"
)

// ufw runs, per built-in filter chain, its before-rules, then the user
// rules (the tuples), then its after-rules, then the default policy. A
// source chain [r1…rn] with policy P keeps its meaning exactly when
// r1…rk go into before.rules, one contiguous run r(k+1)…rm of rules
// that are each one tuple into user.rules, r(m+1)…rn into after.rules,
// and P becomes the default policy. This file finds that split.

var builtins = []string{"INPUT", "OUTPUT", "FORWARD"}

// segment is one built-in filter chain laid out for ufw.
type segment struct {
	chain         string // INPUT, OUTPUT or FORWARD
	before, after []*ir.Rule
	tuples        []*tuple
	// policy is ACCEPT, DROP or REJECT: the chain's, or its last rule's
	// when that is an unconditional verdict (folded).
	policy string
	folded *ir.Rule
}

// famLayout is the layout of one family.
type famLayout struct {
	f        ir.Family
	segs     map[string]*segment
	filter   *ir.Table // nil when the family has no filter table
	others   []*ir.Table
	notTuple map[*ir.Rule]string // why each rule outside the runs is no tuple
}

// layoutFamily splits the filter chains of family f.
func layoutFamily(rs *ir.Ruleset, f ir.Family) *famLayout {
	l := &famLayout{f: f, segs: map[string]*segment{}, notTuple: map[*ir.Rule]string{}}
	for _, t := range rs.Tables {
		if t.Family != f {
			continue
		}
		if t.Name == "filter" {
			l.filter = t
		} else {
			l.others = append(l.others, t)
		}
	}
	untracked := notracks(rs, f)
	for _, name := range builtins {
		s := &segment{chain: name, policy: "ACCEPT"}
		l.segs[name] = s
		var c *ir.Chain
		if l.filter != nil {
			c = l.filter.Chain(name)
		}
		if c == nil {
			continue
		}
		s.policy = c.PolicyOf().String()
		rules := c.Rules
		if n := len(rules); n > 0 {
			if p := foldable(rules[n-1], f); p != "" {
				s.policy, s.folded, rules = p, rules[n-1], rules[:n-1]
			}
		}
		l.split(s, rules, untracked)
	}
	return l
}

// foldable returns the policy an unconditional last rule stands for: its
// verdict, or REJECT for ufw's own reject type; "" when it is no such rule.
func foldable(r *ir.Rule, f ir.Family) string {
	for _, m := range r.Matches {
		if _, ok := m.(*ir.Comment); !ok {
			return ""
		}
	}
	switch t := r.Target.(type) {
	case *ir.Verdict:
		if t.Kind == ir.Accept || t.Kind == ir.Drop {
			return string(t.Kind)
		}
	case *ir.Reject:
		if t.With == defaultReject(f) {
			return "REJECT"
		}
	}
	return ""
}

// notracks reports whether any packet of family f can be UNTRACKED: a
// NOTRACK or CT --notrack rule in its raw table.
func notracks(rs *ir.Ruleset, f ir.Family) bool {
	for _, t := range rs.Tables {
		if t.Family != f {
			continue
		}
		for _, c := range t.Chains {
			for _, r := range c.Rules {
				if ct, ok := r.Target.(*ir.CtTarget); ok && ct.NoTrack {
					return true
				}
			}
		}
	}
	return false
}

const baseStates = ir.CtInvalid | ir.CtEstablished | ir.CtRelated | ir.CtNew | ir.CtUntracked

// split finds the longest run of rules that are each one tuple, with no
// two of an equal key (ufw would refuse or rewrite the second), and puts
// the rules around it into the before- and after-segments.
func (l *famLayout) split(s *segment, rules []*ir.Rule, untracked bool) {
	// left holds the conntrack states a packet reaching rule i can still
	// be in: earlier terminal rules that match on the state alone have
	// decided the others.
	left := baseStates
	if !untracked {
		left &^= ir.CtUntracked
	}
	cand := make([]*tuple, len(rules))
	for i, r := range rules {
		newOK := func(st ir.CtState, neg bool) bool {
			if neg {
				if st&^baseStates != 0 {
					return false
				}
				st = baseStates &^ st
			}
			return left&^st == 0
		}
		t, why := toTuple(r, s.chain, l.f, newOK)
		if t != nil {
			cand[i] = t
		} else {
			l.notTuple[r] = why
		}
		if st, neg, ok := stateOnly(r); ok && terminal(r) {
			switch {
			case !neg:
				left &^= st & baseStates
			case st&^baseStates == 0:
				left &= st
			}
		}
	}
	best, bestEnd := 0, 0
	start := 0
	seen := map[string]int{}
	for i, t := range cand {
		if t == nil {
			start = i + 1
			continue
		}
		if j, dup := seen[t.key()]; dup && j >= start {
			start = j + 1
		}
		seen[t.key()] = i
		if i+1-start > bestEnd-best {
			best, bestEnd = start, i+1
		}
	}
	s.before = rules[:best]
	s.after = rules[bestEnd:]
	for i := best; i < bestEnd; i++ {
		s.tuples = append(s.tuples, cand[i])
	}
	for i, t := range cand {
		if t != nil && (i < best || i >= bestEnd) {
			l.notTuple[rules[i]] = "outside the one run of ufw rules this chain can have (ufw runs every before-rule, then the user rules, then the after-rules)"
		}
	}
}

// stateOnly returns the states of a rule whose only conditions are one
// state match (and comments).
func stateOnly(r *ir.Rule) (ir.CtState, bool, bool) {
	var st ir.CtState
	var neg, found bool
	for _, m := range r.Matches {
		switch m := m.(type) {
		case *ir.Comment:
		case *ir.State:
			if found {
				return 0, false, false
			}
			st, neg, found = m.States, m.Neg, true
		case *ir.Conntrack:
			if found || !onlyState(m) {
				return 0, false, false
			}
			st, neg, found = m.State.States, m.State.Neg, true
		default:
			return 0, false, false
		}
	}
	return st, neg, found
}

// terminal reports whether a rule of a built-in chain decides every
// packet it matches there: a verdict (RETURN means the policy), a reject
// or a goto.
func terminal(r *ir.Rule) bool {
	switch t := r.Target.(type) {
	case *ir.Verdict, *ir.Reject:
		return true
	case *ir.Jump:
		return t.Goto
	}
	return false
}
