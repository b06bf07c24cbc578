package ufw

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/backends"
	"github.com/ruleshift/ruleshift/translate/ir"
)

func tcpRule(port uint16, verdict ir.VerdictKind, extra ...ir.Match) *ir.Rule {
	ms := append([]ir.Match{&ir.Protocol{Num: 6}, &ir.TCP{DstPorts: &ir.PortRange{Lo: port, Hi: port}}}, extra...)
	return &ir.Rule{Matches: ms, Target: &ir.Verdict{Kind: verdict}}
}

func filter(f ir.Family, pol ir.Policy, rules ...*ir.Rule) *ir.Ruleset {
	in := &ir.Chain{Name: "INPUT", Base: &ir.BaseChain{Hook: ir.HookInput, Policy: pol}, Rules: rules}
	return &ir.Ruleset{Tables: []*ir.Table{{Family: f, Name: "filter", Chains: []*ir.Chain{in}}}}
}

// TestTupleLines checks tuples and their expansions against lines ufw
// 0.36.2 wrote (docs/ufw.md §1.5).
func TestTupleLines(t *testing.T) {
	deny := &ir.Rule{Matches: []ir.Match{
		&ir.Addr{Dir: ir.Src, Net: netip.MustParsePrefix("10.0.0.0/8")}, &ir.Addr{Dir: ir.Dst, Net: netip.MustParsePrefix("192.168.0.1/32")},
		&ir.Protocol{Num: 6}, &ir.TCP{DstPorts: &ir.PortRange{Lo: 25, Hi: 25}}}, Target: &ir.Verdict{Kind: ir.Drop}}
	web := &ir.Rule{Matches: []ir.Match{&ir.Protocol{Num: 6}, &ir.Multiport{Dir: ir.Dst, Ports: []ir.PortRange{{Lo: 8080, Hi: 8090}, {Lo: 443, Hi: 443}, {Lo: 80, Hi: 80}}},
		&ir.Comment{Text: "web app"}}, Target: &ir.Verdict{Kind: ir.Accept}}
	for _, c := range []struct {
		r     *ir.Rule
		chain string
		want  string
	}{
		{deny, "INPUT", "### tuple ### deny tcp 25 192.168.0.1 any 10.0.0.0/8 in\n-A ufw-user-input -p tcp -d 192.168.0.1 --dport 25 -s 10.0.0.0/8 -j DROP"},
		{web, "INPUT", "### tuple ### allow tcp 80,443,8080:8090 0.0.0.0/0 any 0.0.0.0/0 in comment=77656220617070\n-A ufw-user-input -p tcp -m multiport --dports 80,443,8080:8090 -j ACCEPT"},
	} {
		tp, why := toTuple(c.r, c.chain, ir.IPv4, func(ir.CtState, bool) bool { return false })
		if tp == nil {
			t.Fatalf("no tuple: %s", why)
		}
		if got := tp.line() + "\n" + strings.Join(tp.expansion(), "\n"); got != c.want {
			t.Errorf("got\n%s\nwant\n%s", got, c.want)
		}
	}
}

// TestSplit checks the one run: the longest, ended by a rule of an equal
// ufw key, with a NEW match dropped only after ESTABLISHED, RELATED and
// INVALID are decided.
func TestSplit(t *testing.T) {
	est := &ir.Rule{Matches: []ir.Match{&ir.State{States: ir.CtEstablished | ir.CtRelated}}, Target: &ir.Verdict{Kind: ir.Accept}}
	inv := &ir.Rule{Matches: []ir.Match{&ir.State{States: ir.CtInvalid}}, Target: &ir.Verdict{Kind: ir.Drop}}
	newSSH := tcpRule(22, ir.Accept, &ir.State{States: ir.CtNew})
	rs := filter(ir.IPv4, ir.PolicyDrop, est, inv, newSSH, tcpRule(80, ir.Accept), tcpRule(22, ir.Drop), tcpRule(81, ir.Accept), tcpRule(82, ir.Accept), tcpRule(83, ir.Accept))
	l := layoutFamily(rs, ir.IPv4)
	s := l.segs["INPUT"]
	// The NEW rule is a tuple, but the second port-22 rule has its key:
	// the longest run starts after it, at port 80.
	if len(s.before) != 3 || len(s.tuples) != 5 || len(s.after) != 0 || s.tuples[1].action != "deny" {
		t.Errorf("before %d tuples %d after %d, want 3 5 0", len(s.before), len(s.tuples), len(s.after))
	}
	rs = filter(ir.IPv4, ir.PolicyDrop, est, newSSH)
	if l := layoutFamily(rs, ir.IPv4); len(l.segs["INPUT"].tuples) != 0 {
		t.Errorf("NEW kept as a tuple although INVALID was not decided")
	}
	if why := layoutFamily(rs, ir.IPv4).notTuple[newSSH]; why != "state match not provably redundant" {
		t.Errorf("reason %q", why)
	}
}

// TestFold checks that a last unconditional verdict becomes the policy.
func TestFold(t *testing.T) {
	rs := filter(ir.IPv4, ir.PolicyAccept, tcpRule(22, ir.Accept), &ir.Rule{Target: &ir.Reject{With: ir.RejectPortUnreach}})
	s := layoutFamily(rs, ir.IPv4).segs["INPUT"]
	if s.policy != "REJECT" || len(s.tuples) != 1 {
		t.Errorf("policy %s, %d tuples", s.policy, len(s.tuples))
	}
}

// TestRenderFiles checks which files Render writes.
func TestRenderFiles(t *testing.T) {
	b := backends.Lookup("ufw")
	files, d := b.Render(filter(ir.IPv6, ir.PolicyDrop, tcpRule(22, ir.Accept)), backends.RenderOptions{Params: map[string]string{ParamLogLevel: "off"}})
	if d.HasErrors() {
		t.Fatal(d.Items)
	}
	var names []string
	for _, f := range files {
		names = append(names, f.Name)
	}
	if got := strings.Join(names, " "); got != "before6.rules user6.rules after6.rules ufw.defaults" {
		t.Errorf("files %s", got)
	}
	if u := files[1].Text; !strings.Contains(u, "-I ufw6-user-logging-input -j RETURN\n") || strings.Contains(u, "LIMIT BLOCK") {
		t.Errorf("user6.rules at level off:\n%s", u)
	}
	if _, d := b.Render(&ir.Ruleset{}, backends.RenderOptions{Params: map[string]string{ParamLogLevel: "loud"}}); !d.HasErrors() {
		t.Errorf("a bad log level renders")
	}
	// Never Apply here without a Root: that is the machine's /etc/ufw
	// (apply_test.go applies under a root of its own). ufw-commands loads
	// nothing, and says so before it looks at any file.
	if _, err := backends.Lookup("ufw-commands").Apply(context.Background(), &ir.Ruleset{}, backends.ApplyOptions{Root: t.TempDir()}); err == nil {
		t.Errorf("the ufw-commands backend applies")
	}
}
