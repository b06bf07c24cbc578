package verify

import (
	"strings"
	"testing"
)

// Log events are counted per probe: rulesets that meet every probe with
// the same fate but log differently differ.

const logHead = `*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
`

// logsAgree logs in every way iptables can: LOG, NFLOG to a group of its
// own, a rate-limited LOG (a rate the probes never reach), a log of the
// rejects the rules send and of packets leaving.
const logsAgree = logHead + `-A INPUT -p tcp --dport 22 -j LOG --log-prefix "ssh: " --log-level 6
-A INPUT -p tcp --dport 22 -j ACCEPT
-A INPUT -p udp -j NFLOG --nflog-group 5 --nflog-prefix "udp "
-A INPUT -p udp --dport 53 -j ACCEPT
-A INPUT -p tcp --dport 80 -m limit --limit 10000/sec --limit-burst 10000 -j LOG
-A INPUT -p tcp --dport 80 -j ACCEPT
-A INPUT -p tcp --dport 23 -j REJECT --reject-with tcp-reset
-A OUTPUT -p tcp --tcp-flags RST RST -j LOG --log-prefix "reset "
-A OUTPUT -d 203.0.113.0/24 -j LOG
COMMIT
`

func TestVerifyLogsAgree(t *testing.T) {
	needKernel(t)
	old := loadSide(t, "logs.v4", logsAgree, IPTablesLegacy, true)
	for _, b := range []Backend{NFTables, IPTablesNFT} {
		res, err := Run(old, loadSide(t, "logs.v4", logsAgree, b, false), Options{Probes: 300, Seed: 1, NSPrefix: prefix(t), KeepAll: true})
		if err != nil {
			t.Fatal(err)
		}
		limited := [2]int{}
		for _, d := range res.All {
			limited[0] += d.Old.LimitedLogs
			limited[1] += d.New.LimitedLogs
		}
		if limited[0] == 0 || limited[0] != limited[1] {
			t.Errorf("%s: rate-limited log events %v: want the same number, more than none", b, limited)
		}
		var w strings.Builder
		res.Write(&w)
		t.Log(w.String())
		if len(res.Diffs) != 0 {
			t.Errorf("%s: a ruleset verified against its own rendering differs", b)
		}
		if res.Logs[0] == 0 || res.Logs[0] != res.Logs[1] {
			t.Errorf("%s: log events %v: want the same number, more than none", b, res.Logs)
		}
	}
}

// logsAgreeNft is logsAgree written by hand in nftables.
const logsAgreeNft = `table ip filter {
	chain input {
		type filter hook input priority 0; policy drop;
		ct state established,related accept
		tcp dport 22 log prefix "ssh: " level info
		tcp dport 22 accept
		meta l4proto udp log group 5 prefix "udp "
		udp dport 53 accept
		tcp dport 80 limit rate 10000/second burst 10000 packets log
		tcp dport 80 accept
		tcp dport 23 reject with tcp reset
	}
	chain forward {
		type filter hook forward priority 0; policy drop;
	}
	chain output {
		type filter hook output priority 0; policy accept;
		tcp flags & rst == rst log prefix "reset " # the resets REJECT sends
		ip daddr 203.0.113.0/24 log flags all
	}
}
`

func TestVerifyLogsNftFile(t *testing.T) {
	needKernel(t)
	old := loadSide(t, "logs.v4", logsAgree, IPTablesLegacy, true)
	new := &Side{Label: "logs.nft", Backend: NFTables, Raw: []byte(logsAgreeNft), NftFile: true}
	if d := new.Prepare(); d.HasErrors() {
		t.Fatal(d.Err())
	}
	if err := UseModelOf(old, new); err != nil {
		t.Fatal(err)
	}
	res := verifyRun(t, old, new, 300)
	for _, d := range res.Diffs {
		t.Errorf("#%d %s\n    old %s\n    new %s", d.Probe.ID, d.Probe, d.Old, d.New)
	}
	if res.Logs[0] == 0 || res.Logs[0] != res.Logs[1] {
		t.Errorf("log events %v: want the same number, more than none", res.Logs)
	}
}

// TestVerifyLogsDiffer: the same fates, but a LOG moved past the ACCEPT
// it stood before (logged against never), and a LOG rule written twice
// (twice against once).
func TestVerifyLogsDiffer(t *testing.T) {
	needKernel(t)
	const log = "-A INPUT -p tcp --dport 22 -j LOG --log-prefix \"ssh: \"\n"
	const accept = "-A INPUT -p tcp --dport 22 -j ACCEPT\n"
	for _, c := range []struct {
		name, old, new, reason string
	}{
		{"moved past accept", logHead + log + accept + "COMMIT\n", logHead + accept + log + "COMMIT\n", "logged 1 time on the old side, 0 on the new"},
		{"duplicated", logHead + log + log + accept + "COMMIT\n", logHead + log + accept + "COMMIT\n", "logged 2 times on the old side, 1 on the new"},
	} {
		t.Run(c.name, func(t *testing.T) {
			old := loadSide(t, "old.v4", c.old, IPTablesLegacy, true)
			new := loadSide(t, "new.v4", c.new, NFTables, false)
			res := verifyRun(t, old, new, 200)
			var w strings.Builder
			res.Write(&w)
			t.Log(w.String())
			if res.Stable() == 0 {
				t.Fatalf("no difference found")
			}
			for _, d := range res.Diffs {
				if d.Old.Kind != d.New.Kind || d.Reason() != c.reason || d.Probe.Dport != 22 && d.Probe.Orig == nil {
					t.Errorf("#%d %s: old %s, new %s, reason %q: want the same fate, reason %q", d.Probe.ID, d.Probe, d.Old, d.New, d.Reason(), c.reason)
				}
			}
			if !strings.Contains(w.String(), "same fate, but "+c.reason) {
				t.Errorf("the report does not give the reason %q", c.reason)
			}
		})
	}
}

// TestVerifyLimitedLogsShown: a rate-limited LOG moved past its ACCEPT
// logs on one side only, but a rate limit's count depends on timing: the
// probes are shown, not counted as differences.
func TestVerifyLimitedLogsShown(t *testing.T) {
	needKernel(t)
	const log = "-A INPUT -p tcp --dport 22 -m limit --limit 10000/sec --limit-burst 10000 -j LOG\n"
	const accept = "-A INPUT -p tcp --dport 22 -j ACCEPT\n"
	old := loadSide(t, "old.v4", logHead+log+accept+"COMMIT\n", IPTablesLegacy, true)
	new := loadSide(t, "new.v4", logHead+accept+log+"COMMIT\n", NFTables, false)
	res := verifyRun(t, old, new, 200)
	var w strings.Builder
	res.Write(&w)
	t.Log(w.String())
	if len(res.Diffs) != 0 || len(res.LimitedLogDiffs) == 0 {
		t.Fatalf("%d differences, %d rate-limited log counts differ: want none and some", len(res.Diffs), len(res.LimitedLogDiffs))
	}
	const reason = "logged 1 time by a rate-limited rule on the old side, 0 on the new (the count may depend on timing)"
	for _, d := range res.LimitedLogDiffs {
		if d.Reason() != reason {
			t.Errorf("#%d %s: %q, want %q", d.Probe.ID, d.Probe, d.Reason(), reason)
		}
	}
	if !strings.Contains(w.String(), "rate-limited rules logged") || !strings.Contains(w.String(), "all ") {
		t.Errorf("the report should note the rate-limited log counts and say all probes agree")
	}
}
