package ansible

import (
	"encoding/json"
	"io"
	"strings"
)

// Result is the one JSON object a module prints. Ansible reads changed,
// failed, msg, diff and warnings; the rest shows with -v and can be
// registered.
type Result struct {
	Changed  bool     `json:"changed"`
	Failed   bool     `json:"failed,omitempty"`
	Msg      string   `json:"msg,omitempty"`
	Diff     []Diff   `json:"diff,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
	// Method and Backend are what persist chose.
	Method  string `json:"method,omitempty"`
	Backend string `json:"backend,omitempty"`
	// Stdout is what the command printed, as the CLI prints it.
	Stdout      string   `json:"stdout"`
	StdoutLines []string `json:"stdout_lines"`
}

// Diff is one file as Ansible's diff callback shows it.
type Diff struct {
	Before       string `json:"before"`
	After        string `json:"after"`
	BeforeHeader string `json:"before_header"`
	AfterHeader  string `json:"after_header"`
}

// Fail is a failed result with msg.
func Fail(msg string) *Result { return &Result{Failed: true, Msg: msg} }

// SetStdout records the command's output.
func (r *Result) SetStdout(s string) {
	r.Stdout = s
	r.StdoutLines = lines(s)
}

func lines(s string) []string {
	out := []string{}
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		if l != "" {
			out = append(out, l)
		}
	}
	return out
}

// Write prints r as the single JSON object Ansible expects.
func (r *Result) Write(w io.Writer) error {
	if r.StdoutLines == nil {
		r.StdoutLines = []string{}
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc.Encode(r)
}

// AddDiagnostics sorts the lines the command printed on standard error:
// warnings and notes become Ansible warnings, and the rest (positioned
// errors, file:line:col: message) is returned for msg.
func (r *Result) AddDiagnostics(stderr string) (errs []string) {
	for _, l := range lines(stderr) {
		switch {
		case strings.Contains(l, ": warning: "), strings.HasPrefix(l, "warning: "), strings.HasPrefix(l, "note: "):
			r.Warnings = append(r.Warnings, l)
		default:
			errs = append(errs, l)
		}
	}
	return errs
}
