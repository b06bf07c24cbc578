package lint_test

import (
	"fmt"
	"net/netip"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/ruleshift/ruleshift/internal/corpus"
	"github.com/ruleshift/ruleshift/translate"
	"github.com/ruleshift/ruleshift/translate/ir"
	"github.com/ruleshift/ruleshift/translate/lint"
)

func TestChecksTable(t *testing.T) {
	for i, c := range lint.Checks {
		if want := fmt.Sprintf("L%d", i+1); c.Code != want {
			t.Errorf("check %d has code %s, want %s: codes are stable and in order", i, c.Code, want)
		}
		for _, key := range []string{c.Code, strings.ToLower(c.Code), c.Name} {
			if got, ok := lint.Lookup(key); !ok || got.Code != c.Code {
				t.Errorf("Lookup(%q) = %v, %v", key, got, ok)
			}
		}
	}
	if _, ok := lint.Lookup("L99"); ok {
		t.Error("L99 found")
	}
}

func TestParseSSHConnection(t *testing.T) {
	for _, c := range []struct {
		in   string
		ok   bool
		port uint16
		cl   string
	}{
		{"192.0.2.7 51234 198.51.100.1 22", true, 22, "192.0.2.7"},
		{"2001:db8::7 51234 2001:db8::1 2222", true, 2222, "2001:db8::7"},
		{"::ffff:192.0.2.7 1 ::ffff:198.51.100.1 22", true, 22, "192.0.2.7"},
		{"", false, 0, ""},
		{"192.0.2.7 51234 198.51.100.1", false, 0, ""},
		{"x 1 y 22", false, 0, ""},
		{"192.0.2.7 1 198.51.100.1 0", false, 0, ""},
	} {
		s, ok := lint.ParseSSHConnection(c.in)
		if ok != c.ok || ok && (s.Port != c.port || s.Client != netip.MustParseAddr(c.cl)) {
			t.Errorf("%q: got %+v %v", c.in, s, ok)
		}
	}
}

func TestSSHDPort(t *testing.T) {
	for in, want := range map[string]uint16{
		"":                               22,
		"# Port 2200\n":                  22,
		"Port 2200\nPort 2201\n":         2200,
		"  port 2022\n":                  2022,
		"Match User x\n\tPort 2201\n":    22,
		"PermitRootLogin no\nPort 443\n": 443,
		"Port 99999\n":                   22,
	} {
		if got := lint.SSHDPort([]byte(in)); got != want {
			t.Errorf("%q: got %d, want %d", in, got, want)
		}
	}
}

func load(t *testing.T, text string) *ir.Ruleset {
	t.Helper()
	rs, d := translate.Load([]translate.Input{{Name: "rules.v4", Data: []byte(text)}}, translate.Options{From: translate.Save, Family: ir.IPv4})
	if d.HasErrors() {
		t.Fatal(d.Err())
	}
	return rs
}

func codes(fs []lint.Finding) string {
	var s []string
	for _, f := range fs {
		s = append(s, fmt.Sprintf("%s@%d", f.Code, f.Pos.Line))
	}
	return strings.Join(s, " ")
}

// TestSSHSession: with the live session's addresses, only a rule that
// accepts that client counts.
func TestSSHSession(t *testing.T) {
	rs := load(t, `*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -s 10.0.0.0/8 -p tcp -m tcp --dport 22 -j ACCEPT
COMMIT
`)
	off := map[string]bool{"L6": true}
	inside, _ := lint.ParseSSHConnection("10.1.2.3 50000 10.0.0.1 22")
	if got := codes(lint.Run(rs, lint.Options{SSH: inside, Disable: off})); got != "" {
		t.Errorf("a client in 10.0.0.0/8: %s", got)
	}
	outside, _ := lint.ParseSSHConnection("192.0.2.9 50000 10.0.0.1 22")
	if got := codes(lint.Run(rs, lint.Options{SSH: outside, Disable: off})); got != "L8@2" {
		t.Errorf("a client outside: %s", got)
	}
	v6, _ := lint.ParseSSHConnection("2001:db8::9 50000 2001:db8::1 22")
	if got := codes(lint.Run(rs, lint.Options{SSH: v6, Disable: off})); got != "" {
		t.Errorf("an IPv6 session and IPv4 rules: %s", got)
	}
	if got := codes(lint.Run(rs, lint.Options{SSH: lint.SSH{Port: 22}, Disable: off})); got != "L8@2" {
		t.Errorf("any client: %s", got)
	}
}

// TestCorpus lints every corpus dump that loads: no panic, and the
// figures by check for the README.
func TestCorpus(t *testing.T) {
	by := map[string]int{}
	n := 0
	for _, path := range corpus.SaveDumps(t) {
		rs, ok := loadDump(t, path)
		if !ok {
			continue
		}
		n++
		for _, f := range lint.Run(rs, lint.Options{SSH: lint.SSH{Port: 22}}) {
			by[f.Code]++
			if f.Pos.IsZero() {
				t.Errorf("%s: a finding without a position: %s", filepath.Base(path), f)
			}
		}
	}
	var keys []string
	for k := range by {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		return len(keys[i]) < len(keys[j]) || len(keys[i]) == len(keys[j]) && keys[i] < keys[j]
	})
	var s []string
	for _, k := range keys {
		s = append(s, fmt.Sprintf("%s %d", k, by[k]))
	}
	t.Logf("%d dumps: %s", n, strings.Join(s, ", "))
}

// TestTranslateGoldenInputs lints the input of every translate golden
// case, which between them use every match and target kind the model
// has: no panic, every finding positioned.
func TestTranslateGoldenInputs(t *testing.T) {
	files, _ := filepath.Glob("../../testdata/translate/*.txtar")
	if len(files) == 0 {
		t.Fatal("no translate golden cases")
	}
	n := 0
	for _, file := range files {
		a, err := txtar.ParseFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var ins []translate.Input
		for _, f := range a.Files {
			if strings.HasPrefix(f.Name, "in/") {
				ins = append(ins, translate.Input{Name: f.Name, Data: f.Data, Dir: t.TempDir()})
			}
		}
		rs, d := translate.Load(ins, translate.Options{})
		if d.HasErrors() {
			continue
		}
		n++
		for _, f := range lint.Run(rs, lint.Options{SSH: lint.SSH{Port: 22}}) {
			if f.Pos.IsZero() {
				t.Errorf("%s: a finding without a position: %s", filepath.Base(file), f)
			}
		}
	}
	t.Logf("%d of %d cases linted", n, len(files))
}
