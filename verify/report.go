package verify

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// VerdictKind is what happened to a probe.
type VerdictKind string

const (
	Accept VerdictKind = "accept" // delivered to F, or seen leaving it
	Drop   VerdictKind = "drop"   // nothing came out
	Reject VerdictKind = "reject" // an ICMP error or a TCP reset came back
	Unsent VerdictKind = "unsent" // the kernel would not even send it
)

// Verdict is one side's fate of a probe. Two verdicts agree only when
// every field does: an accepted packet must leave by the same interface
// with the same addresses (NAT), a reject must send the same answer.
type Verdict struct {
	Kind VerdictKind
	// Where is "local" for delivery to F, else the interface it left by.
	Where string
	// Hdr is the accepted packet as it was delivered or left.
	Hdr Header
	// Detail is the reject answer, or why a probe was not sent.
	Detail string
	// Logs counts the ruleset's log events for the probe (LOG, NFLOG, nft
	// log), LimitedLogs those of rules with a rate limit, whose number
	// depends on timing (see logs.go). The events of a reject's answer
	// count with the probe.
	Logs, LimitedLogs int
}

func (v Verdict) String() string {
	s := string(v.Kind)
	switch v.Kind {
	case Accept:
		if v.Where == "local" {
			s = "accept (delivered to F as " + v.Hdr.String() + ")"
		} else {
			s = "accept (left by " + v.Where + " as " + v.Hdr.String() + ")"
		}
	case Reject, Unsent:
		s += " (" + v.Detail + ")"
	}
	if v.Logs > 0 {
		s += ", logged " + times(v.Logs)
	}
	if v.LimitedLogs > 0 {
		s += ", logged " + times(v.LimitedLogs) + " by a rate-limited rule"
	}
	return s
}

func times(n int) string {
	if n == 1 {
		return "1 time"
	}
	return fmt.Sprintf("%d times", n)
}

// fate is the verdict without its log counts.
func (v Verdict) fate() Verdict {
	v.Logs, v.LimitedLogs = 0, 0
	return v
}

// agree reports whether two verdicts for p are the same fate. A port that
// NAT rewrote on both sides is not compared: Linux picks a free port at a
// random offset, so two runs of the same ruleset differ there. Nor is a
// port that neither side changed from the probe it was sent: a reply
// whose original NAT gave different ports goes to each side addressed to
// its own port (p.alt on the new side), so the ports differ as the
// probes do. Nor is the count of rate-limited log events: it depends on
// timing (see Result.LimitedLogDiffs).
func agree(p *Probe, a, b Verdict) bool {
	a.LimitedLogs, b.LimitedLogs = 0, 0
	pb := p
	if p.alt != nil {
		pb = p.alt
	}
	if a.Kind == Accept && b.Kind == Accept {
		if (a.Hdr.Sport != p.Sport) == (b.Hdr.Sport != pb.Sport) {
			a.Hdr.Sport, b.Hdr.Sport = 0, 0
		}
		if (a.Hdr.Dport != p.Dport) == (b.Hdr.Dport != pb.Dport) {
			a.Hdr.Dport, b.Hdr.Dport = 0, 0
		}
	}
	return a == b
}

// Diff is one probe the two sides treated differently.
type Diff struct {
	Probe    *Probe
	Old, New Verdict
	// OldRule and NewRule name the rule that decided, when the probe was
	// sent again alone and the rule counters showed it.
	OldRule, NewRule string
	// Unstable: sent again alone, the two sides agreed. The difference
	// then depends on state or timing (a rate limit, a recent list).
	Unstable bool
}

// Reason says why two verdicts that meet the same fate still differ: the
// number of log events. It is "" when the fates differ (the verdicts say
// it) or when nothing differs.
func (d Diff) Reason() string {
	if !agree(d.Probe, d.Old.fate(), d.New.fate()) {
		return ""
	}
	var out []string
	if d.Old.Logs != d.New.Logs {
		out = append(out, fmt.Sprintf("logged %s on the old side, %d on the new", times(d.Old.Logs), d.New.Logs))
	}
	if d.Old.LimitedLogs != d.New.LimitedLogs {
		out = append(out, fmt.Sprintf("logged %s by a rate-limited rule on the old side, %d on the new (the count may depend on timing)", times(d.Old.LimitedLogs), d.New.LimitedLogs))
	}
	return strings.Join(out, "; ")
}

// Result is the outcome of one verify run.
type Result struct {
	Old, New string // side labels with their backends
	Ifaces   []string
	// Originals are the generated probes, Replies the replies of flows
	// both sides accepted.
	Originals, Replies int
	Setup, Probing     time.Duration
	Diffs              []Diff
	// Tally counts each side's verdicts, so a run where everything was
	// dropped on both sides shows as such.
	Tally [2]map[VerdictKind]int
	// Logs counts each side's log events over all probes, rate-limited
	// ones included.
	Logs [2]int
	// LimitedLogDiffs are the probes the two sides agree on except in how
	// many times a rate-limited rule logged them. They are shown, not
	// counted as differences: that count depends on timing. A spent
	// bucket refills at moments that differ between the sides (each
	// side's rules were loaded at a moment of their own), so the probe
	// that comes next after a refill is logged on one side only; buckets
	// shared differently (an inet table's one limit, an iptables table's
	// per family) spend differently; and ufw adds its own rate-limited
	// logging of blocked packets.
	LimitedLogDiffs []Diff
	// Incomplete counts batches whose end F never confirmed; their
	// verdicts may miss late answers.
	Incomplete int
	// All holds every probe with both verdicts, for debugging (Options.KeepAll).
	All []Diff
}

// Rate is probes per second over the probing time.
func (r *Result) Rate() float64 {
	if r.Probing <= 0 {
		return 0
	}
	return float64(r.Originals+r.Replies) / r.Probing.Seconds()
}

// Stable counts the differences that reproduced.
func (r *Result) Stable() int {
	n := 0
	for _, d := range r.Diffs {
		if !d.Unstable {
			n++
		}
	}
	return n
}

// Write prints the report: a summary line, then every difference with
// its packet and, where known, the deciding rule on each side.
func (r *Result) Write(w io.Writer) {
	n := r.Originals + r.Replies
	fmt.Fprintf(w, "verify: old %s, new %s\n", r.Old, r.New)
	fmt.Fprintf(w, "verify: %d probes (%d generated, %d replies of established flows) in %s, %.0f probes/s; setup %s; interfaces %v\n",
		n, r.Originals, r.Replies, r.Probing.Round(time.Millisecond), r.Rate(), r.Setup.Round(time.Millisecond), r.Ifaces)
	for i, name := range []string{"old", "new"} {
		fmt.Fprintf(w, "verify: %s: %d accepted, %d dropped, %d rejected, %d unsent; %d log events\n", name, r.Tally[i][Accept], r.Tally[i][Drop], r.Tally[i][Reject], r.Tally[i][Unsent], r.Logs[i])
	}
	if r.Incomplete > 0 {
		fmt.Fprintf(w, "verify: warning: %d batches of probes were not confirmed answered; a late answer may show as a drop\n", r.Incomplete)
	}
	if k := len(r.LimitedLogDiffs); k > 0 {
		fmt.Fprintf(w, "verify: note: rate-limited rules logged %d probes a different number of times; a rate limit's count depends on timing, so they are not counted as differences, e.g.\n", k)
		for _, d := range r.LimitedLogDiffs[:min(k, 3)] {
			fmt.Fprintf(w, "verify:     #%d %s: %s\n", d.Probe.ID, d.Probe, d.Reason())
		}
	}
	if len(r.Diffs) == 0 {
		fmt.Fprintf(w, "verify: all %d probes agree\n", n)
		return
	}
	fmt.Fprintf(w, "verify: %d of %d probes differ", len(r.Diffs), n)
	if u := len(r.Diffs) - r.Stable(); u > 0 {
		fmt.Fprintf(w, " (%d of them did not reproduce when sent again alone)", u)
	}
	fmt.Fprintln(w)
	for _, d := range r.Diffs {
		p := d.Probe
		fmt.Fprintf(w, "\n#%d %s\n", p.ID, p)
		if p.Orig != nil {
			fmt.Fprintf(w, "    reply of #%d %s\n", p.Orig.ID, p.Orig)
		}
		if p.Why != "" && p.Orig == nil {
			fmt.Fprintf(w, "    probe from: %s\n", p.Why)
		}
		fmt.Fprintf(w, "    old: %s\n", d.Old)
		if d.OldRule != "" {
			fmt.Fprintf(w, "         decided by %s\n", d.OldRule)
		}
		fmt.Fprintf(w, "    new: %s\n", d.New)
		if d.NewRule != "" {
			fmt.Fprintf(w, "         decided by %s\n", d.NewRule)
		}
		if why := d.Reason(); why != "" {
			fmt.Fprintf(w, "    same fate, but %s\n", why)
		}
		if d.Unstable {
			fmt.Fprintf(w, "    sent again alone, both sides agreed: the difference depends on state or timing\n")
		}
	}
}
