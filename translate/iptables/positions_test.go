package iptables

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/translate/ir"
)

// TestPositions: every match and target points at the option it was
// written with: a generic option (-p, -s, -i, -f) at itself, an explicit
// module at its -m, an implicit protocol match at the option that loaded
// it, a target at its name.
func TestPositions(t *testing.T) {
	cases := []struct {
		line string
		want []string // "kind@word" in rule order: the word at the node's column
	}{
		{"-A INPUT -p tcp --dport 22 -j ACCEPT", []string{"Protocol@-p", "TCP@--dport", "Verdict@ACCEPT"}},
		{"-A INPUT -i eth0 -f -s 10.0.0.0/8,10.1.0.0/16 -m conntrack --ctstate NEW -g LOGGED",
			[]string{"Iface@-i", "Fragment@-f", "Addr@-s", "Conntrack@-m", "Jump@LOGGED"}},
		{"-A INPUT -p udp -m udp --sport 53 -m comment --comment x -j REJECT --reject-with icmp-host-unreachable",
			[]string{"Protocol@-p", "UDP@-m", "Comment@-m", "Reject@REJECT"}},
		{"-A FORWARD -ptcp --syn -j LOG --log-level 4", []string{"Protocol@-ptcp", "TCP@--syn", "Log@LOG"}},
	}
	for _, c := range cases {
		cmd, err := parseCT(t, c.line, ir.IPv4)
		if err != "" {
			t.Errorf("%s: %s", c.line, err)
			continue
		}
		word := func(p ir.Pos) string {
			if p.File != "t" || p.Line != 1 || p.Col < 1 || p.Col > len(c.line) {
				return fmt.Sprintf("bad position %s", p)
			}
			w, _, _ := strings.Cut(c.line[p.Col-1:], " ")
			return w
		}
		for _, r := range cmd.Rules {
			var got []string
			for _, m := range r.Matches {
				got = append(got, fmt.Sprintf("%T@%s", m, word(m.Pos()))[4:])
			}
			got = append(got, fmt.Sprintf("%T@%s", r.Target, word(r.Target.Pos()))[4:])
			if strings.Join(got, " ") != strings.Join(c.want, " ") {
				t.Errorf("%s:\n got %s\nwant %s", c.line, got, c.want)
			}
		}
	}
}
