// Package lint finds what is wrong with a ruleset that loads fine: rules
// no packet reaches, rules that change nothing, default-deny chains that
// break loopback, replies, IPv6 neighbour discovery or the administrator's
// own ssh session, and habits the iptables manuals advise against. The
// checks on packets use the pktset engine; every finding names the rule
// it is about, the rules that explain it, and a fix.
package lint

import (
	"fmt"
	"sort"
	"strings"

	"github.com/ruleshift/ruleshift/translate/ir"
	"github.com/ruleshift/ruleshift/translate/passes/pktset"
)

// Severity orders findings; Warning and Error make ruleshift lint fail.
type Severity uint8

const (
	Info Severity = iota
	Warning
	Error
)

func (s Severity) String() string { return [...]string{"info", "warning", "error"}[s] }

// Check is one lint check: a stable code, a short name and a default
// severity.
type Check struct {
	Code     string
	Name     string
	Severity Severity
	Summary  string
}

// Checks lists every check. Codes are stable: a code is never reused for
// another check.
var Checks = []Check{
	{"L1", "hostname", Warning, "a host name resolved once at load time"},
	{"L2", "state-match", Info, "-m state, a deprecated alias of -m conntrack --ctstate"},
	{"L3", "no-loopback", Warning, "a default-deny chain drops loopback traffic"},
	{"L4", "no-established", Warning, "a default-deny chain drops replies (ESTABLISHED, RELATED)"},
	{"L5", "after-catch-all", Warning, "a rule after a catch-all rule: never reached"},
	{"L6", "ipv6-open", Warning, "IPv4 is filtered, IPv6 left open"},
	{"L7", "icmpv6-dropped", Warning, "an IPv6 default deny drops neighbour discovery or packet-too-big (RFC 4890)"},
	{"L8", "ssh-lockout", Error, "the ssh port is not accepted: applying locks the administrator out"},
	{"L9", "shadowed", Warning, "a rule whose packets earlier rules, one or several together, decide otherwise first"},
	{"L10", "redundant", Info, "a rule whose packets get the same verdict without it"},
	{"L11", "impossible", Warning, "a rule no packet can match"},
	{"L12", "permissive-policy", Warning, "an ACCEPT policy with no catch-all: the chain's ACCEPT rules change nothing"},
	{"L13", "jump-new-accepted", Warning, "a jump that new connections never reach: earlier rules decide them"},
}

// Lookup finds a check by code or name.
func Lookup(s string) (Check, bool) {
	for _, c := range Checks {
		if strings.EqualFold(c.Code, s) || c.Name == s {
			return c, true
		}
	}
	return Check{}, false
}

// Finding is one problem found.
type Finding struct {
	Check
	Pos ir.Pos
	// Related are the rules (or chains) that explain the finding.
	Related []ir.Pos
	Msg     string
	Fix     string
	// Rule is the rule the finding is about, nil for a chain.
	Rule *ir.Rule
	// Removable: the rule can go without changing any packet's fate, and
	// so can every other rule flagged removable, all at once.
	Removable bool
}

func (f Finding) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %s: %s [%s %s]\n", f.Pos, f.Severity, f.Msg, f.Code, f.Name)
	for _, p := range f.Related {
		fmt.Fprintf(&b, "    see %s\n", p)
	}
	if f.Fix != "" {
		fmt.Fprintf(&b, "    fix: %s\n", f.Fix)
	}
	return b.String()
}

// Options tune Run.
type Options struct {
	// SSH is the ssh port to keep open (0: no lock-out check); Client and
	// Server, when valid, narrow it to the live session's addresses.
	SSH SSH
	// Disable holds the codes of checks not to run.
	Disable map[string]bool
}

// Run lints a ruleset. Findings come sorted by position.
func Run(rs *ir.Ruleset, o Options) []Finding {
	l := &linter{rs: rs, o: o, tables: map[*ir.Table]*pktset.Table{}}
	for _, t := range rs.Tables {
		l.table(t)
	}
	l.families()
	sort.SliceStable(l.out, func(i, j int) bool {
		a, b := l.out[i].Pos, l.out[j].Pos
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		if a.Col != b.Col {
			return a.Col < b.Col
		}
		return codeNum(l.out[i].Code) < codeNum(l.out[j].Code)
	})
	return l.out
}

func codeNum(c string) int {
	n := 0
	fmt.Sscanf(c, "L%d", &n)
	return n
}

type linter struct {
	rs     *ir.Ruleset
	o      Options
	tables map[*ir.Table]*pktset.Table
	out    []Finding
	added  bool // the last add appended a finding (its check is not disabled)
}

func (l *linter) pt(t *ir.Table) *pktset.Table {
	if x := l.tables[t]; x != nil {
		return x
	}
	x := pktset.NewTable(t)
	l.tables[t] = x
	return x
}

func (l *linter) add(code string, r *ir.Rule, pos ir.Pos, related []ir.Pos, fix, format string, args ...any) {
	c, _ := Lookup(code)
	l.addSeverity(code, c.Severity, r, pos, related, fix, format, args...)
}

// addSeverity is add with a severity other than the check's own, for a
// finding the engine is less sure of.
func (l *linter) addSeverity(code string, sev Severity, r *ir.Rule, pos ir.Pos, related []ir.Pos, fix, format string, args ...any) {
	l.added = !l.o.Disable[code]
	if !l.added {
		return
	}
	c, _ := Lookup(code)
	c.Severity = sev
	l.out = append(l.out, Finding{Check: c, Pos: pos, Related: related, Msg: fmt.Sprintf(format, args...), Fix: fix, Rule: r})
}

// Worst returns the highest severity among the findings, and false when
// there are none.
func Worst(fs []Finding) (Severity, bool) {
	if len(fs) == 0 {
		return Info, false
	}
	w := Info
	for _, f := range fs {
		w = max(w, f.Severity)
	}
	return w, true
}
