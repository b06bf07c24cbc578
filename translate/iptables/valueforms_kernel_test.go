package iptables_test

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	bipt "github.com/ruleshift/ruleshift/backends/iptables"
	"github.com/ruleshift/ruleshift/internal/testenv"
	"github.com/ruleshift/ruleshift/translate/iptables"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// TestValueFormsKernel is the proof that values are read as iptables 1.8.9
// reads them: every form of valueForms is added with iptables-legacy (or
// ip6tables-legacy) in a scratch namespace, one rule per user chain, and
// parsed by ruleshift. Both must accept it or both refuse it; when both
// accept, ruleshift's rendering must be the line iptables-legacy-save
// lists for it. Forms in valueFormExceptions disagree for the reason
// given there and are only counted.
func TestValueFormsKernel(t *testing.T) {
	testenv.RequireBinary(t, "iptables-legacy", "ip6tables-legacy", "iptables-legacy-save",
		"ip6tables-legacy-save", "iptables-legacy-restore", "ip6tables-legacy-restore", "sh")
	forms := valueForms()
	ns := testenv.NewNetns(t, "rs-vf")
	real := runForms(t, ns, forms)
	ours := make([]formResult, len(forms))
	for i, f := range forms {
		ours[i] = ruleshiftForm(f, i)
	}
	// Where the text differs ("-p 4" for "-p ipencap", a default left
	// out), ruleshift's rendering is loaded too and must list the same.
	reloaded := reloadOurs(t, ns, forms, real, ours)
	agree, same, excepted := 0, 0, 0
	for i, f := range forms {
		got, want := ours[i], real[i]
		ok := got.accepted == want.accepted
		if ok && got.accepted {
			if sameTokens(got.lines, want.lines) {
				same++
			} else {
				ok = reloaded[i] == want.lines
			}
		}
		if why, isExc := valueFormExceptions[f.key()]; isExc {
			if ok {
				t.Errorf("%s: listed as an exception (%s) but ruleshift now agrees: remove it", f.key(), why)
			}
			excepted++
			continue
		}
		if ok {
			agree++
			continue
		}
		switch {
		case want.accepted && !got.accepted:
			t.Errorf("%s: iptables accepts it (%q) but ruleshift refuses it: %s", f.key(), want.lines, got.err)
		case !want.accepted && got.accepted:
			t.Errorf("%s: iptables refuses it (%s) but ruleshift accepts it as %q", f.key(), want.err, got.lines)
		default:
			t.Errorf("%s: iptables lists %q, ruleshift renders %q, which lists as %q", f.key(), want.lines, got.lines, reloaded[i])
		}
	}
	t.Logf("%d value forms: %d agree with iptables-legacy 1.8.9 (%d accepted with the same text, the other accepted ones after loading ruleshift's rendering), %d documented exceptions", len(forms), agree, same, excepted)
}

// valueForm is one rule: its family, table and arguments after
// "-A CHAIN".
type valueForm struct {
	fam   ir.Family
	table string
	args  []string
}

func (f valueForm) key() string {
	w := "4"
	if f.fam == ir.IPv6 {
		w = "6"
	}
	q := make([]string, len(f.args))
	for i, a := range f.args {
		q[i] = a
		if a == "" || strings.ContainsAny(a, " \t") {
			q[i] = strconv.Quote(a)
		}
	}
	return fmt.Sprintf("%s %s %s", w, f.table, strings.Join(q, " "))
}

// formResult is what one side made of a form: accepted or not, and the
// rule lines ("-A CHAIN ...", one per rule, joined by newlines).
type formResult struct {
	accepted bool
	lines    string
	err      string
}

func chainName(i int) string { return fmt.Sprintf("VF%04d", i) }

func ruleshiftForm(f valueForm, i int) formResult {
	args := append([]string{"-t", f.table, "-A", chainName(i)}, f.args...)
	cmd, d := iptables.ParseCommand(iptables.Tokens(args, ir.Pos{File: "form", Line: i + 1, Col: 1}), iptables.ParseOptions{Family: f.fam})
	if d.HasErrors() {
		return formResult{err: d.Err().Error()}
	}
	var lines []string
	for _, r := range cmd.Rules {
		ra, rd := bipt.RuleArgs(r, f.fam, bipt.Legacy)
		if rd.HasErrors() {
			return formResult{err: "render: " + rd.Err().Error()}
		}
		lines = append(lines, strings.TrimSpace("-A "+chainName(i)+" "+strings.Join(ra, " ")))
	}
	return formResult{accepted: true, lines: strings.Join(lines, "\n")}
}

func shQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

// runForms adds every form with the real tool in ns: the user chains are
// created with one restore per table, the rules with one iptables call
// each from a single shell script, and the tables listed once.
func runForms(t *testing.T, ns *testenv.Netns, forms []valueForm) []formResult {
	t.Helper()
	type tk struct {
		fam   ir.Family
		table string
	}
	byTable := map[tk][]int{}
	for i, f := range forms {
		k := tk{f.fam, f.table}
		byTable[k] = append(byTable[k], i)
	}
	tool := func(f ir.Family, v4, v6 string) string {
		if f == ir.IPv6 {
			return v6
		}
		return v4
	}
	var keys []tk
	for k := range byTable {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(a, b int) bool {
		if keys[a].fam != keys[b].fam {
			return keys[a].fam < keys[b].fam
		}
		return keys[a].table < keys[b].table
	})
	for _, k := range keys {
		var b strings.Builder
		fmt.Fprintf(&b, "*%s\n", k.table)
		for _, i := range byTable[k] {
			fmt.Fprintf(&b, ":%s - [0:0]\n", chainName(i))
		}
		b.WriteString("COMMIT\n")
		if _, err := ns.Run([]byte(b.String()), tool(k.fam, "iptables-legacy-restore", "ip6tables-legacy-restore"), "-n"); err != nil {
			t.Fatalf("creating the chains: %v", err)
		}
	}
	var sh strings.Builder
	for i, f := range forms {
		fmt.Fprintf(&sh, "%s -t %s -A %s", tool(f.fam, "iptables-legacy", "ip6tables-legacy"), f.table, chainName(i))
		for _, a := range f.args {
			sh.WriteString(" " + shQuote(a))
		}
		fmt.Fprintf(&sh, " 2>&1; echo \"@@ %d $?\"\n", i)
	}
	script := filepath.Join(t.TempDir(), "forms.sh")
	if err := os.WriteFile(script, []byte(sh.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := ns.Run(nil, "sh", script)
	if err != nil {
		t.Fatalf("running the forms: %v", err)
	}
	res := make([]formResult, len(forms))
	var msg []string
	for _, line := range strings.Split(out, "\n") {
		var i, rc int
		if _, err := fmt.Sscanf(line, "@@ %d %d", &i, &rc); err == nil && strings.HasPrefix(line, "@@ ") {
			res[i] = formResult{accepted: rc == 0, err: strings.Join(msg, " ")}
			msg = nil
			continue
		}
		if line != "" && !strings.HasPrefix(line, "Try `") {
			msg = append(msg, line)
		}
	}
	for _, k := range keys {
		out, err := ns.Run(nil, tool(k.fam, "iptables-legacy-save", "ip6tables-legacy-save"), "-t", k.table)
		if err != nil {
			t.Fatalf("listing %s: %v", k.table, err)
		}
		lines := map[string][]string{}
		for _, l := range strings.Split(out, "\n") {
			if strings.HasPrefix(l, "-A VF") {
				c, _, _ := strings.Cut(l[3:], " ")
				lines[c] = append(lines[c], l)
			}
		}
		for _, i := range byTable[k] {
			if res[i].accepted {
				res[i].lines = strings.Join(lines[chainName(i)], "\n")
			}
		}
	}
	return res
}

// sameTokens compares two rule listings word by word, as restore splits
// them, so that quoting does not count.
func sameTokens(a, b string) bool {
	split := func(s string) []string {
		var out []string
		for _, l := range strings.Split(s, "\n") {
			toks, _, _ := iptables.SplitLine(l, ir.Pos{})
			for _, t := range toks {
				out = append(out, t.Text)
			}
			out = append(out, "\n")
		}
		return out
	}
	x, y := split(a), split(b)
	if len(x) != len(y) {
		return false
	}
	for i := range x {
		if x[i] != y[i] {
			return false
		}
	}
	return true
}

// reloadOurs loads ruleshift's rendering of every form that both sides
// accept with different text into chains of its own (RS####), lists them
// and returns each listing with the chain renamed back to VF####.
func reloadOurs(t *testing.T, ns *testenv.Netns, forms []valueForm, real, ours []formResult) []string {
	t.Helper()
	out := make([]string, len(forms))
	type tk struct {
		fam   ir.Family
		table string
	}
	batches := map[tk][]int{}
	for i, f := range forms {
		if real[i].accepted && ours[i].accepted && !sameTokens(real[i].lines, ours[i].lines) {
			k := tk{f.fam, f.table}
			batches[k] = append(batches[k], i)
		}
	}
	for k, idx := range batches {
		restore, save := "iptables-legacy-restore", "iptables-legacy-save"
		if k.fam == ir.IPv6 {
			restore, save = "ip6tables-legacy-restore", "ip6tables-legacy-save"
		}
		batch := func(idx []int) []byte {
			var b strings.Builder
			fmt.Fprintf(&b, "*%s\n", k.table)
			for _, i := range idx {
				fmt.Fprintf(&b, ":RS%04d - [0:0]\n", i)
			}
			for _, i := range idx {
				b.WriteString(strings.ReplaceAll(ours[i].lines, "-A "+chainName(i)+" ", fmt.Sprintf("-A RS%04d ", i)))
				b.WriteString("\n")
			}
			b.WriteString("COMMIT\n")
			return []byte(b.String())
		}
		if _, err := ns.Run(batch(idx), restore, "-n"); err != nil {
			// One rendering does not load: load them one by one, so
			// that the others are still compared and the bad one
			// lists as nothing.
			for _, i := range idx {
				ns.Run(batch([]int{i}), restore, "-n")
			}
		}
		listing, err := ns.Run(nil, save, "-t", k.table)
		if err != nil {
			t.Fatalf("listing %s: %v", k.table, err)
		}
		lines := map[string][]string{}
		for _, l := range strings.Split(listing, "\n") {
			if strings.HasPrefix(l, "-A RS") {
				c, rest, _ := strings.Cut(l[3:], " ")
				lines[c] = append(lines[c], strings.TrimSpace("-A VF"+c[2:]+" "+rest))
			}
		}
		for _, i := range idx {
			out[i] = strings.Join(lines[fmt.Sprintf("RS%04d", i)], "\n")
		}
	}
	return out
}
