// Package diag holds the positioned errors and warnings that every stage of
// ruleshift reports, formatted like a compiler's: "file:line:col: message".
//
// Stages collect diagnostics instead of stopping at the first, so a user sees
// every problem of a file in one run.
package diag

import (
	"fmt"
	"sort"
	"strings"

	"github.com/ruleshift/ruleshift/translate/ir"
)

// Severity orders diagnostics.
type Severity uint8

const (
	Error Severity = iota
	Warning
)

// Diagnostic is one message at one position, of one class.
type Diagnostic struct {
	Pos      ir.Pos
	Severity Severity
	Code     Code
	Msg      string
	// Rule is the rule an Unsupported diagnostic is about: the rule left
	// out when --warn unsupported turns the error into a warning.
	Rule *ir.Rule
}

// String formats the diagnostic as a compiler does, with its class at the
// end as gcc writes its warning options ("[unsupported]"), except for the
// catch-all classes, which no flag selects.
func (d Diagnostic) String() string {
	p := d.Pos.String()
	tag := ""
	if d.Code != "" && d.Code != CodeError && d.Code != CodeWarning {
		tag = " [" + string(d.Code) + "]"
	}
	if d.Severity == Warning {
		return p + ": warning: " + d.Msg + tag
	}
	return p + ": " + d.Msg + tag
}

// List collects diagnostics. The zero value is ready to use.
type List struct {
	Items []Diagnostic
}

// Errorf adds an error of the catch-all class.
func (l *List) Errorf(pos ir.Pos, format string, args ...any) {
	l.Items = append(l.Items, Diagnostic{Pos: pos, Severity: Error, Code: CodeError, Msg: fmt.Sprintf(format, args...)})
}

// Warnf adds a warning of the catch-all class.
func (l *List) Warnf(pos ir.Pos, format string, args ...any) {
	l.Items = append(l.Items, Diagnostic{Pos: pos, Severity: Warning, Code: CodeWarning, Msg: fmt.Sprintf(format, args...)})
}

// Report adds a diagnostic of a class, with the class's default severity.
func (l *List) Report(code Code, pos ir.Pos, format string, args ...any) {
	l.ReportRule(code, nil, pos, format, args...)
}

// ReportRule is Report for a diagnostic about rule r: the rule LeaveOut
// drops when the policy turns the error into a warning.
func (l *List) ReportRule(code Code, r *ir.Rule, pos ir.Pos, format string, args ...any) {
	sev := Warning
	if i, ok := Info(code); ok {
		sev = i.Severity
	}
	l.Items = append(l.Items, Diagnostic{Pos: pos, Severity: sev, Code: code, Msg: fmt.Sprintf(format, args...), Rule: r})
}

// Add appends diagnostics from another list.
func (l *List) Add(o *List) {
	if o != nil {
		l.Items = append(l.Items, o.Items...)
	}
}

// HasErrors reports whether any diagnostic is an error.
func (l *List) HasErrors() bool {
	for _, d := range l.Items {
		if d.Severity == Error {
			return true
		}
	}
	return false
}

// HasErrorsSince reports whether an error was added after the first n
// items, so a caller can tell whether one step failed without rescanning.
func (l *List) HasErrorsSince(n int) bool {
	for _, d := range l.Items[n:] {
		if d.Severity == Error {
			return true
		}
	}
	return false
}

// Errors returns only the errors.
func (l *List) Errors() []Diagnostic {
	var out []Diagnostic
	for _, d := range l.Items {
		if d.Severity == Error {
			out = append(out, d)
		}
	}
	return out
}

// Sort orders diagnostics by file, line and column, keeping the order of
// diagnostics at the same position.
func (l *List) Sort() {
	sort.SliceStable(l.Items, func(i, j int) bool {
		a, b := l.Items[i].Pos, l.Items[j].Pos
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
}

// Err returns the list as an error when it holds errors, else nil.
func (l *List) Err() error {
	if !l.HasErrors() {
		return nil
	}
	return &Errors{List: l.Errors()}
}

// Errors is an error made of several diagnostics.
type Errors struct {
	List []Diagnostic
}

func (e *Errors) Error() string {
	var b strings.Builder
	for i, d := range e.List {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(d.String())
	}
	return b.String()
}

// Suggest returns the candidate closest to s by edit distance, or "" when
// none is close enough to be a plausible typo.
func Suggest(s string, candidates []string) string {
	best, bestD := "", len(s)/3+2
	for _, c := range candidates {
		if d := distance(s, c); d < bestD || (d == bestD && best != "" && c < best) {
			if d < bestD {
				best, bestD = c, d
			} else {
				best = c
			}
		}
	}
	if best == s {
		return ""
	}
	return best
}

// distance is the Damerau-Levenshtein (optimal string alignment) distance, so
// that a swap such as "dprot" for "dport" costs one edit.
func distance(a, b string) int {
	if len(a) > 64 || len(b) > 64 {
		return 1 << 20
	}
	prev2 := make([]int, len(b)+1)
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(b)]
}
