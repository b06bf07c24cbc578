package diag

import (
	"fmt"

	"github.com/ruleshift/ruleshift/translate/ir"
	"sort"
	"strings"
)

// Code names a class of diagnostics. Codes are stable: scripts and
// configuration name them (--warn CODE, --error CODE), and the README lists
// them. A new class gets a new code; a code is never reused for another
// meaning.
type Code string

const (
	// CodeError is every error without a class of its own: input the real
	// tool refuses, a ruleset the kernel refuses, a failed load. It cannot
	// be turned into a warning.
	CodeError Code = "error"
	// Unsupported: a rule the chosen output cannot express. Turned into a
	// warning (--warn unsupported), the rule is left out of the output.
	Unsupported Code = "unsupported"
	// KernelCheck: a ruleset the kernel would refuse as a whole (a match
	// or target from a hook it does not allow, a jump loop, jumps nested
	// too deep), found before loading. Turned into a warning (--warn
	// kernel-check), the kernel decides: a load it refuses changes nothing.
	KernelCheck Code = "kernel-check"
	// InputForm: input read the way the real tool reads it although it
	// looks wrong (CR LF line ends, odd characters, a cut value).
	InputForm Code = "input-form"
	// HostName: a host name resolved at translate time.
	HostName Code = "hostname"
	// HostSet: a host name kept in a named set that `ruleshift refresh`
	// keeps current.
	HostSet Code = "hostset"
	// Script: a shell construct read differently from how a shell runs it,
	// or a command with effects ruleshift does not model.
	Script Code = "script"
	// Rewritten: a name or text changed to fit the output (a quote in a
	// comment, a chain or set name nft cannot load, a cut comment).
	Rewritten Code = "rewritten"
	// Semantics: the output behaves differently from the input in a
	// corner the message names (time zones, TPROXY without a socket).
	Semantics Code = "semantics"
	// Family: the address family was guessed (nothing in the input tells
	// IPv4 from IPv6) or differs from what the file name says.
	Family Code = "family"
	// LeftOut: part of the input this output does not include (the other
	// family's rules written to stdout).
	LeftOut Code = "left-out"
	// Unreachable: a user chain no rule jumps to.
	Unreachable Code = "unreachable"
	// Lint: a finding of the lint checks (ruleshift lint) in translate,
	// apply and persist; the ssh lock-out is an error in apply and
	// persist.
	Lint Code = "lint"
	// CodeWarning is every warning without a class of its own.
	CodeWarning Code = "warning"
)

// CodeInfo describes a code for the README and --help.
type CodeInfo struct {
	Code     Code
	Severity Severity
	// Downgradable: --warn CODE may turn its errors into warnings.
	Downgradable bool
	Summary      string
}

// Codes lists every code in the order the README documents them.
var Codes = []CodeInfo{
	{CodeError, Error, false, "input the real tool refuses, a ruleset the kernel refuses, a failed load"},
	{Unsupported, Error, true, "a rule the chosen output cannot express; with --warn unsupported it is left out"},
	{KernelCheck, Error, true, "a ruleset the kernel would refuse (hook restrictions, jump loops, nesting); with --warn kernel-check the kernel decides"},
	{InputForm, Warning, false, "input read as the real tool reads it although it looks wrong"},
	{HostName, Warning, false, "a host name resolved at translate time"},
	{HostSet, Warning, false, "a host name kept in a set that `ruleshift refresh` keeps current"},
	{Script, Warning, false, "a shell construct or command whose effect ruleshift does not reproduce"},
	{Rewritten, Warning, false, "a name or text changed to fit the output"},
	{Semantics, Warning, false, "the output differs from the input in a corner the message names"},
	{Family, Warning, false, "the address family was guessed, or the file name says another"},
	{LeftOut, Warning, false, "part of the input this output does not include"},
	{Unreachable, Warning, false, "a user chain no rule jumps to"},
	{Lint, Warning, true, "a finding of `ruleshift lint` (the code, L1 to L13, ends the message); the ssh lock-out (L8) is an error in apply and persist unless --allow-lockout or --warn lint"},
	{CodeWarning, Warning, false, "any other warning"},
}

// Info returns what is known of a code.
func Info(c Code) (CodeInfo, bool) {
	for _, i := range Codes {
		if i.Code == c {
			return i, true
		}
	}
	return CodeInfo{}, false
}

// Policy changes the severity of classes of diagnostics, as the --warn and
// --error flags ask. The zero value changes nothing.
type Policy struct {
	warn, err map[Code]bool
}

// NewPolicy checks the codes of --warn (errors to turn into warnings) and
// --error (warnings to turn into errors; "all" for every warning).
func NewPolicy(warn, errs []string) (Policy, error) {
	p := Policy{warn: map[Code]bool{}, err: map[Code]bool{}}
	for _, w := range warn {
		i, ok := Info(Code(w))
		switch {
		case !ok:
			return p, fmt.Errorf("--warn %s: unknown code (known: %s)", w, codeList(func(CodeInfo) bool { return true }))
		case !i.Downgradable:
			return p, fmt.Errorf("--warn %s: this class of errors cannot be turned into warnings (only %s)", w, codeList(func(i CodeInfo) bool { return i.Downgradable }))
		}
		p.warn[Code(w)] = true
	}
	for _, e := range errs {
		if e == "all" {
			p.err["all"] = true
			continue
		}
		if i, ok := Info(Code(e)); !ok || i.Severity != Warning {
			return p, fmt.Errorf("--error %s: not a warning code (known: all, %s)", e, codeList(func(i CodeInfo) bool { return i.Severity == Warning }))
		}
		p.err[Code(e)] = true
	}
	return p, nil
}

func codeList(keep func(CodeInfo) bool) string {
	var s []string
	for _, i := range Codes {
		if keep(i) {
			s = append(s, string(i.Code))
		}
	}
	sort.Strings(s)
	return strings.Join(s, ", ")
}

// Downgrades reports whether the policy turns some errors into warnings,
// so that a caller must find the rules to leave out before loading.
func (p Policy) Downgrades() bool { return len(p.warn) > 0 }

// LeaveOut returns rs without the rules whose errors the policy turned
// into warnings (Apply must have run), sharing everything else with rs.
func LeaveOut(rs *ir.Ruleset, l *List) *ir.Ruleset {
	out := map[*ir.Rule]bool{}
	for _, d := range l.Items {
		if d.Rule != nil && d.Severity == Warning && d.Code == Unsupported {
			out[d.Rule] = true
		}
	}
	if len(out) == 0 {
		return rs
	}
	n := &ir.Ruleset{}
	for _, t := range rs.Tables {
		nt := *t
		nt.Chains = nil
		for _, c := range t.Chains {
			nc := *c
			nc.Rules = nil
			for _, r := range c.Rules {
				if !out[r] {
					nc.Rules = append(nc.Rules, r)
				}
			}
			nt.Chains = append(nt.Chains, &nc)
		}
		n.Tables = append(n.Tables, &nt)
	}
	return n
}

// Apply changes the severities of l's diagnostics as the policy says. An
// error turned into a warning says so, since the rule it names is then
// left out of the output.
func (p Policy) Apply(l *List) {
	for i := range l.Items {
		d := &l.Items[i]
		switch {
		case d.Severity == Error && p.warn[d.Code]:
			d.Severity = Warning
			if d.Code == Unsupported {
				d.Msg += "; the rule is left out (--warn " + string(d.Code) + ")"
			}
		case d.Severity == Warning && (p.err[d.Code] || p.err["all"]):
			d.Severity = Error
		}
	}
}
