package iptables

import (
	"fmt"
	"strings"

	"github.com/ruleshift/ruleshift/internal/netfilter"
	"github.com/ruleshift/ruleshift/translate/diag"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// Files pasted from the web or saved on Windows carry damage that
// iptables-restore 1.8.9 refuses (tested with iptables-legacy-restore
// and iptables-nft-restore --test):
//
//   - a carriage return at the end of a line (CR LF line ends), except on
//     a :CHAIN line: "*filter\r" is an invalid table, "ACCEPT\r" an
//     invalid target, "COMMIT\r" a bad argument;
//   - an indented *table, :CHAIN, COMMIT, comment or [counters] line, or a
//     line of blanks (an indented rule line is taken);
//   - blanks after COMMIT ("COMMIT \n");
//   - with iptables-legacy-restore only, a last COMMIT without a line end.
//
// ruleshift reads such a file as if the damage were not there, and warns
// once per kind at the first line that has it, so that the user knows the
// file as it is would not load.
type damage struct {
	first ir.Pos
	n     int
	blank bool // the first is a line of blanks
}

const (
	dmgCR = iota
	dmgIndent
	dmgCommitBlank
	dmgKinds
)

// noteDamage records what of the damage above one line carries. text is
// the raw line, body the line without its indentation and trailing blanks.
func (sp *saveParser) noteDamage(text, body string, n int) {
	cr := strings.HasSuffix(text, "\r")
	noCR := strings.TrimSuffix(text, "\r")
	if cr {
		// Every CR line counts, but only one iptables-restore refuses
		// (not a chain line) makes the warning and its position.
		d := &sp.damage[dmgCR]
		if d.first.IsZero() && (body == "" || body[0] != ':') {
			d.first = ir.Pos{File: sp.name, Line: n, Col: len(noCR) + 1}
		}
		d.n++
	}
	if body == "" {
		if strings.TrimLeft(noCR, " \t") == "" && noCR != "" {
			if sp.damage[dmgIndent].n == 0 {
				sp.damage[dmgIndent].blank = true
			}
			sp.damaged(dmgIndent, ir.Pos{File: sp.name, Line: n, Col: 1})
		}
		return
	}
	if noCR[0] == ' ' || noCR[0] == '\t' {
		if body[0] != '-' {
			sp.damaged(dmgIndent, ir.Pos{File: sp.name, Line: n, Col: 1})
		}
	}
	if body == "COMMIT" && !strings.HasSuffix(noCR, "COMMIT") {
		sp.damaged(dmgCommitBlank, ir.Pos{File: sp.name, Line: n, Col: strings.Index(noCR, "COMMIT") + 7})
	}
}

func (sp *saveParser) damaged(kind int, pos ir.Pos) {
	d := &sp.damage[kind]
	if d.n == 0 {
		d.first = pos
	}
	d.n++
}

// reportDamage warns about the damage found, and about a last COMMIT
// without a line end.
func (sp *saveParser) reportDamage(text string, lines []string) {
	const refuse = "iptables-restore 1.8.9 would refuse the file as it is"
	for kind, d := range sp.damage {
		if d.n == 0 || d.first.IsZero() {
			continue
		}
		more := ""
		if d.n > 1 {
			more = fmt.Sprintf(" (the first of %d)", d.n)
		}
		switch kind {
		case dmgCR:
			if d.n > 1 {
				more = fmt.Sprintf(" (%d lines end so)", d.n)
			}
			sp.diags.Report(diag.InputForm, d.first, "line ends in CR LF, as in files saved on Windows or pasted from the web%s: %s; read as if the line ends were plain (dos2unix fixes the file)", more, refuse)
		case dmgIndent:
			what, as := "indented line", "as if it were not"
			if d.blank {
				as = "as an empty line"
				what = "line of only blanks"
				if d.n > 1 {
					more = fmt.Sprintf(" (the first of %d blank or indented lines)", d.n)
				}
			}
			sp.diags.Report(diag.InputForm, d.first, "%s%s: %s (it takes only rule lines indented); read %s", what, more, refuse, as)
		case dmgCommitBlank:
			sp.diags.Report(diag.InputForm, d.first, "blanks after COMMIT%s: %s; read as a plain COMMIT", more, refuse)
		}
	}
	if n := len(lines); n > 0 && !strings.HasSuffix(text, "\n") && strings.TrimSpace(lines[n-1]) == "COMMIT" {
		sp.diags.Report(diag.InputForm, ir.Pos{File: sp.name, Line: n, Col: len(lines[n-1]) + 1},
			"the file ends with COMMIT and no line end: iptables-legacy-restore 1.8.9 would refuse it as it is (iptables-nft-restore takes it); add a line end")
	}
}

// strayLine says what a line that is neither a rule nor any other line of
// the save format is, when it is recognisably pasted from somewhere else.
// It returns "" for a line that may be a rule (starts with '-' or with
// counters "[1:2]").
func strayLine(body string) string {
	if body[0] == '-' || isCounters(body) {
		return ""
	}
	first, _, _ := strings.Cut(body, " ")
	switch {
	case looksLikePrompt(body):
		return fmt.Sprintf("this line looks like a pasted shell prompt (%q), not part of an iptables-save file; remove it", clip(body))
	case strings.HasPrefix(body, "```") || strings.HasPrefix(body, "~~~"):
		return "this line is a Markdown code fence, not part of an iptables-save file; remove it"
	case isShellCommand(first):
		return fmt.Sprintf("this line is a shell command (%q), not part of an iptables-save file; remove it", clip(body))
	}
	return "unexpected line: want a *table, :CHAIN, rule or COMMIT line"
}

// isCounters reports whether s starts with "[digits:digits]".
func isCounters(s string) bool {
	end := strings.IndexByte(s, ']')
	if s[0] != '[' || end < 0 {
		return false
	}
	a, b, ok := strings.Cut(s[1:end], ":")
	return ok && a != "" && b != "" && strings.Trim(a, "0123456789") == "" && strings.Trim(b, "0123456789") == ""
}

// looksLikePrompt recognises the prompts of shells as they appear in bug
// reports: "root@host:~# ", "user@host:/etc$ ", "[root@host ~]# ",
// "$ ", "host# ".
func looksLikePrompt(s string) bool {
	if s[0] == '$' || s[0] == '%' || s[0] == '>' {
		return len(s) == 1 || s[1] == ' '
	}
	if s[0] == '[' {
		end := strings.Index(s, "]")
		return end > 0 && strings.Contains(s[:end], "@") && end+1 < len(s) && strings.ContainsRune("#$%>", rune(s[end+1]))
	}
	first, rest, _ := strings.Cut(s, " ")
	last := first[len(first)-1]
	if !strings.ContainsRune("#$%>", rune(last)) {
		return false
	}
	// user@host:path# or host# followed by a command
	return strings.Contains(first, "@") || isShellCommand(strings.Fields(rest + " x")[0])
}

// isShellCommand names the commands a pasted dump comes with.
func isShellCommand(w string) bool {
	switch w {
	case "sudo", "iptables-save", "ip6tables-save", "iptables-legacy-save", "ip6tables-legacy-save",
		"iptables-nft-save", "ip6tables-nft-save", "iptables", "ip6tables", "cat", "less", "more":
		return true
	}
	return false
}

// clip shortens a line for a message.
func clip(s string) string {
	if len(s) > 60 {
		return s[:57] + "..."
	}
	return s
}

// Undamaged is a save file as the restore tool takes it: see
// netfilter.Undamaged, which the backends and verify use without
// importing this frontend.
func Undamaged(raw []byte) string { return netfilter.Undamaged(raw) }
