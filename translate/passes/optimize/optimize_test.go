package optimize_test

import (
	"testing"

	"github.com/ruleshift/ruleshift/translate"
	"github.com/ruleshift/ruleshift/translate/ir"
	"github.com/ruleshift/ruleshift/translate/passes/optimize"
)

func load(t *testing.T, text string) *ir.Ruleset {
	t.Helper()
	rs, d := translate.Load([]translate.Input{{Name: "r.v4", Data: []byte(text), Dir: "."}}, translate.Options{From: translate.Save})
	if d.HasErrors() {
		t.Fatal(d.Err())
	}
	return rs
}

const dump = `*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -s 10.0.0.1/32 -j DROP
-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT
-A INPUT -s 10.0.0.2/32 -j DROP
-A INPUT -s 192.0.2.0/24 -j DROP
-A INPUT -p udp -m udp --dport 53 -j ACCEPT
-A INPUT -p tcp -m tcp --dport 80 -j ACCEPT
-A INPUT -s 1.1.1.1/32 -j LOG
-A INPUT -s 1.1.1.0/24 -j LOG
COMMIT
`

// The input is never changed; a second run finds nothing more to do.
func TestPureAndStable(t *testing.T) {
	rs, again := load(t, dump), load(t, dump)
	opt, rep := optimize.Ruleset(rs)
	if !ir.Equal(rs, again) {
		t.Fatal("optimize changed its input")
	}
	if rep.Before != 8 || rep.After != 7 {
		t.Errorf("rules %d -> %d, want 8 -> 7\n%v", rep.Before, rep.After, rep.Lines())
	}
	opt2, rep2 := optimize.Ruleset(opt)
	if len(rep2.Merges) != 0 || opt2.RuleCount() != opt.RuleCount() {
		t.Errorf("a second run merged again: %v", rep2.Lines())
	}
}

// The ssh ACCEPT stands between the first and the second DROP: they
// overlap (a tcp packet to port 22 from 10.0.0.2), so the DROP may not
// move up; nor may the port-80 ACCEPT move past the DROPs (a packet from
// 192.0.2.1 to port 80). The two LOGs overlap and do not stop: refused.
func TestRefusals(t *testing.T) {
	_, rep := optimize.Ruleset(load(t, dump))
	want := map[int]string{7: "overlaps and decides otherwise", 10: "overlaps and decides otherwise", 12: "values overlap"}
	got := map[int]string{}
	for _, r := range rep.Refused {
		got[r.Rule.Line] = r.Why
	}
	for line, w := range want {
		if g, ok := got[line]; !ok || !contains(g, w) {
			t.Errorf("line %d: refusal %q, want one saying %q", line, g, w)
		}
	}
}

func contains(s, sub string) bool {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return true
		}
	}
	return false
}
