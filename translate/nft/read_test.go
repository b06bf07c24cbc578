package nft_test

import (
	"os"
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/backends/iptables"
	"github.com/ruleshift/ruleshift/translate/ir"
	"github.com/ruleshift/ruleshift/translate/nft"
)

func readFile(t *testing.T, name string) *ir.Ruleset {
	t.Helper()
	data, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	rs := &ir.Ruleset{}
	if d := nft.ReadJSON(rs, name, data); d.HasErrors() {
		t.Fatalf("%v", d.Err())
	}
	return rs
}

func render(t *testing.T, rs *ir.Ruleset, f ir.Family) string {
	t.Helper()
	out, d := iptables.Render(rs, f, iptables.Legacy, iptables.Options{})
	if d.HasErrors() {
		t.Fatalf("%s: %v", f, d.Err())
	}
	return out
}

// TestInetSplit checks how an inet table is read: one ipv4 and one ipv6
// table of the same name (iptables has no mixed family), each with the
// rules that do not need the other family; an icmpx reject takes each
// family's form; a negated interval set is a negated range; a named set
// expands into one rule per element; the table and chain take iptables'
// names as their hook and priority are filter INPUT's.
func TestInetSplit(t *testing.T) {
	rs := readFile(t, "testdata/inet.json")
	v4, v6 := render(t, rs, ir.IPv4), render(t, rs, ir.IPv6)
	for _, want := range []string{
		"-A INPUT -p tcp -m iprange ! --src-range 10.1.0.0-10.2.255.255 -m tcp --sport 1024:65535 --dport 22 -j ACCEPT\n",
		"-A INPUT -s 10.0.0.1/32 -j DROP\n-A INPUT -s 10.0.0.2/32 -j DROP\n",
		"-A INPUT -j REJECT --reject-with icmp-port-unreachable\n",
		"-A INPUT -p tcp -m tcp --dport 25 -j REJECT --reject-with tcp-reset\n",
	} {
		if !strings.Contains(v4, want) {
			t.Errorf("ipv4: no %q in\n%s", want, v4)
		}
	}
	for _, want := range []string{
		"-A INPUT -p udp -m udp --dport 546 -j ACCEPT\n",
		"-A INPUT -j REJECT --reject-with icmp6-port-unreachable\n",
		"-A INPUT -p tcp -m tcp --dport 25 -j REJECT --reject-with tcp-reset\n",
	} {
		if !strings.Contains(v6, want) {
			t.Errorf("ipv6: no %q in\n%s", want, v6)
		}
	}
	if strings.Contains(v4, "546") || strings.Contains(v6, "10.0.0") {
		t.Errorf("a rule of one family in the other:\n%s\n%s", v4, v6)
	}
	if n := strings.Count(v4, "-A "); n != 5 {
		t.Errorf("ipv4: %d rules, want 5", n)
	}
	// Positions are the file and the rule's handle.
	r := rs.Table(ir.IPv4, "filter").Chain("INPUT").Rules[1]
	if got := r.Src.String(); got != "testdata/inet.json:handle:5" {
		t.Errorf("position %s, want testdata/inet.json:handle:5", got)
	}
}

// TestRefused checks that what the reader does not take is an error at
// the rule, naming table, chain and handle, and that no rule of the
// table is dropped quietly: the whole input fails.
func TestRefused(t *testing.T) {
	for _, c := range []struct{ name, json, want string }{
		{"statement", `{"nftables":[{"table":{"family":"ip","name":"x","handle":1}},{"chain":{"family":"ip","table":"x","name":"c","handle":1}},
			{"rule":{"family":"ip","table":"x","chain":"c","handle":7,"expr":[{"queue":{"num":1}}]}}]}`,
			`f.json:handle:7: table ip x, chain c, rule handle 7: cannot read the nftables statement {"queue":{"num":1}}`},
		{"match", `{"nftables":[{"rule":{"family":"ip6","table":"x","chain":"c","handle":3,"expr":[{"match":{"op":"==","left":{"payload":{"protocol":"ip6","field":"flowlabel"}},"right":1}},{"accept":null}]}}]}`,
			`f.json:handle:3: table ip6 x, chain c, rule handle 3: cannot read a match on ip6 flowlabel`},
		{"family", `{"nftables":[{"table":{"family":"bridge","name":"b","handle":2}}]}`,
			`f.json:handle:2: table bridge b: family bridge has no iptables counterpart`},
		{"object", `{"nftables":[{"map":{"family":"ip","table":"x","name":"m","handle":4}}]}`,
			`f.json:handle:4: table ip x: map "m": ruleshift reads no nftables map objects`},
		{"two targets", `{"nftables":[{"rule":{"family":"ip","table":"x","chain":"c","handle":5,"expr":[{"accept":null},{"drop":null}]}}]}`,
			`rule handle 5: a second action DROP after ACCEPT`},
		{"match after action", `{"nftables":[{"rule":{"family":"ip","table":"x","chain":"c","handle":8,"expr":[{"log":{}},{"match":{"op":"==","left":{"payload":{"protocol":"tcp","field":"dport"}},"right":22}},{"drop":null}]}}]}`,
			`rule handle 8: a match after the action LOG`},
		{"limit with two actions", `{"nftables":[{"rule":{"family":"ip","table":"x","chain":"c","handle":9,"expr":[{"limit":{"rate":1,"per":"second"}},{"log":{}},{"drop":null}]}}]}`,
			`rule handle 9: a limit with several actions (LOG before DROP)`},
		{"other family", `{"nftables":[{"rule":{"family":"ip","table":"x","chain":"c","handle":6,"expr":[{"match":{"op":"==","left":{"payload":{"protocol":"ip6","field":"saddr"}},"right":"::1"}}]}}]}`,
			`rule handle 6: a match of the other family`},
		{"limit with a set", `{"nftables":[{"rule":{"family":"ip","table":"x","chain":"c","handle":10,"expr":[{"match":{"op":"==","left":{"payload":{"protocol":"ip","field":"saddr"}},"right":{"set":["10.0.0.1","10.0.0.2"]}}},{"limit":{"rate":1,"per":"second"}},{"accept":null}]}}]}`,
			`rule handle 10: a limit in a rule with a set`},
		{"not json", `{"nftables": [`, `f.json:1:1: not nft JSON output`},
	} {
		rs := &ir.Ruleset{}
		d := nft.ReadJSON(rs, "f.json", []byte(c.json))
		if !d.HasErrors() || !strings.Contains(d.Err().Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.name, d.Err(), c.want)
		}
	}
}

// TestIPTablesNFT reads what iptables-nft 1.8.9 wrote for a small save
// file (testdata/iptables-nft.json): its native expressions are read, and
// each rule with an xtables match or target, whose options nft's JSON
// does not list, is an error that says to read the table with
// iptables-nft-save.
func TestIPTablesNFT(t *testing.T) {
	data, err := os.ReadFile("testdata/iptables-nft.json")
	if err != nil {
		t.Fatal(err)
	}
	rs := &ir.Ruleset{}
	d := nft.ReadJSON(rs, "iptables-nft.json", data)
	errs := d.Errors()
	if len(errs) != 8 {
		t.Fatalf("%d errors, want one per rule with an xt expression (8): %v", len(errs), d.Err())
	}
	for _, e := range errs {
		if !strings.Contains(e.Msg, "iptables-nft-save") || !strings.Contains(e.Msg, "rule handle") {
			t.Errorf("%s", e)
		}
	}
	// The native expressions read as iptables wrote them (the reading of
	// a ruleset with errors is used here only to look at those rules).
	data2 := []byte(strings.NewReplacer(`{"xt": {"type": "match", "name": "conntrack"}}`, `{"counter": null}`).Replace(string(data)))
	rs2 := &ir.Ruleset{}
	nft.ReadJSON(rs2, "x", data2)
	ft := rs2.Table(ir.IPv4, "filter")
	if ft == nil || len(ft.Chain("INPUT").Rules) < 4 {
		t.Fatalf("filter INPUT not read: %+v", ft)
	}
	out := render(t, rs2, ir.IPv4)
	for _, want := range []string{":INPUT DROP", "-A INPUT -i lo -j ACCEPT\n", "-A INPUT -p tcp -m tcp --dport 22 -j ACCEPT\n", "-A INPUT -s 10.0.0.0/8 -p udp -m udp --dport 53 -j ACCEPT\n", "-A INPUT -j LOGDROP\n", "-A LOGDROP -j DROP\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}
}

// TestLogThenVerdict checks that "log … drop" is a LOG rule and a DROP
// rule with the same matches, in that order.
func TestLogThenVerdict(t *testing.T) {
	js := `{"nftables":[{"chain":{"family":"ip","table":"filter","name":"INPUT","handle":1,"type":"filter","hook":"input","prio":0,"policy":"accept"}},
		{"rule":{"family":"ip","table":"filter","chain":"INPUT","handle":2,"expr":[{"match":{"op":"==","left":{"payload":{"protocol":"tcp","field":"dport"}},"right":23}},{"counter":null},{"log":{"prefix":"telnet: "}},{"drop":null}]}}]}`
	rs := &ir.Ruleset{}
	if d := nft.ReadJSON(rs, "x.json", []byte(js)); d.HasErrors() {
		t.Fatal(d.Err())
	}
	want := "-A INPUT -p tcp -m tcp --dport 23 -j LOG --log-prefix \"telnet: \"\n-A INPUT -p tcp -m tcp --dport 23 -j DROP\n"
	if out := render(t, rs, ir.IPv4); !strings.Contains(out, want) {
		t.Errorf("got\n%s\nwant\n%s", out, want)
	}
}

// FuzzReadJSON checks that no input makes the reader panic.
func FuzzReadJSON(f *testing.F) {
	for _, name := range []string{"testdata/inet.json"} {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte(`{"nftables":[{"rule":{"expr":[{"match":{"op":"==","left":{"&":[1,2]},"right":{"set":[{"elem":3}]}}}]}}]}`))
	f.Add([]byte(`{"nftables":[{"chain":{"hook":"input","type":"nat","prio":"x"}},{"rule":{"expr":[{"snat":{"addr":{"range":[1,2]}}},{"limit":{"rate":0}}]}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		rs := &ir.Ruleset{}
		nft.ReadJSON(rs, "fuzz.json", data)
	})
}
