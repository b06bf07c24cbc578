package ir

// Walk calls fn for every node of rs, parents before children: each table,
// then its sets, then each chain, each rule of the chain, the rule's
// matches in order and its target. A node is a *Table, *Set, *Chain,
// *Rule, Match or Target. When fn returns false for a table, chain or rule,
// Walk skips what that node holds; for a set, match or target the result
// is ignored.
func Walk(rs *Ruleset, fn func(node any) bool) {
	if rs == nil {
		return
	}
	for _, t := range rs.Tables {
		if !fn(t) {
			continue
		}
		for _, s := range t.Sets {
			fn(s)
		}
		for _, c := range t.Chains {
			if !fn(c) {
				continue
			}
			for _, r := range c.Rules {
				if !fn(r) {
					continue
				}
				for _, m := range r.Matches {
					fn(m)
				}
				if r.Target != nil {
					fn(r.Target)
				}
			}
		}
	}
}

// Rewrite replaces rules in place: fn sees each rule with its table and
// chain and returns the rules that take its place (none to delete it)
// and true, or false to keep the rule as it is. Rules fn returns are not
// visited again. Rewrite returns the number of rules fn replaced.
//
// It is the shape of a rule-level pass (normalisation, expansion of a
// list into several rules, the optimiser's merges): the pass says what a
// rule becomes, Rewrite keeps the chains' order.
func Rewrite(rs *Ruleset, fn func(t *Table, c *Chain, r *Rule) ([]*Rule, bool)) int {
	if rs == nil {
		return 0
	}
	n := 0
	for _, t := range rs.Tables {
		for _, c := range t.Chains {
			var out []*Rule // nil until the first replacement: no copy otherwise
			for i, r := range c.Rules {
				repl, ok := fn(t, c, r)
				if !ok {
					if out != nil {
						out = append(out, r)
					}
					continue
				}
				n++
				if out == nil {
					out = make([]*Rule, i, len(c.Rules)+len(repl))
					copy(out, c.Rules[:i])
				}
				out = append(out, repl...)
			}
			if out != nil {
				c.Rules = out
			}
		}
	}
	return n
}
