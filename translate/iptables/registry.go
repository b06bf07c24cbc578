package iptables

import (
	"sort"

	"github.com/ruleshift/ruleshift/translate/diag"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// matchDef declares an iptables match extension: its options and how to
// build the typed ir.Match from them.
type matchDef struct {
	name    string
	aliases []string
	family  ir.Family // 0: both families
	opts    []optSpec
	// build turns the collected options into a match. It reports problems
	// through c and returns nil when the match is unusable.
	build func(c *ctx) ir.Match
}

// targetDef declares an iptables target extension.
type targetDef struct {
	name   string
	family ir.Family
	// tables lists the tables the kernel allows the target in; nil: any.
	tables []string
	// hooks lists the built-in chains the kernel allows the target in
	// (checked when the rule is in a built-in chain); nil: any.
	hooks []string
	opts  []optSpec
	build func(c *ctx) ir.Target
}

var (
	matchDefs  = map[string]*matchDef{}
	targetDefs = map[string]*targetDef{}
)

func registerMatch(d *matchDef) {
	matchDefs[d.name] = d
	for _, a := range d.aliases {
		matchDefs[a] = d
	}
}

func registerTarget(d *targetDef) { targetDefs[d.name] = d }

// findMatch returns the match extension for name in family f.
func findMatch(name string, f ir.Family) *matchDef {
	d := matchDefs[name]
	if d == nil || (d.family != 0 && d.family != f) {
		return nil
	}
	return d
}

// findTarget returns the target extension for name in family f.
func findTarget(name string, f ir.Family) *targetDef {
	d := targetDefs[name]
	if d == nil || (d.family != 0 && d.family != f) {
		return nil
	}
	return d
}

func matchNames(f ir.Family) []string {
	var out []string
	for n, d := range matchDefs {
		if d.family == 0 || d.family == f {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

func targetNames(f ir.Family) []string {
	var out []string
	for n, d := range targetDefs {
		if d.family == 0 || d.family == f {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// opt is one option as given on the command line, resolved to its
// extension's canonical long name.
type opt struct {
	name string
	neg  bool
	args []Token
	pos  ir.Pos
}

// arg returns the first argument's text.
func (o *opt) arg() string {
	if len(o.args) == 0 {
		return ""
	}
	return o.args[0].Text
}

// argPos returns the position of the first argument, or of the option.
func (o *opt) argPos() ir.Pos {
	if len(o.args) == 0 {
		return o.pos
	}
	return o.args[0].Pos
}

// matchInst is one loaded match (a module can be loaded several times).
type matchInst struct {
	def   *matchDef
	opts  []opt
	pos   ir.Pos
	owner optOwner // its entry in the parser's owner list
}

// ctx is what an extension's build function sees.
type ctx struct {
	name  string
	fam   ir.Family
	table string
	chain string       // the chain the rule goes to ("" when unknown)
	proto *ir.Protocol // the rule's -p, if any
	opts  []opt
	pos   ir.Pos
	diags *diag.List
	// seen lists the options used so far, for once; a slice because a
	// map per match showed up in profiles.
	seen []string
	// lenient: see ParseOptions.Lenient.
	lenient bool
}

func (c *ctx) errorf(pos ir.Pos, format string, args ...any) {
	c.diags.Errorf(pos, format, args...)
}

func (c *ctx) warnf(pos ir.Pos, format string, args ...any) {
	c.diags.Report(diag.InputForm, pos, format, args...)
}

// once reports an error when an option that may appear only once repeats,
// as iptables does.
func (c *ctx) once(o *opt) bool {
	if contains(c.seen, o.name) {
		c.errorf(o.pos, "%s: option \"--%s\" can only be used once", c.name, o.name)
		return false
	}
	c.seen = append(c.seen, o.name)
	return true
}

// str reads a string option as xtables' XTTYPE_STRING does: at least min
// bytes, and cut to size-1 bytes (the kernel's buffer less its NUL)
// without an error, which ruleshift turns into a warning.
func (c *ctx) str(o *opt, min, size int) (string, bool) {
	s := o.arg()
	if len(s) < min {
		c.errorf(o.argPos(), "%s: --%s must be at least %d character(s) long", c.name, o.name, min)
		return s, false
	}
	if len(s) > size-1 {
		c.warnf(o.argPos(), "%s: --%s is %d bytes long; iptables keeps the first %d (the kernel's limit)", c.name, o.name, len(s), size-1)
		s = s[:size-1]
	}
	return s, true
}

// has reports whether option name was given.
func (c *ctx) has(name string) bool {
	for i := range c.opts {
		if c.opts[i].name == name {
			return true
		}
	}
	return false
}

// protoIs reports whether the rule has a positive -p with one of nums.
func (c *ctx) protoIs(nums ...uint8) bool {
	if c.proto == nil || c.proto.Neg || c.proto.All {
		return false
	}
	for _, n := range nums {
		if c.proto.Num == n {
			return true
		}
	}
	return false
}
