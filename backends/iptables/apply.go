package iptables

import (
	"bytes"
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
// touched tables are saved first and put back if the second one fails.

// Saved is the previous content of the tables an apply touches, per
// family, as the save tool printed it.
type Saved struct {
	Variant *Variant
	Text    map[ir.Family]string
}

// TouchedTables lists the tables of family f the ruleset defines.
func TouchedTables(rs *ir.Ruleset, f ir.Family) []string {
	var out []string
	for _, t := range rs.Tables {
		if t.Family == f {
			out = append(out, t.Name)
		}
	}
	return out
}

// Save prints the current content of the given tables of family f.
func Save(v *Variant, f ir.Family, tables []string) (string, error) {
	var b strings.Builder
	for _, t := range tables {
		out, err := run(v.SaveCommand(f), nil, "-t", t)
		if err != nil {
			return "", err
		}
		b.WriteString(out)
	}
	return b.String(), nil
}

// SaveTouched saves every table the ruleset defines, in both families.
func SaveTouched(rs *ir.Ruleset, v *Variant) (*Saved, error) {
	s := &Saved{Variant: v, Text: map[ir.Family]string{}}
	for _, f := range rs.Families() {
		text, err := Save(v, f, TouchedTables(rs, f))
		if err != nil {
			return nil, err
		}
		s.Text[f] = text
	}
	return s, nil
}

// Restore puts saved tables back.
func (s *Saved) Restore() error {
	var errs []string
	for _, f := range []ir.Family{ir.IPv4, ir.IPv6} {
		text, ok := s.Text[f]
		if !ok || strings.TrimSpace(text) == "" {
			continue
		}
		if _, err := run(s.Variant.RestoreCommand(f), []byte(text), "-w"); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("restore the saved tables: %s", strings.Join(errs, "; "))
	}
	return nil
}

// ApplyResult says what Apply did.
type ApplyResult struct {
	// Replaced lists the tables replaced, per family ("ipv4 filter").
	Replaced []string
	Rules    int
	Diags    *diag.List
}

// RuleError is a rule the restore tool refused; nothing was changed.
type RuleError struct {
	Pos     ir.Pos
	Command string
	Table   string
	Chain   string
	Msg     string
}

func (e *RuleError) Error() string {
	msg := fmt.Sprintf("%s refused the rule (table %s, chain %s): %s; nothing was changed", e.Command, e.Table, e.Chain, e.Msg)
	if !e.Pos.IsZero() {
		return e.Pos.String() + ": " + msg
	}
	return msg
}

// ErrRender is returned when the ruleset cannot be rendered for the variant.
var ErrRender = fmt.Errorf("the ruleset cannot be rendered for iptables")

// Apply loads each family of the ruleset with the variant's restore tool.
// If the second family fails, the first is put back from a save taken
// before, so that the machine ends with the old tables in both families.
func Apply(rs *ir.Ruleset, v *Variant) (*ApplyResult, error) {
	res := &ApplyResult{Diags: &diag.List{}, Rules: rs.RuleCount()}
	texts := map[ir.Family]string{}
	for _, f := range rs.Families() {
		text, d := Render(rs, f, v, Options{})
		res.Diags.Add(d)
		texts[f] = text
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
			err = lineError(rs, f, v, texts[f], err)
			// iptables-legacy-restore commits at each COMMIT line, so
			// tables before the failing one may already be replaced, in
			// this family as in the one done before: put all back.
			back := &Saved{Variant: v, Text: map[ir.Family]string{}}
			for _, d := range append(done, f) {
				back.Text[d] = saved.Text[d]
			}
			if rerr := back.Restore(); rerr != nil {
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

var restoreLine = regexp.MustCompile(`line (\d+):? (?:failed)?(.*)`)

// lineError maps "iptables-restore: line N failed" to the rule on line N
// of the rendered text.
func lineError(rs *ir.Ruleset, f ir.Family, v *Variant, text string, err error) error {
	m := restoreLine.FindStringSubmatch(err.Error())
	if m == nil {
		return err
	}
	n, _ := strconv.Atoi(m[1])
	lines := strings.Split(text, "\n")
	if n < 1 || n > len(lines) {
		return err
	}
	// The k-th "-A" line is the k-th rule, tables and chains in order.
	k := 0
	for _, l := range lines[:n-1] {
		if strings.HasPrefix(l, "-A ") {
			k++
		}
	}
	msg := strings.TrimSpace(m[2])
	if msg == "" {
		msg = "failed"
	}
	if l := lines[n-1]; l == "COMMIT" {
		// iptables-legacy-restore only learns at COMMIT that the kernel
		// refuses the table; it cannot say which rule.
		table := ""
		for _, x := range lines[:n-1] {
			if strings.HasPrefix(x, "*") {
				table = x[1:]
			}
		}
		return fmt.Errorf("%s: the kernel refused table %s as a whole (line %d, COMMIT); nothing was changed", v.RestoreCommand(f), table, n)
	}
	for _, t := range rs.Tables {
		if t.Family != f {
			continue
		}
		for _, c := range t.Chains {
			for _, r := range c.Rules {
				if k == 0 {
					return &RuleError{Pos: r.Src, Command: v.RestoreCommand(f), Table: t.Name, Chain: c.Name, Msg: msg}
				}
				k--
			}
		}
	}
	return err
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
		return out.String(), fmt.Errorf("%s: %v: %s", name, err, strings.TrimSpace(errb.String()))
	}
	return out.String(), nil
}
