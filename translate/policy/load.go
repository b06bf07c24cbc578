package policy

import (
	"github.com/ruleshift/ruleshift/translate/diag"
	"github.com/ruleshift/ruleshift/translate/iptables"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// Options tune Load.
type Options struct {
	// Resolve looks host names up; nil makes them an error. They are
	// pinned at translate time, with a warning, as iptables pins them.
	Resolve iptables.Resolver
	// AllowLockout: input may default to drop without a rule accepting
	// ssh (tcp port 22).
	AllowLockout bool
	// HostSets keeps host names in named sets of the table (ir.Set.Hosts)
	// that the rules look up, for a backend that refreshes them at run
	// time (nftables); without it their addresses are pinned in the rules.
	HostSets bool
}

// maxExpansion bounds the rules one policy rule may become, so that a
// few long lists cannot make a ruleset no kernel would load.
const maxExpansion = 100000

// Load reads a policy file into a ruleset: a filter table per family.
func Load(file string, data []byte, o Options) (*ir.Ruleset, *diag.List) {
	rs := &ir.Ruleset{}
	p, d := parse(file, data)
	if p == nil {
		return rs, d
	}
	c := &checker{file: file, diags: d, hostSets: o.HostSets}
	specs := map[string][]*spec{}
	for _, dir := range directions {
		for _, r := range p.Rules[dir] {
			s := c.check(p, dir, r)
			c.resolve(s, p.Families, o.Resolve)
			if n := s.size(); n > maxExpansion {
				c.errorf(r.Pos, "this rule expands to %d rules (protocols × addresses × interfaces × port groups); at most %d", n, maxExpansion)
				continue
			}
			specs[dir] = append(specs[dir], s)
		}
	}
	c.resolveSets(p.Families, o.Resolve)
	c.reportSets(p.Families)
	if p.Default["input"] != "accept" && !o.AllowLockout && !sshAccepted(specs["input"]) {
		at := p.DefaultPos["input"]
		if at.Line == 0 {
			// The default is not written: point at the first input
			// rule, or the file's start.
			at = ir.Pos{File: file, Line: 1, Col: 1}
			if rs := p.Rules["input"]; len(rs) > 0 {
				at = rs[0].Pos
			}
		}
		c.errorf(at, "input defaults to %s and no input rule accepts tcp port 22: this policy locks out ssh sessions (add [[input]] proto = \"tcp\" port = 22, or --allow-lockout)", p.Default["input"])
	}
	if d.HasErrors() {
		return rs, d
	}
	p.model(rs, specs, c)
	return rs, d
}

func suggest(s string, candidates []string) string { return diag.Suggest(s, candidates) }
