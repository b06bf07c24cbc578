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

// TestSCTPChunkFlags: flag letters become xt_sctp's mask and value, and
// print back as iptables-save 1.8.9 does (bit 7 down, whatever the order
// given): "DATA:eBi,ABORT:t,INIT:-" lists as "DATA:iBe,INIT:-,ABORT:t".
func TestSCTPChunkFlags(t *testing.T) {
	cmd, err := parseCT(t, "-A INPUT -p sctp --chunk-types all DATA:eBi,ABORT:t,INIT:-", ir.IPv4)
	if err != "" {
		t.Fatal(err)
	}
	m := cmd.Rules[0].Matches[1].(*ir.SCTP)
	want := []ir.SCTPChunk{
		{Name: ir.ChunkData, Flags: ir.SCTPChunkFlags{Mask: 0x0b, Value: 0x02}},
		{Name: ir.ChunkAbort, Flags: ir.SCTPChunkFlags{Mask: 0x01}},
		{Name: ir.ChunkInit, Flags: ir.SCTPChunkFlags{Mask: 0x80}},
	}
	if !ir.Equal(m.Chunks, want) || m.ChunkMatch != ir.ChunkMatchAll {
		t.Fatalf("chunks %+v, want %+v", m.Chunks, want)
	}
	for i, s := range []string{"iBe", "t", "-"} {
		if got := m.Chunks[i].FlagLetters(); got != s {
			t.Errorf("%s flags print as %q, want %q", m.Chunks[i].Name, got, s)
		}
	}
}
