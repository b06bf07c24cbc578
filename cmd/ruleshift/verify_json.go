package main

import (
	"github.com/ruleshift/ruleshift/verify"
)

// verifyJSON is verify --json (schema/verify.v1.json).
type verifyJSON struct {
	Version    int          `json:"version"`
	Old        string       `json:"old"`
	New        string       `json:"new"`
	Interfaces []string     `json:"interfaces"`
	Probes     int          `json:"probes"`
	Generated  int          `json:"generated"`
	Replies    int          `json:"replies"`
	SetupMS    int64        `json:"setup_ms"`
	ProbingMS  int64        `json:"probing_ms"`
	Tally      tallyJSON    `json:"tally"`
	Incomplete int          `json:"incomplete_batches"`
	Agree      bool         `json:"agree"`
	Diffs      []verifyDiff `json:"diffs"`
	// LimitedLogDiffs counts the probes that agree but for how many times
	// a rate-limited rule logged them (timing, not a difference).
	LimitedLogDiffs int `json:"limited_log_diffs"`
}

type tallyJSON struct {
	Old map[string]int `json:"old"`
	New map[string]int `json:"new"`
}

type verifyDiff struct {
	Probe    int    `json:"probe"`
	Packet   string `json:"packet"`
	ReplyOf  string `json:"reply_of,omitempty"`
	From     string `json:"from,omitempty"`
	Old      string `json:"old"`
	New      string `json:"new"`
	OldRule  string `json:"old_rule,omitempty"`
	NewRule  string `json:"new_rule,omitempty"`
	Unstable bool   `json:"unstable"`
	// OldLogs and NewLogs count the log events of the probe on each side;
	// Reason says why the verdicts differ when the fates are the same.
	OldLogs int    `json:"old_logs"`
	NewLogs int    `json:"new_logs"`
	Reason  string `json:"reason,omitempty"`
}

func verifyToJSON(r *verify.Result) verifyJSON {
	out := verifyJSON{Version: jsonVersion, Old: r.Old, New: r.New, Interfaces: orEmptyList(r.Ifaces),
		Probes: r.Originals + r.Replies, Generated: r.Originals, Replies: r.Replies,
		SetupMS: r.Setup.Milliseconds(), ProbingMS: r.Probing.Milliseconds(), Incomplete: r.Incomplete,
		Agree: len(r.Diffs) == 0, Diffs: []verifyDiff{}, LimitedLogDiffs: len(r.LimitedLogDiffs)}
	tally := func(m map[verify.VerdictKind]int, logs int) map[string]int {
		t := map[string]int{"logs": logs}
		for _, k := range []verify.VerdictKind{verify.Accept, verify.Drop, verify.Reject, verify.Unsent} {
			t[string(k)] = m[k]
		}
		return t
	}
	out.Tally = tallyJSON{tally(r.Tally[0], r.Logs[0]), tally(r.Tally[1], r.Logs[1])}
	for _, d := range r.Diffs {
		j := verifyDiff{Probe: d.Probe.ID, Packet: d.Probe.String(), Old: d.Old.String(), New: d.New.String(), OldRule: d.OldRule, NewRule: d.NewRule, Unstable: d.Unstable,
			OldLogs: d.Old.Logs + d.Old.LimitedLogs, NewLogs: d.New.Logs + d.New.LimitedLogs, Reason: d.Reason()}
		if d.Probe.Orig != nil {
			j.ReplyOf = d.Probe.Orig.String()
		} else {
			j.From = d.Probe.Why
		}
		out.Diffs = append(out.Diffs, j)
	}
	return out
}
