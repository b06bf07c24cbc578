package passes

import (
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/translate/ir"
)

// rawTable is the raw table of iptables-save lines (chain declarations
// and rules after the built-in chains'), on IPv4.
func rawTable(t *testing.T, lines ...string) *ir.Table {
	t.Helper()
	text := "*raw\n:PREROUTING ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\n" + strings.Join(lines, "\n") + "\nCOMMIT\n"
	return load(t, ir.IPv4, text).Tables[0]
}

// mirrorDump is the dump of the chains CtMirror added to t.
func mirrorDump(t, mt *ir.Table) string {
	extra := &ir.Table{Family: mt.Family, Name: mt.Name, Chains: mt.Chains[len(t.Chains):]}
	d := ir.Dump(&ir.Ruleset{Tables: []*ir.Table{extra}})
	return strings.TrimPrefix(d, "table ip raw\n")
}

func TestCtMirror(t *testing.T) {
	cases := []struct {
		name  string
		lines []string
		names map[string]string
		want  string // the mirror chains' dump; "" for none
		err   string // the diagnostics, sorted
	}{
		{name: "helper", lines: []string{"-A PREROUTING -p tcp --dport 21 -j CT --helper ftp"}, want: `
  chain PREROUTING_ct (filter prerouting -199 policy ACCEPT, mirror of PREROUTING)
    rules:2:1: conntrack{Status:8 StatusSet:true} -> verdict{Kind:ACCEPT}
    rules:4:1: protocol{Num:6} tcp{DstPorts:21} -> cttarget{Helper:"ftp"}
`},
		{name: "events in OUTPUT", lines: []string{"-A OUTPUT -p udp -j CT --ctevents new,mark"}, want: `
  chain OUTPUT_ct (filter output -199 policy ACCEPT, mirror of OUTPUT)
    rules:3:1: conntrack{Status:8 StatusSet:true} -> verdict{Kind:ACCEPT}
    rules:4:1: protocol{Num:17} -> cttarget{CtEvents:new,mark}
`},
		// Only the flow up to the last CT rule is mirrored: not the LOG,
		// MARK and NOTRACK, nor the state match after the last CT rule.
		// Verdicts and jumps stay, with comments left out.
		{name: "flow", lines: []string{":U - [0:0]",
			"-A PREROUTING -s 10.0.0.0/8 -m comment --comment bogons -j DROP",
			"-A PREROUTING -p tcp -j U",
			"-A PREROUTING -j LOG",
			"-A PREROUTING -p udp --dport 69 -j CT --helper tftp",
			"-A PREROUTING -m state --state NEW -j ACCEPT",
			"-A U -i lo -j RETURN",
			"-A U -j MARK --set-mark 1",
			"-A U -p tcp --dport 21 -j CT --helper ftp",
			"-A U -j NOTRACK"}, want: `
  chain PREROUTING_ct (filter prerouting -199 policy ACCEPT, mirror of PREROUTING)
    rules:2:1: conntrack{Status:8 StatusSet:true} -> verdict{Kind:ACCEPT}
    rules:5:1: addr{Dir:src Net:10.0.0.0/8} -> verdict{Kind:DROP}
    rules:6:1: protocol{Num:6} -> jump{Chain:"U_ct"}
    rules:8:1: protocol{Num:17} udp{DstPorts:69} -> cttarget{Helper:"tftp"}
  chain U_ct (user, mirror of U)
    rules:10:1: iface{Dir:src Name:"lo"} -> verdict{Kind:RETURN}
    rules:12:1: protocol{Num:6} tcp{DstPorts:21} -> cttarget{Helper:"ftp"}
    rules:13:1: -> verdict{Kind:ACCEPT}
`},
		// A jump to a chain that always returns changes no flow; NFQUEUE
		// ends the raw table, like ACCEPT. After a goto's last CT rule
		// nothing can follow: W's CT --zone is left out.
		{name: "targets", lines: []string{":V - [0:0]", ":W - [0:0]",
			"-A OUTPUT -j V",
			"-A OUTPUT -p icmp -j DROP",
			"-A OUTPUT -p udp -j NFQUEUE --queue-num 3",
			"-A OUTPUT -g W",
			"-A V -j LOG",
			"-A W -p tcp --dport 21 -j CT --helper ftp",
			"-A W -j CT --zone 3"}, want: `
  chain OUTPUT_ct (filter output -199 policy ACCEPT, mirror of OUTPUT)
    rules:3:1: conntrack{Status:8 StatusSet:true} -> verdict{Kind:ACCEPT}
    rules:7:1: protocol{Num:1} -> verdict{Kind:DROP}
    rules:8:1: protocol{Num:17} -> verdict{Kind:ACCEPT}
    rules:9:1: -> jump{Chain:"W_ct" Goto:true}
  chain W_ct (user, mirror of W)
    rules:11:1: protocol{Num:6} tcp{DstPorts:21} -> cttarget{Helper:"ftp"}
`},
		// Mirror chains are named after the backend's names, avoiding
		// every name of the table in either form.
		{name: "names", lines: []string{":dynamic - [0:0]", ":U - [0:0]", ":U_ct - [0:0]",
			"-A PREROUTING -j dynamic",
			"-A PREROUTING -j U",
			"-A dynamic -p tcp -j CT --helper ftp",
			"-A U -p udp -j CT --helper tftp",
			"-A U_ct -j ACCEPT"},
			names: map[string]string{"PREROUTING": "PREROUTING", "OUTPUT": "OUTPUT", "dynamic": "dynamic_chain", "U": "U", "U_ct": "U_ct"}, want: `
  chain PREROUTING_ct (filter prerouting -199 policy ACCEPT, mirror of PREROUTING)
    rules:2:1: conntrack{Status:8 StatusSet:true} -> verdict{Kind:ACCEPT}
    rules:7:1: -> jump{Chain:"dynamic_chain_ct"}
    rules:8:1: -> jump{Chain:"U_ct_2"}
  chain dynamic_chain_ct (user, mirror of dynamic)
    rules:9:1: protocol{Num:6} -> cttarget{Helper:"ftp"}
  chain U_ct_2 (user, mirror of U)
    rules:10:1: protocol{Num:17} -> cttarget{Helper:"tftp"}
`},
		// X is not reached: that a CT rule follows its jump to U does not
		// bring U's ACCEPT into the mirror.
		{name: "unreached caller", lines: []string{":U - [0:0]", ":X - [0:0]",
			"-A PREROUTING -j U",
			"-A X -j U",
			"-A X -p tcp -j CT --helper irc",
			"-A U -p udp -j CT --helper tftp",
			"-A U -s 192.0.2.1 -j ACCEPT"}, want: `
  chain PREROUTING_ct (filter prerouting -199 policy ACCEPT, mirror of PREROUTING)
    rules:2:1: conntrack{Status:8 StatusSet:true} -> verdict{Kind:ACCEPT}
    rules:6:1: -> jump{Chain:"U_ct"}
  chain U_ct (user, mirror of U)
    rules:9:1: protocol{Num:17} -> cttarget{Helper:"tftp"}
`},
		{name: "no helper", lines: []string{"-A PREROUTING -p tcp -j CT --zone 4", "-A OUTPUT -j NOTRACK"}},
		{name: "state on path", lines: []string{"-A PREROUTING -m state --state INVALID -j ACCEPT", "-A PREROUTING -p tcp -j CT --helper ftp"},
			want: `
  chain PREROUTING_ct (filter prerouting -199 policy ACCEPT, mirror of PREROUTING)
    rules:2:1: conntrack{Status:8 StatusSet:true} -> verdict{Kind:ACCEPT}
    rules:5:1: protocol{Num:6} -> cttarget{Helper:"ftp"}
`,
			err: "rules:4:15: -m state on the path to a CT --helper or --ctevents rule cannot be translated to nftables: iptables' raw table evaluates it before conntrack (priority -300), where the packet has no connection, and nft can assign helpers and events only after conntrack (-199), where it has one"},
		{name: "limit on path", lines: []string{"-A PREROUTING -p tcp -m limit --limit 1/sec -j CT --helper ftp"},
			want: `
  chain PREROUTING_ct (filter prerouting -199 policy ACCEPT, mirror of PREROUTING)
    rules:2:1: conntrack{Status:8 StatusSet:true} -> verdict{Kind:ACCEPT}
`,
			err: "rules:4:22: -m limit on the path to a CT --helper or --ctevents rule cannot be translated to nftables: it keeps state per rule (a token bucket, a quota, a counter or a random draw), so evaluating it again after conntrack can give another answer"},
		{name: "mark after MARK", lines: []string{"-A PREROUTING -j MARK --set-mark 1", "-A PREROUTING -m mark --mark 1 -j RETURN", "-A PREROUTING -p tcp -j CT --helper ftp"},
			want: `
  chain PREROUTING_ct (filter prerouting -199 policy ACCEPT, mirror of PREROUTING)
    rules:2:1: conntrack{Status:8 StatusSet:true} -> verdict{Kind:ACCEPT}
    rules:6:1: protocol{Num:6} -> cttarget{Helper:"ftp"}
`,
			err: "rules:5:15: -m mark on the path to a CT --helper or --ctevents rule cannot be translated to nftables: a raw rule sets the packet mark, and after conntrack the match would see the mark the whole raw table left, not the mark at this rule"},
		// Without a MARK in the raw table, the mark is the same after
		// conntrack.
		{name: "mark", lines: []string{"-A PREROUTING -m mark --mark 1 -j RETURN", "-A PREROUTING -p tcp -j CT --helper ftp"},
			want: `
  chain PREROUTING_ct (filter prerouting -199 policy ACCEPT, mirror of PREROUTING)
    rules:2:1: conntrack{Status:8 StatusSet:true} -> verdict{Kind:ACCEPT}
    rules:4:1: mark{Value:1 Mask:4294967295} -> verdict{Kind:RETURN}
    rules:5:1: protocol{Num:6} -> cttarget{Helper:"ftp"}
`},
	}
	for _, c := range cases {
		tb := rawTable(t, c.lines...)
		before := ir.Dump(&ir.Ruleset{Tables: []*ir.Table{tb}})
		mt, d := CtMirror(tb, c.names)
		if got := joined(d); got != c.err {
			t.Errorf("%s: diagnostics:\n got %s\nwant %s", c.name, got, c.err)
		}
		if after := ir.Dump(&ir.Ruleset{Tables: []*ir.Table{tb}}); after != before {
			t.Errorf("%s: the pass changed its input:\n%s", c.name, after)
		}
		if c.want == "" {
			if mt != tb {
				t.Errorf("%s: got mirror chains, want the table itself:\n%s", c.name, mirrorDump(tb, mt))
			}
			continue
		}
		if got := "\n" + mirrorDump(tb, mt); got != c.want {
			t.Errorf("%s: mirror chains:\n got %s\nwant %s", c.name, got, c.want)
		}
		for i, ch := range tb.Chains {
			if mt.Chains[i] != ch {
				t.Errorf("%s: chain %s is not shared with the input", c.name, ch.Name)
			}
		}
	}
}

// TestCtMirrorOtherTables leaves every table but raw alone: a CT target
// elsewhere is the backend's error to report.
func TestCtMirrorOtherTables(t *testing.T) {
	tb := rawTable(t, "-A PREROUTING -p tcp -j CT --helper ftp")
	tb.Name = "mangle"
	if mt, d := CtMirror(tb, nil); mt != tb || len(d.Items) != 0 {
		t.Errorf("mangle table: got %d chains, %v", len(mt.Chains), d.Items)
	}
}

// TestCtMirrorUnknownTarget refuses a target whose effect on the raw
// table's flow the pass does not know, on the path to a CT rule.
func TestCtMirrorUnknownTarget(t *testing.T) {
	tb := rawTable(t, "-A PREROUTING -p tcp -j CT --helper ftp")
	pre := tb.Chains[0]
	pre.Rules = append([]*ir.Rule{{Target: &ir.SynProxy{}, Src: ir.Pos{File: "rules", Line: 9, Col: 1}}}, pre.Rules...)
	mt, d := CtMirror(tb, nil)
	want := "rules:9:1: target SYNPROXY on the path to a CT --helper or --ctevents rule cannot be translated to nftables: ruleshift does not know how it ends the raw table's evaluation"
	if got := joined(d); got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
	if n := len(mt.Chains[len(tb.Chains)].Rules); n != 2 {
		t.Errorf("mirror has %d rules, want the confirmed accept and the CT rule", n)
	}
}

func TestCtAssigns(t *testing.T) {
	for _, c := range []struct {
		t    ir.Target
		want bool
	}{
		{&ir.CtTarget{Helper: "ftp"}, true},
		{&ir.CtTarget{CtEvents: 1}, true},
		{&ir.CtTarget{Zone: 3}, false},
		{&ir.CtTarget{NoTrack: true, Helper: "ftp"}, false},
		{&ir.Verdict{Kind: ir.Accept}, false},
		{nil, false},
	} {
		if _, got := CtAssigns(c.t); got != c.want {
			t.Errorf("CtAssigns(%#v) = %v, want %v", c.t, got, c.want)
		}
	}
}
