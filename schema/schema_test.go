package schema

import "testing"

func TestSchemasCompile(t *testing.T) {
	if len(Names()) < 6 {
		t.Fatalf("schemas: %v", Names())
	}
	for _, n := range Names() {
		if err := Validate(n, []byte(`{}`)); err == nil {
			t.Errorf("%s accepts an empty object", n)
		}
	}
}

// TestVerifyLogCounts: verify --json counts log events per side and per
// differing probe, with the reason when only the counts differ.
func TestVerifyLogCounts(t *testing.T) {
	doc := func(oldLogs, tallyLogs string) []byte {
		return []byte(`{"version": 1, "old": "a (iptables-legacy)", "new": "b (nftables)", "interfaces": ["eth0"],
			"probes": 2, "generated": 2, "replies": 0, "setup_ms": 1, "probing_ms": 1,
			"tally": {"old": {"accept": 2, "drop": 0, "reject": 0, "unsent": 0, "logs": ` + tallyLogs + `},
			          "new": {"accept": 2, "drop": 0, "reject": 0, "unsent": 0, "logs": 1}},
			"incomplete_batches": 0, "agree": false, "limited_log_diffs": 3,
			"diffs": [{"probe": 1, "packet": "input tcp 192.0.2.1:40000 > 192.0.2.2:22 [S] in eth0",
			           "old": "accept (delivered to F), logged 2 times", "new": "accept (delivered to F), logged 1 time",
			           "unstable": false, "old_logs": ` + oldLogs + `, "new_logs": 1,
			           "reason": "logged 2 times on the old side, 1 on the new"}]}`)
	}
	if err := Validate("verify.v1.json", doc("2", "2")); err != nil {
		t.Errorf("a difference in log events: %v", err)
	}
	for _, bad := range [][2]string{{"-1", "2"}, {`"2"`, "2"}, {"2", "-2"}} {
		if err := Validate("verify.v1.json", doc(bad[0], bad[1])); err == nil {
			t.Errorf("old_logs %s, tally logs %s: accepted", bad[0], bad[1])
		}
	}
}
