package verify

import (
	"strings"
	"testing"
)

// A verify that never reports a difference proves nothing: each mutation
// below changes what one rule does, and verify must catch it, with a
// differing probe that touches the mutated rule.
func TestVerifyCatchesMutations(t *testing.T) {
	needKernel(t)
	cases := []struct {
		name, from, to string
		// want is satisfied by at least one differing probe.
		want func(d Diff) bool
	}{
		{"port changed", "--dport 22 -j ACCEPT", "--dport 2222 -j ACCEPT",
			func(d Diff) bool { return d.Probe.Dport == 22 && d.Old.Kind == Accept && d.New.Kind == Drop }},
		{"accept to drop", "--dport 53 -j ACCEPT", "--dport 53 -j DROP",
			func(d Diff) bool { return d.Probe.Dport == 53 && d.New.Kind == Drop }},
		{"rule removed", "-A INPUT -p icmp --icmp-type echo-request -j ACCEPT\n", "",
			func(d Diff) bool { return d.Probe.Type == 8 && d.Old.Kind == Accept && d.New.Kind == Drop }},
		{"reject to drop", "--dport 23 -j REJECT --reject-with tcp-reset", "--dport 23 -j DROP",
			func(d Diff) bool { return d.Old.Kind == Reject && d.New.Kind == Drop }},
		{"reject answer changed", "--reject-with icmp-admin-prohibited", "--reject-with icmp-host-prohibited",
			func(d Diff) bool { return d.Probe.Path == Output && d.Old.Detail != d.New.Detail }},
		{"forward reply rule removed", "-A FORWARD -i eth1 -o eth0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n", "",
			func(d Diff) bool { return d.Probe.IsReply() && d.Probe.Path == Forward }},
		{"prefix narrowed", "-s 10.0.0.0/8", "-s 10.0.0.0/9",
			func(d Diff) bool {
				return d.Probe.Src.String() == "10.255.255.255" || d.Probe.Src.String() == "10.128.0.1" || d.Probe.Src.Is4() && d.Probe.Src.As4()[1] >= 128
			}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if !strings.Contains(basic, c.from) {
				t.Fatalf("mutation %q does not apply", c.from)
			}
			mutated := strings.Replace(basic, c.from, c.to, 1)
			old := loadSide(t, "basic.v4", basic, IPTablesLegacy, true)
			new := loadSide(t, "mutated.v4", mutated, NFTables, false)
			res := verifyRun(t, old, new, 500)
			var b strings.Builder
			res.Write(&b)
			if len(res.Diffs) == 0 {
				t.Fatalf("verify missed the mutation:\n%s", b.String())
			}
			found := false
			for _, d := range res.Diffs {
				found = found || c.want(d)
			}
			if !found {
				t.Errorf("no difference touches the mutated rule:\n%s", b.String())
			}
			if res.Diffs[0].OldRule == "" && res.Diffs[0].NewRule == "" {
				t.Errorf("the first difference names no deciding rule:\n%s", b.String())
			}
			t.Logf("%d differences; first:\n%s", len(res.Diffs), firstLines(b.String(), 14))
		})
	}
}

func firstLines(s string, n int) string {
	l := strings.Split(s, "\n")
	return strings.Join(l[:min(n, len(l))], "\n")
}

// egress allows F to send only replies: a reply of an accepted input flow
// passes OUTPUT only if conntrack confirmed the flow before the observer
// dropped the original, which is what the observer's placement promises.
const egress = `*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT DROP [0:0]
-A INPUT -p tcp --dport 22 -j ACCEPT
-A INPUT -p udp --dport 53 -j ACCEPT
-A OUTPUT -m state --state ESTABLISHED -j ACCEPT
COMMIT
`

func TestVerifyRepliesAreEstablished(t *testing.T) {
	needKernel(t)
	old := loadSide(t, "egress.v4", egress, IPTablesLegacy, true)
	new := loadSide(t, "egress.v4", egress, IPTablesNFT, false)
	res, err := Run(old, new, Options{Probes: 200, Seed: 2, NSPrefix: prefix(t), KeepAll: true})
	if err != nil {
		t.Fatal(err)
	}
	var replies, accepted int
	for _, d := range res.All {
		// A SYN-ACK with no connection is INVALID to conntrack and starts
		// no flow; count replies of flows that can start.
		if d.Probe.IsReply() && d.Probe.Path == Output && (d.Probe.Proto != protoTCP || d.Probe.Orig.Flags == flagSYN) {
			replies++
			if d.Old.Kind == Accept && d.New.Kind == Accept {
				accepted++
			}
		}
	}
	if replies == 0 || accepted != replies {
		t.Errorf("%d of %d replies to accepted input flows passed OUTPUT; want all", accepted, replies)
	}
	if len(res.Diffs) != 0 {
		t.Errorf("%d differences between a ruleset and its own iptables-nft rendering", len(res.Diffs))
	}
}
