package iptables

import (
	"bytes"
	"errors"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"

	"github.com/ruleshift/ruleshift/translate/diag"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// Applying through the restore tools. iptables-restore replaces every
// table its input names, atomically per table and family (one kernel
// replace for legacy, one nf_tables transaction for iptables-nft), and
// leaves tables it does not name alone. So applying a ruleset replaces the
// built-in and user chains of the tables the input defines; chains of
// other tools in those tables (DOCKER-USER in filter, say) are replaced
// too, while tables the input does not define keep whatever they hold.
// The two families are two restores: to make the pair all-or-nothing the
// touched tables are saved first and put back if the second one fails
// (saved.go says what "put back" means for tables that did not exist).

// ApplyResult says what Apply did.
type ApplyResult struct {
	// Replaced lists the tables replaced, per family ("ipv4 filter").
	Replaced []string
	Rules    int
	Diags    *diag.List
}

// RuleError is a line of the restore input that the tool or the kernel
// refused, at the position of the rule (or table) it came from; nothing
// was changed.
type RuleError struct {
	Pos     ir.Pos
	Command string
	Table   string
	Chain   string // empty when the whole table was refused
	Msg     string
}

func (e *RuleError) Error() string {
	msg := e.Msg + "; nothing was changed"
	if e.Chain != "" {
		msg = fmt.Sprintf("%s (refused by %s; table %s, chain %s); nothing was changed", e.Msg, e.Command, e.Table, e.Chain)
	}
	if !e.Pos.IsZero() {
		return e.Pos.String() + ": " + msg
	}
	return msg
}

// ErrRender is returned when the ruleset cannot be rendered for the variant.
var ErrRender = fmt.Errorf("the ruleset cannot be rendered for iptables")

// Apply loads each family of the ruleset with the variant's restore tool.
// If a family fails, every family loaded so far and the failing one are
// put back from a save taken before, so that the machine ends as it was.
func Apply(rs *ir.Ruleset, v *Variant) (*ApplyResult, error) {
	res := &ApplyResult{Diags: &diag.List{}, Rules: rs.RuleCount()}
	texts := map[ir.Family]string{}
	lines := map[ir.Family][]Line{}
	for _, f := range rs.Families() {
		text, l, d := RenderMapped(rs, f, v, Options{})
		res.Diags.Add(d)
		texts[f], lines[f] = text, l
	}
	if res.Diags.HasErrors() {
		return res, ErrRender
	}
	saved, err := SaveTouched(rs, v)
	if err != nil {
		return res, fmt.Errorf("save the current tables first: %w", err)
	}
	var done []ir.Family
	for _, f := range rs.Families() {
		if _, err := run(v.RestoreCommand(f), []byte(texts[f]), "-w"); err != nil {
			err = lineError(v.RestoreCommand(f), lines[f], err)
			// iptables-legacy-restore commits at each COMMIT line, so
			// tables before the failing one may already be replaced, in
			// this family as in the one done before: put all back.
			if rerr := saved.only(append(done, f)).Restore(); rerr != nil {
				return res, fmt.Errorf("%v; and putting back the saved tables failed: %v", err, rerr)
			}
			return res, err
		}
		done = append(done, f)
		for _, t := range TouchedTables(rs, f) {
			res.Replaced = append(res.Replaced, familyName(f)+" "+t)
		}
	}
	return res, nil
}

func familyName(f ir.Family) string {
	if f == ir.IPv6 {
		return "ipv6"
	}
	return "ipv4"
}

// The restore tools name the failing line of their input in two ways
// (iptables 1.8.9): "line N: <message>" then "…: line N failed" for a
// rule the kernel refused (iptables-nft), "…: line N failed" alone for a
// table the legacy kernel refused at COMMIT, and "<tool> v1.8.9 (…):
// <message>" then "Error occurred at line: N" for a line it could not
// parse or resolve.
var (
	lineMsg     = regexp.MustCompile(`(?m)^line (\d+): (.*)$`)
	lineFailed  = regexp.MustCompile(`line (\d+) failed`)
	lineOccured = regexp.MustCompile(`Error occurred at line: (\d+)`)
	toolPrefix  = regexp.MustCompile(`(?m)^\S+ v[0-9.]+(?: \([^)]*\))?: (.*)$`)
)

// lineError rewrites a restore tool's error about line N of the rendered
// input into an error at the position that line came from.
func lineError(tool string, lines []Line, err error) error {
	var te *toolError
	if !errors.As(err, &te) {
		return err
	}
	n, msg := 0, ""
	if m := lineMsg.FindStringSubmatch(te.stderr); m != nil {
		n, _ = strconv.Atoi(m[1])
		msg = m[2]
	} else if m := lineOccured.FindStringSubmatch(te.stderr); m != nil {
		n, _ = strconv.Atoi(m[1])
		if p := toolPrefix.FindStringSubmatch(te.stderr); p != nil {
			msg = strings.TrimSpace(p[1])
		}
	} else if m := lineFailed.FindStringSubmatch(te.stderr); m != nil {
		n, _ = strconv.Atoi(m[1])
	}
	if n < 1 || n > len(lines) {
		return err
	}
	l := lines[n-1]
	if l.Table == "" {
		return err
	}
	if msg == "" {
		msg = "failed"
	}
	if !l.Rule && l.Chain == "" {
		// iptables-legacy-restore hands the kernel a whole table at
		// COMMIT; the kernel says no more than that it refused it.
		msg = fmt.Sprintf("the kernel refused table %s as a whole at COMMIT (%s: line %d %s; the legacy tools cannot say which rule)", l.Table, tool, n, msg)
	}
	return &RuleError{Pos: l.Pos, Command: tool, Table: l.Table, Chain: l.Chain, Msg: msg}
}

// toolError is a tool that failed, with what it printed on stderr.
type toolError struct {
	name   string
	err    error
	stderr string
}

func (e *toolError) Error() string {
	return fmt.Sprintf("%s: %v: %s", e.name, e.err, strings.TrimSpace(e.stderr))
}

// run runs a tool with stdin, returning stdout and an error holding
// stderr.
func run(name string, stdin []byte, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return out.String(), &toolError{name: name, err: err, stderr: errb.String()}
	}
	return out.String(), nil
}
