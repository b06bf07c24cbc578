package passes

import (
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/translate/ir"
)

func TestRun(t *testing.T) {
	rs := load(t, ir.IPv4, `*filter
:INPUT ACCEPT [0:0]
:a - [0:0]
:b - [0:0]
:orphan - [0:0]
:orphankid - [0:0]
:x - [0:0]
:y - [0:0]
-A INPUT -j a
-A a -j b
-A b -p tcp -j a
-A orphan -j orphankid
-A x -j y
-A y -j x
COMMIT
*nat
:POSTROUTING ACCEPT [0:0]
:PREROUTING ACCEPT [0:0]
:masq - [0:0]
-A PREROUTING -j masq
-A POSTROUTING -j masq
-A masq -j MASQUERADE
COMMIT
`)
	got := joined(Run(rs, Options{}))
	want := strings.Join([]string{
		"rules:5:1: warning: chain orphan is never jumped to [unreachable]",
		"rules:6:1: warning: chain orphankid is jumped to only from chains no built-in chain reaches [unreachable]",
		"rules:10:1: jump loop a -> b -> a: the kernel refuses a loop that a built-in chain reaches (\"too many levels of symbolic links\"; nf_tables: \"too many links\") [kernel-check]",
		"rules:13:1: warning: jump loop x -> y -> x: no built-in chain reaches it yet, but the kernel refuses the table once one does [unreachable]",
		"rules:22:1: target MASQUERADE is valid only from POSTROUTING, but chain masq is reached from PREROUTING (PREROUTING -> masq) (the kernel refuses the table) [kernel-check]",
	}, "\n")
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestRunDepth(t *testing.T) {
	text := func(n int) string {
		var b strings.Builder
		b.WriteString("*filter\n:INPUT ACCEPT [0:0]\n")
		for i := 1; i <= n; i++ {
			b.WriteString(":c" + string(rune('a'+i)) + " - [0:0]\n")
		}
		b.WriteString("-A INPUT -j cb\n")
		for i := 1; i < n; i++ {
			b.WriteString("-A c" + string(rune('a'+i)) + " -g c" + string(rune('a'+i+1)) + "\n")
		}
		b.WriteString("COMMIT\n")
		return b.String()
	}
	ok := load(t, ir.IPv4, text(NFTMaxJumpDepth))
	if d := Run(ok, Options{MaxJumpDepth: NFTMaxJumpDepth}); len(d.Items) != 0 {
		t.Errorf("depth %d: %s", NFTMaxJumpDepth, joined(d))
	}
	deep := load(t, ir.IPv4, text(NFTMaxJumpDepth+1))
	d := Run(deep, Options{MaxJumpDepth: NFTMaxJumpDepth})
	if want := "rules:18:1: chain cq is nested 16 jumps deep: nf_tables refuses more than 15 (too many links) [kernel-check]"; joined(d) != want {
		t.Errorf("got %s, want %s", joined(d), want)
	}
	d = Run(deep, Options{})
	if d.HasErrors() || len(d.Items) != 1 || !strings.Contains(joined(d), "warning: chain cq is nested 16 jumps deep: nftables and iptables-nft refuse more than 15 (iptables-legacy loads it)") {
		t.Errorf("default options: %s", joined(d))
	}
}

func TestNormalize(t *testing.T) {
	rs := load(t, ir.IPv4, `*filter
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT
-A INPUT -m conntrack --ctstate NEW -m state ! --state INVALID -j ACCEPT
-A OUTPUT -j ACCEPT
COMMIT
`)
	before := ir.Dump(rs)
	out := Normalize(rs)
	if ir.Dump(rs) != before {
		t.Fatal("Normalize changed its input")
	}
	in := out.Tables[0].Chain("INPUT")
	c0, ok := in.Rules[0].Matches[0].(*ir.Conntrack)
	if !ok || c0.State == nil || c0.State.Neg || c0.State.States != ir.CtRelated|ir.CtEstablished || *c0 != (ir.Conntrack{State: c0.State}) {
		t.Errorf("rule 1: %#v", in.Rules[0].Matches[0])
	}
	c1, ok := in.Rules[1].Matches[1].(*ir.Conntrack)
	if !ok || !c1.State.Neg || c1.State.States != ir.CtInvalid {
		t.Errorf("rule 2: %#v", in.Rules[1].Matches[1])
	}
	if in.Rules[0].Src != rs.Tables[0].Chain("INPUT").Rules[0].Src {
		t.Error("position lost")
	}
	// Unchanged nodes are shared, not copied.
	if out.Tables[0].Chain("OUTPUT") != rs.Tables[0].Chain("OUTPUT") {
		t.Error("unchanged chain copied")
	}
	if Normalize(out).Tables[0] != out.Tables[0] {
		t.Error("normalising twice copied the table")
	}
}
