package script_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/translate/ir"
	"github.com/ruleshift/ruleshift/translate/script"
)

// TestPositions: a match or target read from a script points at the
// script's word, for a command and for a line of a restore here-document.
func TestPositions(t *testing.T) {
	src := "P=22\n" +
		"iptables -A INPUT -p tcp --dport \"$P\" -j ACCEPT\n" +
		"iptables-restore --noflush <<EOF\n" +
		"*filter\n" +
		"-A INPUT -s 10.0.0.1 -m comment --comment hi -j DROP\n" +
		"COMMIT\n" +
		"EOF\n"
	rs := &ir.Ruleset{}
	d := script.Load(rs, []byte(src), script.Options{Name: "t.sh"})
	if d.HasErrors() {
		t.Fatal(d.Err())
	}
	lines := strings.Split(src, "\n")
	word := func(p ir.Pos) string {
		if p.File != "t.sh" || p.Line < 1 || p.Line > len(lines) || p.Col < 1 || p.Col > len(lines[p.Line-1]) {
			return "bad position " + p.String()
		}
		w, _, _ := strings.Cut(lines[p.Line-1][p.Col-1:], " ")
		return w
	}
	var got []string
	ir.Walk(rs, func(n any) bool {
		switch n := n.(type) {
		case ir.Match:
			got = append(got, fmt.Sprintf("%T@%s", n, word(n.Pos()))[4:])
		case ir.Target:
			got = append(got, fmt.Sprintf("%T@%s", n, word(n.Pos()))[4:])
		}
		return true
	})
	want := "Protocol@-p TCP@--dport Verdict@ACCEPT Addr@-s Comment@-m Verdict@DROP"
	if strings.Join(got, " ") != want {
		t.Errorf("positions:\n got %s\nwant %s", strings.Join(got, " "), want)
	}
}
