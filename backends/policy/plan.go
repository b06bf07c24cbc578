package policy

import (
	"github.com/ruleshift/ruleshift/translate/diag"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// dirs are the directions of a policy in the order it is written, with
// the hook of each one's base chain.
var dirs = []struct {
	key  string
	hook ir.Hook
}{{"input", ir.HookInput}, {"output", ir.HookOutput}, {"forward", ir.HookForward}}

// chainName is the base chain of a direction, as the policy reader names it.
var chainName = map[string]string{"input": "INPUT", "output": "OUTPUT", "forward": "FORWARD"}

// Policy is a ruleset planned as a TOML policy: the families, which safe
// defaults the chains start with, the default verdicts, and each
// family's flattened chains (user chains inlined) as the policy reader
// will read them back.
type Policy struct {
	Families                      []ir.Family
	Loopback, Established, ICMPv6 bool
	Default                       map[string]string
	// Chains holds, per family and direction, the rules the reader
	// produces for the policy: the safe defaults, the rules, and a last
	// reject when the default verdict is reject.
	Chains map[ir.Family]map[string][]*ir.Rule
	// body is the part of each chain the [[dir]] rules stand for.
	body  map[ir.Family]map[string][]*ir.Rule
	rules map[string][]*prule
}

// Plan reads the filter tables of rs (of fams, or of every family rs
// holds when fams is nil) into a Policy; everything a policy cannot say
// is an error at its position.
func Plan(rs *ir.Ruleset, fams []ir.Family) (*Policy, *diag.List) {
	d := &diag.List{}
	p := &Policy{rules: map[string][]*prule{}, Default: map[string]string{}, Chains: map[ir.Family]map[string][]*ir.Rule{}, body: map[ir.Family]map[string][]*ir.Rule{}}
	want := map[ir.Family]bool{}
	for _, f := range fams {
		want[f] = true
	}
	tables := map[ir.Family]*ir.Table{}
	for _, t := range rs.Tables {
		if fams != nil && !want[t.Family] {
			continue
		}
		if t.Family != ir.IPv4 && t.Family != ir.IPv6 {
			d.Errorf(t.Src, "table %s %s: a policy holds the ipv4 and ipv6 filter tables only", t.Family, t.Name)
			continue
		}
		if !containsFam(p.Families, t.Family) {
			p.Families = append(p.Families, t.Family)
		}
		if t.Name != "filter" {
			otherTable(d, t)
			continue
		}
		tables[t.Family] = t
	}
	for _, f := range fams {
		if !containsFam(p.Families, f) {
			p.Families = append(p.Families, f)
		}
	}
	sortFams(p.Families)
	if len(p.Families) == 0 {
		p.Families = []ir.Family{ir.IPv4}
	}
	pol := map[ir.Family]map[string]ir.Policy{}
	for _, f := range p.Families {
		p.body[f], pol[f] = flattenTable(d, tables[f])
	}
	p.defaults(pol)
	p.safeDefaults()
	for _, dir := range dirs {
		for _, f := range p.Families {
			for _, r := range p.body[f][dir.key] {
				if pr := convert(d, f, dir.key, r); pr != nil {
					pr.fam = f
					p.rules[dir.key] = append(p.rules[dir.key], pr)
				}
			}
		}
	}
	dedupe(d)
	if d.HasErrors() {
		return p, d
	}
	p.merge()
	return p, d
}

// dedupe drops repeated diagnostics: the rules a shell loop adds share
// their position, and one message says it for all.
func dedupe(d *diag.List) {
	seen := map[diag.Diagnostic]bool{}
	out := d.Items[:0]
	for _, x := range d.Items {
		k := x
		k.Rule = nil
		if !seen[k] {
			seen[k] = true
			out = append(out, x)
		}
	}
	d.Items = out
}

// otherTable reports a table other than filter that changes packets: any
// rule, or a base chain that does not accept.
func otherTable(d *diag.List, t *ir.Table) {
	n := 0
	var first *ir.Rule
	for _, c := range t.Chains {
		n += len(c.Rules)
		if first == nil && len(c.Rules) > 0 {
			first = c.Rules[0]
		}
	}
	if first != nil {
		s := "s"
		if n == 1 {
			s = ""
		}
		d.Errorf(first.Src, "the %s table (%d rule%s): a policy holds the filter table only", t.Name, n, s)
		return
	}
	for _, c := range t.Chains {
		if c.PolicyOf() == ir.PolicyDrop {
			d.Errorf(c.Src, "chain %s of the %s table drops by default: a policy holds the filter table only", c.Name, t.Name)
		}
	}
}

// flattenTable returns the rules of the filter table's INPUT, OUTPUT and
// FORWARD with user chains inlined where that is exact, and their
// policies. A missing table or chain accepts everything.
func flattenTable(d *diag.List, t *ir.Table) (map[string][]*ir.Rule, map[string]ir.Policy) {
	rules := map[string][]*ir.Rule{}
	pols := map[string]ir.Policy{}
	for _, dir := range dirs {
		pols[dir.key] = ir.PolicyAccept
	}
	if t == nil {
		return rules, pols
	}
	calls := map[string]int{}
	for _, c := range t.Chains {
		for _, r := range c.Rules {
			if j, ok := r.Target.(*ir.Jump); ok {
				calls[j.Chain]++
			}
		}
	}
	for _, c := range t.Chains {
		if c.Base == nil {
			// Inlined where it is called; a chain called from nowhere
			// decides nothing (the passes warn about it).
			continue
		}
		dir := ""
		for _, x := range dirs {
			if c.Base.Hook == x.hook && c.Base.Type == ir.TypeFilter {
				dir = x.key
			}
		}
		if dir == "" || rules[dir] != nil {
			d.Errorf(c.Src, "chain %s (%s hook): a policy has the input, output and forward chains of the filter table only", c.Name, c.Base.Hook)
			continue
		}
		pols[dir] = c.Base.Policy
		rules[dir] = []*ir.Rule{}
		for _, r := range c.Rules {
			rules[dir] = append(rules[dir], inline(d, t, calls, withoutAll(r), 0)...)
		}
	}
	return rules, pols
}

// inline returns r, or for a jump to a user chain that only r calls and
// that returns nowhere but at its end, the chain's rules with r's matches
// before theirs, its own such jumps inlined in turn: the same packets
// meet the same targets in the same order.
func inline(d *diag.List, t *ir.Table, calls map[string]int, r *ir.Rule, depth int) []*ir.Rule {
	if r.Target == nil {
		// It only counts packets, which a policy does not: leaving it
		// out changes no verdict.
		d.Report(diag.LeftOut, r.Src, "a rule without a target only counts packets: a policy leaves it out")
		return nil
	}
	j, ok := r.Target.(*ir.Jump)
	if !ok {
		return []*ir.Rule{r}
	}
	at := ir.PosOf(j, r)
	c := t.Chain(j.Chain)
	switch {
	case c == nil:
		d.Errorf(at, "-j %s: no such chain", j.Chain)
		return nil
	case j.Goto:
		d.Errorf(at, "-g %s: a policy has no user chains, and a goto is not inlined", j.Chain)
		return nil
	case calls[j.Chain] > 1:
		d.Errorf(at, "-j %s: a policy has no user chains, and %s is called from %d places (only a chain called once is inlined)", j.Chain, j.Chain, calls[j.Chain])
		return nil
	case depth > 16:
		d.Errorf(at, "-j %s: chains nested too deep to inline", j.Chain)
		return nil
	}
	body := c.Rules
	if n := len(body); n > 0 && isReturn(body[n-1]) && len(body[n-1].Matches) == 0 {
		body = body[:n-1] // a last unconditional RETURN is the chain's end
	}
	var out []*ir.Rule
	for _, ir2 := range body {
		if isReturn(ir2) {
			d.Errorf(ir.PosOf(ir2.Target, ir2), "-j RETURN in %s: a policy has no user chains; %s is inlined only when it returns nowhere but at its end", c.Name, c.Name)
			continue
		}
		ir2 = withoutAll(ir2)
		n := &ir.Rule{Src: ir2.Src, Target: ir2.Target, Counters: ir2.Counters}
		n.Matches = append(append(n.Matches, r.Matches...), ir2.Matches...)
		out = append(out, inline(d, t, calls, n, depth+1)...)
	}
	return out
}

// withoutAll returns r without "-p all", which every packet matches, so
// that "-o lo -p all -j ACCEPT" is the loopback default.
func withoutAll(r *ir.Rule) *ir.Rule {
	for i, m := range r.Matches {
		if p, ok := m.(*ir.Protocol); ok && p.All && !p.Neg {
			n := *r
			n.Matches = append(append([]ir.Match{}, r.Matches[:i]...), r.Matches[i+1:]...)
			return &n
		}
	}
	return r
}

func isReturn(r *ir.Rule) bool {
	v, ok := r.Target.(*ir.Verdict)
	return ok && v.Kind == ir.Return
}

func containsFam(l []ir.Family, f ir.Family) bool {
	for _, x := range l {
		if x == f {
			return true
		}
	}
	return false
}

func sortFams(l []ir.Family) {
	for i := 1; i < len(l); i++ {
		for j := i; j > 0 && l[j] < l[j-1]; j-- {
			l[j], l[j-1] = l[j-1], l[j]
		}
	}
}

func famName(f ir.Family) string {
	if f == ir.IPv6 {
		return "ipv6"
	}
	return "ipv4"
}

// Ruleset is the model the policy reader makes of the rendered policy:
// a filter table per family with the default verdicts as chain policies
// and Chains as rules. Tests compare the two.
func (p *Policy) Ruleset() *ir.Ruleset {
	rs := &ir.Ruleset{}
	for _, f := range p.Families {
		t := &ir.Table{Family: f, Name: "filter"}
		for _, dir := range dirs {
			pol := ir.PolicyDrop
			if p.Default[dir.key] == "accept" {
				pol = ir.PolicyAccept
			}
			t.Chains = append(t.Chains, &ir.Chain{Name: chainName[dir.key], Base: &ir.BaseChain{Type: ir.TypeFilter, Hook: dir.hook, Policy: pol}, Rules: p.Chains[f][dir.key]})
		}
		rs.Tables = append(rs.Tables, t)
	}
	return rs
}
