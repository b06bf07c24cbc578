package optimize_test

import (
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/translate/ir"
	"github.com/ruleshift/ruleshift/translate/passes/optimize"
)

// Each case is a save file and the lines of the rules pruning must
// remove (and only those), with a word each reason must hold.
var pruneCases = []struct {
	name string
	dump string
	want map[int]string
}{
	{"jump to an empty chain", `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:empty - [0:0]
-A INPUT -p tcp -j empty
-A INPUT -s 10.0.0.0/8 -j DROP
COMMIT
`, map[int]string{6: "has no rules"}},
	{"a chain of such jumps empties in turn", `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:outer - [0:0]
:inner - [0:0]
-A INPUT -j outer
-A outer -j inner
-A INPUT -s 10.0.0.0/8 -j DROP
COMMIT
`, map[int]string{7: "outer", 8: "inner"}},
	{"a goto to an empty chain returns: kept", `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:empty - [0:0]
:c - [0:0]
-A INPUT -j c
-A c -p tcp -g empty
-A c -s 10.0.0.0/8 -j DROP
COMMIT
`, nil},
	{"a goto to an empty chain that ends a user chain returns as its end does", `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:empty - [0:0]
:c - [0:0]
-A INPUT -j c
-A INPUT -j DROP
-A c -i eth0 -g empty
-A c -g empty
COMMIT
`, map[int]string{9: "goto to empty", 10: "goto to empty", 7: "a jump to c"}},
	{"a goto to an empty chain that ends a base chain: kept", `*filter
:INPUT DROP [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:empty - [0:0]
-A INPUT -g empty
COMMIT
`, nil},
	{"a jump with a rate limit: kept", `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:empty - [0:0]
-A INPUT -m limit --limit 5/sec -j empty
-A INPUT -m limit --limit 1/sec -j LOG
COMMIT
`, nil},
	{"a jump that sets a recent list: kept", `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:empty - [0:0]
-A INPUT -p tcp -m recent --set --name ssh -j empty
-A INPUT -p tcp -m recent --rcheck --name ssh -j DROP
COMMIT
`, nil},
	{"a duplicate is never reached", `*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -p tcp -m tcp --dport 22 -m conntrack --ctstate NEW -j ACCEPT
-A INPUT -p udp -m udp --dport 53 -j ACCEPT
-A INPUT -p tcp -m tcp --dport 22 -m conntrack --ctstate NEW -j ACCEPT
COMMIT
`, map[int]string{7: "never reached"}},
	{"never reached, by two rules together", `*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -s 10.0.0.0/9 -j ACCEPT
-A INPUT -s 10.128.0.0/9 -j REJECT
-A INPUT -m iprange --src-range 10.127.255.0-10.128.0.255 -j LOG
-A INPUT -s 192.0.2.1/32 -j ACCEPT
COMMIT
`, map[int]string{7: "r.v4:5:1, r.v4:6:1"}},
	{"reached by packets in another ct state: kept", `*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -p tcp -m tcp --dport 22 -m conntrack --ctstate NEW -j ACCEPT
-A INPUT -p tcp -m tcp --dport 22 -j LOG
-A INPUT -s 192.0.2.1/32 -j ACCEPT
COMMIT
`, nil},
	{"covered only by a rule the engine cannot model: kept", `*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -p tcp -m tcp --dport 22 -m limit --limit 5/sec -j ACCEPT
-A INPUT -p tcp -m tcp --dport 22 -j LOG
-A INPUT -s 192.0.2.1/32 -j ACCEPT
COMMIT
`, nil},
	{"a mark change in between: kept", `*mangle
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -m mark --mark 0x1 -j DROP
-A PREROUTING -s 10.0.0.0/8 -j MARK --set-mark 0x1
-A PREROUTING -m mark --mark 0x1 -j LOG
COMMIT
`, nil},
	{"drops before a policy drop decide nothing", `*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -s 10.0.0.0/8 -j DROP
-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT
-A INPUT -s 192.168.0.0/16 -j DROP
COMMIT
`, map[int]string{7: "policy DROP"}},
	{"a drop with a later accept it shares packets with: kept", `*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -s 10.0.0.0/8 -j DROP
-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT
COMMIT
`, nil},
	{"a drop followed by drops that cover it", `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -s 10.1.0.0/16 -j DROP
-A INPUT -s 10.0.0.0/9 -j DROP
-A INPUT -s 10.128.0.0/9 -j DROP
-A INPUT -s 192.0.2.0/24 -j ACCEPT
-A INPUT -j REJECT
COMMIT
`, map[int]string{5: "r.v4:6:1"}},
	{"a logging drop: kept", `*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -s 10.0.0.0/8 -j LOG
COMMIT
`, nil},
	{"a drop before a rate-limited rule: kept", `*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -s 10.0.0.0/8 -j DROP
-A INPUT -p icmp -m limit --limit 1/sec -j ACCEPT
COMMIT
`, nil},
	{"twins: one goes, the other stays", `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -p tcp -m tcp --dport 23 -j DROP
-A INPUT -p tcp -m tcp --dport 23 -j DROP
-A INPUT -p tcp -j ACCEPT
-A INPUT -j REJECT
COMMIT
`, map[int]string{6: "never reached"}},
	{"a user chain: a drop stays, a final return goes", `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:c - [0:0]
-A INPUT -j c
-A INPUT -j DROP
-A c -s 10.0.0.0/8 -j DROP
-A c -s 192.168.0.0/16 -j RETURN
COMMIT
`, map[int]string{9: "RETURN to the caller"}},
}

func TestPrune(t *testing.T) {
	for _, c := range pruneCases {
		t.Run(c.name, func(t *testing.T) {
			rs := load(t, c.dump)
			again := load(t, c.dump)
			opt, rep := optimize.Ruleset(rs)
			if !ir.Equal(rs, again) {
				t.Fatal("optimize changed its input")
			}
			got := map[int]string{}
			for _, r := range rep.Removed {
				got[r.Rule.Line] = r.Why
			}
			if !sameKeys(got, c.want) {
				t.Fatalf("removed lines %v, want %v\n%s", keys(got), keys(c.want), strings.Join(rep.Lines(), "\n"))
			}
			for line, w := range c.want {
				if !strings.Contains(got[line], w) {
					t.Errorf("line %d: %q, want it to say %q", line, got[line], w)
				}
			}
			if n := rs.RuleCount() - len(rep.Removed); opt.RuleCount() > n {
				t.Errorf("%d rules after, more than %d", opt.RuleCount(), n)
			}
		})
	}
}

// Every chain stays declared, the emptied ones too, and --explain names
// each removed rule by its position first.
func TestPruneKeepsChainsAndExplains(t *testing.T) {
	rs := load(t, pruneCases[1].dump)
	opt, rep := optimize.Ruleset(rs)
	for _, name := range []string{"outer", "inner"} {
		c := opt.Table(ir.IPv4, "filter").Chain(name)
		if c == nil || len(c.Rules) != 0 {
			t.Errorf("chain %s: %v, want it declared and empty", name, c)
		}
	}
	lines := rep.Lines()
	if !strings.HasPrefix(lines[0], "r.v4:8:1: removed (") {
		t.Errorf("first line %q", lines[0])
	}
	if last := lines[len(lines)-1]; !strings.Contains(last, "(2 removed)") {
		t.Errorf("summary %q", last)
	}
}

func sameKeys(a, b map[int]string) bool { return reflect.DeepEqual(keys(a), keys(b)) }

func keys(m map[int]string) []int {
	out := []int{}
	for k := range m {
		out = append(out, k)
	}
	sort.Ints(out)
	return out
}
