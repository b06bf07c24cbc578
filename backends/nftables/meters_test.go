package nftables_test

import (
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/backends/nftables"
	"github.com/ruleshift/ruleshift/internal/testenv"
	"github.com/ruleshift/ruleshift/translate"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// renderHashlimit renders an iptables-save text of family fam for nft.
func renderHashlimit(t *testing.T, fam ir.Family, save string) (string, []string) {
	t.Helper()
	rs, d := translate.Load([]translate.Input{{Name: "in", Data: []byte(save)}}, translate.Options{From: translate.Save, Family: fam})
	if d.HasErrors() {
		t.Fatalf("parse: %v", d.Err())
	}
	text, rd := nftables.Render(rs, nftables.Options{NoCounters: true})
	var errs []string
	for _, e := range rd.Errors() {
		errs = append(errs, e.String())
	}
	return text, errs
}

const hlSSH = "-p tcp --dport 22 -m hashlimit --hashlimit-upto 5/min --hashlimit-mode srcip --hashlimit-name ssh"

// TestHashlimitSharedNames: rules sharing a name share one set when their
// parameters agree, and are refused, naming the other rule, when they do
// not or when they sit in two tables of a family.
func TestHashlimitSharedNames(t *testing.T) {
	cases := []struct {
		name, save string
		want       []string // substrings of the output, or of the errors
		errs       bool
	}{
		{"same", "*filter\n-A INPUT " + hlSSH + " -j ACCEPT\n-A OUTPUT " + hlSSH + " -j ACCEPT\nCOMMIT\n",
			[]string{"set ssh { type ipv4_addr; size 65535; flags dynamic,timeout; }", "tcp dport 22 update @ssh { ip saddr timeout 60s limit rate 5/minute burst 5 packets } accept"}, false},
		{"add", "*filter\n-A INPUT " + hlSSH + " --hashlimit-htable-expire 1000 -j ACCEPT\n-A OUTPUT " + hlSSH + " --hashlimit-htable-expire 1000 -j ACCEPT\nCOMMIT\n",
			[]string{"set ssh { type ipv4_addr; size 65535; flags dynamic; }", "tcp dport 22 add @ssh { ip saddr limit rate 5/minute burst 5 packets } accept"}, false},
		{"rate", "*filter\n-A INPUT " + hlSSH + " -j ACCEPT\n-A OUTPUT " + strings.Replace(hlSSH, "5/min", "6/min", 1) + " -j ACCEPT\nCOMMIT\n",
			[]string{`in:3:29: hashlimit name "ssh" cannot be translated to nftables: the rule at in:2:1 uses the same name with a different the rate`}, true},
		{"above", "*filter\n-A INPUT " + hlSSH + " -j ACCEPT\n-A INPUT " + strings.Replace(hlSSH, "upto", "above", 1) + " -j DROP\nCOMMIT\n",
			[]string{`the rule at in:2:1 uses the same name with a different --hashlimit-above`}, true},
		{"mode", "*filter\n-A INPUT " + hlSSH + " -j ACCEPT\n-A INPUT " + strings.Replace(hlSSH, "srcip", "srcip,dstport", 1) + " -j DROP\nCOMMIT\n",
			[]string{`different --hashlimit-mode`}, true},
		{"tables", "*mangle\n-A INPUT " + hlSSH + " -j ACCEPT\nCOMMIT\n*filter\n-A INPUT " + hlSSH + " -j ACCEPT\nCOMMIT\n",
			[]string{`in:5:28: hashlimit name "ssh" cannot be translated to nftables: the mangle table uses the same name (in:2:1)`}, true},
		{"connlimit", "*filter\n-A INPUT -p tcp -m connlimit --connlimit-above 3 -j DROP\n-A INPUT " + strings.Replace(hlSSH, "name ssh", "name connlimit0", 1) + " -j ACCEPT\nCOMMIT\n",
			[]string{"set connlimit1 { type ipv4_addr; flags dynamic; }", "add @connlimit1 {", "meter connlimit0 {"}, false},
		{"anon", "*filter\n-A INPUT " + strings.Replace(hlSSH, "name ssh", "name __set0", 1) + " -j ACCEPT\nCOMMIT\n",
			[]string{"meter hl__set0_meter {"}, false},
		// Names nft cannot parse as a set name are renamed; a renamed
		// name avoids the names the ruleset already uses.
		{"keyword", "*filter\n-A INPUT " + strings.Replace(hlSSH, "name ssh", "name icmp", 1) + " -j ACCEPT\n-A INPUT -p udp -m hashlimit --hashlimit-upto 5/min --hashlimit-mode srcip --hashlimit-name udp_meter -j ACCEPT\n-A INPUT -p udp -m hashlimit --hashlimit-upto 9/min --hashlimit-mode srcip --hashlimit-name udp -j ACCEPT\n-A OUTPUT -p udp -m hashlimit --hashlimit-upto 9/min --hashlimit-mode srcip --hashlimit-name udp -j ACCEPT\nCOMMIT\n",
			[]string{"meter icmp_meter { ip saddr", "meter udp_meter { ip saddr timeout 60s limit rate 5/minute", "set udp_meter_2 {", "update @udp_meter_2 { ip saddr timeout 60s limit rate 9/minute"}, false},
		{"ms", "*filter\n-A INPUT " + hlSSH + " --hashlimit-htable-expire 500 -j ACCEPT\nCOMMIT\n",
			[]string{"meter ssh { ip saddr timeout 500ms limit rate 5/minute burst 5 packets }"}, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			text, errs := renderHashlimit(t, ir.IPv4, c.save)
			got := text
			if c.errs {
				got = strings.Join(errs, "\n")
			} else if len(errs) > 0 {
				t.Fatalf("errors: %v", errs)
			}
			for _, w := range c.want {
				if !strings.Contains(got, w) {
					t.Errorf("missing %q in:\n%s", w, got)
				}
			}
		})
	}
}

// TestHashlimitSharedLoads: nft accepts the shared set, over nft -f and
// over netlink, where two meters of one name are refused.
func TestHashlimitSharedLoads(t *testing.T) {
	testenv.RequireBinary(t, "nft")
	save := "*filter\n-A INPUT " + hlSSH + " --hashlimit-htable-expire 1500 -j ACCEPT\n-A INPUT -p tcp --dport 2222 -m hashlimit --hashlimit-upto 5/min --hashlimit-mode srcip --hashlimit-name ssh --hashlimit-htable-expire 1500 -j ACCEPT\nCOMMIT\n"
	text, errs := renderHashlimit(t, ir.IPv4, save)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	ns := testenv.NewNetns(t, "rs-hl")
	if _, err := ns.Run([]byte(text), "nft", "-f", "-"); err != nil {
		t.Fatalf("nft -f refuses:\n%s\n%v", text, err)
	}
	rs, _ := translate.Load([]translate.Input{{Name: "in", Data: []byte(save)}}, translate.Options{From: translate.Save, Family: ir.IPv4})
	ns2 := testenv.NewNetns(t, "rs-hl")
	res, err := nftables.Apply(rs, nftables.ApplyOptions{NetNS: "/run/netns/" + ns2.Name, NoCounters: true})
	if err != nil {
		t.Fatalf("netlink apply: %v", err)
	}
	if res.Method != "netlink" {
		t.Errorf("method %s, want netlink", res.Method)
	}
	want, _ := ns.Run(nil, "nft", "list", "ruleset")
	got, _ := ns2.Run(nil, "nft", "list", "ruleset")
	if got != want || !strings.Contains(got, "update @ssh { ip saddr timeout 1s500ms limit rate 5/minute }") {
		t.Errorf("listings differ or lack the shared set:\nnft -f:\n%s\nnetlink:\n%s", want, got)
	}
}

// TestHashlimitKeywordNamesLoad: hashlimit names that are nft keywords, as
// in system-config-firewall setups (--hashlimit-name icmp, udp), load over
// nft -f and netlink with the same listing.
func TestHashlimitKeywordNamesLoad(t *testing.T) {
	testenv.RequireBinary(t, "nft")
	save := "*filter\n-A INPUT -p icmp -m hashlimit --hashlimit-upto 30/min --hashlimit-burst 60 --hashlimit-mode srcip --hashlimit-name icmp -j ACCEPT\n" +
		"-A INPUT -p udp -m hashlimit --hashlimit-upto 30/min --hashlimit-mode srcip --hashlimit-name udp -j ACCEPT\n" +
		"-A OUTPUT -p udp -m hashlimit --hashlimit-upto 30/min --hashlimit-mode srcip --hashlimit-name udp -j ACCEPT\nCOMMIT\n"
	text, errs := renderHashlimit(t, ir.IPv4, save)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	ns := testenv.NewNetns(t, "rs-hlk")
	if _, err := ns.Run([]byte(text), "nft", "-f", "-"); err != nil {
		t.Fatalf("nft -f refuses:\n%s\n%v", text, err)
	}
	rs, _ := translate.Load([]translate.Input{{Name: "in", Data: []byte(save)}}, translate.Options{From: translate.Save, Family: ir.IPv4})
	ns2 := testenv.NewNetns(t, "rs-hlk")
	if _, err := nftables.Apply(rs, nftables.ApplyOptions{NetNS: "/run/netns/" + ns2.Name, NoCounters: true}); err != nil {
		t.Fatalf("netlink apply: %v", err)
	}
	want, _ := ns.Run(nil, "nft", "list", "ruleset")
	got, _ := ns2.Run(nil, "nft", "list", "ruleset")
	if got != want || !strings.Contains(got, "meter icmp_meter") || !strings.Contains(got, "@udp_meter") {
		t.Errorf("listings differ or lack the renamed meters:\nnft -f:\n%s\nnetlink:\n%s", want, got)
	}
}

// TestChainNamesDistinct: chains whose nft names would collide once
// renamed ("reject" becomes reject_chain, which another chain already
// is) get distinct names.
func TestChainNamesDistinct(t *testing.T) {
	tb := &ir.Table{Family: ir.IPv4, Name: "filter"}
	for _, n := range []string{"reject", "reject_chain", "reject~chain", "dynamic", "counter"} {
		tb.Chains = append(tb.Chains, &ir.Chain{Name: n})
	}
	seen := map[string]string{}
	for orig, n := range nftables.ChainNames(tb, nil) {
		if o, dup := seen[n]; dup {
			t.Errorf("chains %q and %q are both named %q", o, orig, n)
		}
		seen[n] = orig
	}
}

// TestRecentRefusalNamesTheCommand: a --set line is refused for what its
// list is used for, not for options it does not have.
func TestRecentRefusalNamesTheCommand(t *testing.T) {
	save := "*filter\n-A INPUT -p tcp --dport 22 -m recent --name ssh --set\n-A INPUT -p tcp --dport 22 -m recent --name ssh --update --seconds 60 --hitcount 4 -j DROP\nCOMMIT\n"
	_, errs := renderHashlimit(t, ir.IPv4, save)
	want := []string{
		`in:2:28: -m recent --set cannot be translated to nftables: the list "ssh" it keeps holds the times of each address's hits, which --rcheck and --update read and nft sets do not keep; use a dynamic set with a meter instead [unsupported]`,
		`in:3:28: -m recent cannot be translated to nftables: nft sets have no per-address hit counts or timestamps lists (--hitcount, --seconds, --rttl); use a dynamic set with a meter instead [unsupported]`,
	}
	if strings.Join(errs, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(errs, "\n"), strings.Join(want, "\n"))
	}
}
