// Package ufw renders the rule model as ufw's own files: user.rules
// tuples wherever ufw's grammar holds a rule and the order allows, the
// rest as raw lines of before.rules and after.rules in ufw's chains, the
// policies as ufw's defaults, and other tables in chains an after.init
// script hooks. Registered as "ufw" (the files) and "ufw-commands" (a
// script of ufw commands that builds the same user.rules).
//
// Facts about ufw 0.36 are in the project's docs/ufw.md; user.rules is
// written byte for byte as ufw's backend_iptables.py writes it.
package ufw

import (
	"github.com/ruleshift/ruleshift/backends"
	"github.com/ruleshift/ruleshift/translate/diag"
	"github.com/ruleshift/ruleshift/translate/ir"
)

func init() {
	backends.Register(ufwBackend{name: "ufw"})
	backends.Register(ufwBackend{name: "ufw-commands", commands: true})
}

type ufwBackend struct {
	name     string
	commands bool
}

func (b ufwBackend) Name() string { return b.name }

// Params are the keys of RenderOptions.Params the backend reads.
const (
	ParamStrict   = "ufw-strict"
	ParamLogLevel = "ufw-loglevel"
)

func (b ufwBackend) Check(rs *ir.Ruleset) *diag.List {
	_, d := b.Render(rs, backends.RenderOptions{})
	return d
}

func (b ufwBackend) Render(rs *ir.Ruleset, o backends.RenderOptions) (backends.Files, *diag.List) {
	d := check(rs)
	if d.HasErrors() {
		return nil, d
	}
	level := o.Params[ParamLogLevel]
	if level == "" {
		level = "low"
	}
	if levelNum(level) == 1 && level != "low" {
		d.Errorf(ir.Pos{}, "--ufw-loglevel %s: ufw's levels are off, low, medium, high and full", level)
		return nil, d
	}
	strict := b.commands || o.Params[ParamStrict] == "true"
	fams := o.Families
	if fams == nil {
		for _, f := range rs.Families() {
			if f == ir.IPv4 || f == ir.IPv6 {
				fams = append(fams, f)
			}
		}
	}
	warnings(rs, fams, d)
	if len(fams) == 0 {
		fams = []ir.Family{ir.IPv4}
	}
	var lays []*famLayout
	for _, f := range fams {
		lays = append(lays, layoutFamily(rs, f))
	}
	def := famPolicies(lays[0])
	emulate := map[*famLayout]map[string]string{}
	for _, l := range lays[1:] {
		own := famPolicies(l)
		for _, c := range builtins {
			p, dp := own.of(lower(c)), def.of(lower(c))
			if p == dp {
				continue
			}
			if emulate[l] == nil {
				emulate[l] = map[string]string{}
			}
			emulate[l][c] = p
			if strict {
				d.Report(diag.Unsupported, chainPos(l, c), "%s %s policy %s differs from %s's %s: ufw has one default policy per direction for both families (--ufw-strict)", famWord(l.f), c, p, famWord(lays[0].f), dp)
			} else {
				d.Report(diag.Semantics, chainPos(l, c), "%s %s policy %s differs from %s's %s, which becomes ufw's DEFAULT_%s_POLICY: emulated by a last rule -A %s-after-%s -j %s in %s",
					famWord(l.f), c, p, famWord(lays[0].f), dp, c, prefix(l.f == ir.IPv6), lower(c), p, fileName("after", l.f == ir.IPv6))
			}
		}
	}
	if strict {
		for _, l := range lays {
			strictErrors(rs, l, d)
		}
	}
	if b.commands {
		return backends.Files{{Role: backends.RoleRules, Name: "ufw-commands.sh", Loader: []string{"sh"}, Text: commands(lays, def, level, d)}}, d
	}
	var files, extra backends.Files
	var hs, users []hook
	v6 := false
	for _, l := range lays {
		isV6 := l.f == ir.IPv6
		v6 = v6 || isV6
		w := &rawWriter{l: l, pol: famPolicies(l), diags: d}
		before, after := w.files(emulate[l])
		var tuples []*tuple
		for _, c := range builtins {
			tuples = append(tuples, l.segs[c].tuples...)
		}
		user := userRules(tuples, isV6, level, def)
		for _, f := range []struct{ name, text string }{{fileName("before", isV6), before}, {fileName("user", isV6), user}, {fileName("after", isV6), after}} {
			files = append(files, etcFile(f.name, l.f, f.text))
		}
		h, u := hooks(l)
		hs, users = append(hs, h...), append(users, u...)
	}
	if len(hs) > 0 || len(users) > 0 {
		extra = append(extra, etcFile("after.init", 0, afterInit(hs, users)))
	}
	extra = append(extra, backends.File{Role: backends.RoleRules, Name: "ufw.defaults", Loader: loader, Text: defaults(def, v6, level),
		Banner: "# ==> /etc/default/ufw (merge) <=="})
	return append(files, extra...), d
}

// loader names ufw's boot script, which loads every one of the files
// together; no file is loaded alone.
var loader = []string{"ufw-init"}

func etcFile(name string, f ir.Family, text string) backends.File {
	return backends.File{Role: backends.RoleRules, Name: name, Family: f, Loader: loader, Text: text, Banner: "# ==> /etc/ufw/" + name + " <=="}
}

func lower(c string) string {
	switch c {
	case "INPUT":
		return "input"
	case "OUTPUT":
		return "output"
	}
	return "forward"
}

func famPolicies(l *famLayout) policies {
	return policies{input: l.segs["INPUT"].policy, output: l.segs["OUTPUT"].policy, forward: l.segs["FORWARD"].policy}
}

func chainPos(l *famLayout, name string) ir.Pos {
	if l.filter != nil {
		if c := l.filter.Chain(name); c != nil {
			return c.Src
		}
		return l.filter.Src
	}
	return ir.Pos{}
}

// strictErrors names every rule of the family that is not a ufw rule.
func strictErrors(rs *ir.Ruleset, l *famLayout, d *diag.List) {
	in := map[*ir.Rule]bool{}
	for _, s := range l.segs {
		for _, t := range s.tuples {
			in[t.rule] = true
		}
		if s.folded != nil {
			in[s.folded] = true
		}
	}
	for _, t := range rs.Tables {
		if t.Family != l.f {
			continue
		}
		for _, c := range t.Chains {
			for _, r := range c.Rules {
				if in[r] {
					continue
				}
				why := l.notTuple[r]
				switch {
				case t.Name != "filter":
					why = "table " + t.Name
				case !c.IsBase():
					why = "user chain " + c.Name
				case why == "":
					why = "not in ufw's rule grammar"
				}
				d.ReportRule(diag.Unsupported, r, r.Src, "not a ufw rule: %s (--ufw-strict)", why)
			}
		}
	}
}
