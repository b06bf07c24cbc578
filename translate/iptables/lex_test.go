package iptables

import (
	"reflect"
	"testing"

	"github.com/ruleshift/ruleshift/translate/ir"
)

// TestSplitLine pins iptables-restore's splitting: double quotes group and
// may sit inside a word, a backslash in quotes takes the next character,
// single quotes and backslashes outside quotes are ordinary.
func TestSplitLine(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []string
		cols []int
		bad  int
	}{
		{in: "-A INPUT  -j ACCEPT", want: []string{"-A", "INPUT", "-j", "ACCEPT"}, cols: []int{1, 4, 11, 14}},
		{in: `--comment "a b"`, want: []string{"--comment", "a b"}, cols: []int{1, 11}},
		{in: `x ab"cd"ef`, want: []string{"x", "abcdef"}, cols: []int{1, 3}},
		{in: `"dq \"x\" \\ y" z`, want: []string{`dq "x" \ y`, "z"}},
		{in: `"it\'s"`, want: []string{"it's"}},
		{in: `'single q'`, want: []string{"'single", "q'"}},
		{in: `a\ b`, want: []string{`a\`, "b"}},
		{in: `""`, want: []string{""}},
		{in: "\t-A\tX ", want: []string{"-A", "X"}},
		{in: `-A "open`, bad: 4},
	} {
		toks, bad, ok := SplitLine(c.in, ir.Pos{File: "f", Line: 1, Col: 1})
		if c.bad != 0 {
			if ok || bad != c.bad {
				t.Errorf("%q: want unterminated quote at col %d, got ok=%v col=%d", c.in, c.bad, ok, bad)
			}
			continue
		}
		var got []string
		var cols []int
		for _, tk := range toks {
			got = append(got, tk.Text)
			cols = append(cols, tk.Pos.Col)
		}
		if !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q: got %q, want %q", c.in, got, c.want)
		}
		if c.cols != nil && !reflect.DeepEqual(cols, c.cols) {
			t.Errorf("%q: columns %v, want %v", c.in, cols, c.cols)
		}
	}
}

// TestStrtoul pins the number syntax iptables takes (C strtoul, base 0).
func TestStrtoul(t *testing.T) {
	for _, c := range []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"42", 42, true}, {"0x1F", 31, true}, {"0X1f", 31, true}, {"010", 8, true}, {"0", 0, true},
		{"0b101", 0, false}, {"0o7", 0, false}, {"1_000", 0, false}, {"-1", 0, false}, {"+1", 1, true}, {" 0x10", 16, true}, {"08", 0, false},
		{"", 0, false}, {"0x", 0, false}, {"09", 0, false}, {"256", 0, false},
	} {
		got, err := strtoul(c.in, 8)
		if (err == nil) != c.ok || (c.ok && got != c.want) {
			t.Errorf("strtoul(%q) = %d, %v; want %d, ok=%v", c.in, got, err, c.want, c.ok)
		}
	}
}
