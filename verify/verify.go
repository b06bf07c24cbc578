package verify

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/ruleshift/ruleshift/translate/ir"
)

// Options tune Run.
type Options struct {
	// Probes is how many probes to generate (replies come on top); 0 means
	// DefaultProbes.
	Probes int
	Seed   uint64
	// NSPrefix starts the names of the namespaces verify creates; they are
	// deleted before Run returns. Default "rsv<pid>".
	NSPrefix string
	// Explain is how many differences are sent again, alone, to find the
	// rule that decided them from the rule counters; default 20.
	Explain int
	// KeepAll keeps every probe and its verdicts in Result.All.
	KeepAll bool
	// Progress, when set, hears of each stage and of the probes sent.
	Progress func(stage string, done, total int)
}

// ErrNotRoot is returned when verify cannot create namespaces.
var ErrNotRoot = errors.New("verify needs root: it builds network namespaces and loads rules into them")

// Run verifies new against old: both sides must have been Prepared.
func Run(old, new *Side, o Options) (*Result, error) {
	if os.Geteuid() != 0 {
		return nil, ErrNotRoot
	}
	if o.NSPrefix == "" {
		o.NSPrefix = fmt.Sprintf("rsv%d", os.Getpid())
	}
	if o.Explain == 0 {
		o.Explain = 20
	}
	start := time.Now()
	progress := o.Progress
	if progress == nil {
		progress = func(string, int, int) {}
	}
	progress("verify: generating probes", 0, 0)
	plan := Generate([]*ir.Ruleset{old.Rules, new.Rules}, GenOptions{Probes: o.Probes, Seed: o.Seed})
	r := newRunner(plan)
	defer r.close()
	progress("verify: loading both rulesets into scratch namespaces", 0, 0)
	if err := r.openBoth(o.NSPrefix, old, new); err != nil {
		return nil, err
	}
	res := &Result{
		Old:       old.Label + " (" + string(old.Backend) + ")",
		New:       new.Label + " (" + string(new.Backend) + ")",
		Ifaces:    plan.Ifaces,
		Originals: len(plan.Probes),
		Setup:     time.Since(start),
	}
	t0 := time.Now()
	r.progress = func(done int) { progress("verify: probes sent", done, len(plan.Probes)) }
	r.phase(plan.Probes)
	replies := r.replies(plan.Probes, len(plan.Probes)+1)
	r.progress = func(done int) { progress("verify: replies sent", done, len(replies)) }
	r.phase(replies)
	res.Probing = time.Since(t0)
	res.Replies = len(replies)
	res.Tally = [2]map[VerdictKind]int{{}, {}}
	for _, p := range append(plan.Probes, replies...) {
		vo, vn := r.sides[0].verdict(p), r.sides[1].verdict(p)
		res.Tally[0][vo.Kind]++
		res.Tally[1][vn.Kind]++
		res.Logs[0] += vo.Logs + vo.LimitedLogs
		res.Logs[1] += vn.Logs + vn.LimitedLogs
		if o.KeepAll {
			res.All = append(res.All, Diff{Probe: p, Old: vo, New: vn})
		}
		switch {
		case !agree(p, vo, vn):
			res.Diffs = append(res.Diffs, Diff{Probe: p, Old: vo, New: vn})
		case vo.LimitedLogs != vn.LimitedLogs:
			res.LimitedLogDiffs = append(res.LimitedLogDiffs, Diff{Probe: p, Old: vo, New: vn})
		}
	}
	next := len(plan.Probes) + len(replies) + 1
	for i := range res.Diffs[:min(len(res.Diffs), o.Explain)] {
		r.explain(&res.Diffs[i], next+i)
	}
	res.Incomplete = int(r.lost.Load())
	return res, nil
}

// Cleanup deletes every namespace whose name starts with prefix and a
// dash: what an interrupted Run with that NSPrefix left behind.
func Cleanup(prefix string) {
	ents, _ := os.ReadDir(netnsDir)
	for _, e := range ents {
		if strings.HasPrefix(e.Name(), prefix+"-") {
			run(nil, "ip", "netns", "del", e.Name())
		}
	}
}

// openBoth builds the two sides at the same time.
func (r *runner) openBoth(prefix string, old, new *Side) error {
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i, s := range []*Side{old, new} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = r.open(i, prefix, s)
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

// replies makes the reply of every flow both sides accepted alike,
// addressed as the original was seen leaving F (after NAT), so that it
// meets the conntrack entry the original created. A flow whose original
// was logged differently still has its reply sent: the flow is the same.
func (r *runner) replies(orig []*Probe, firstID int) []*Probe {
	var out []*Probe
	for _, p := range orig {
		vo, vn := r.sides[0].verdict(p), r.sides[1].verdict(p)
		vo, vn = vo.fate(), vn.fate()
		if vo.Kind != Accept || !agree(p, vo, vn) {
			continue
		}
		q := reply(p, vo, r.plan)
		if q == nil {
			continue
		}
		q.ID = firstID + len(out)
		finishIDs(q)
		if vn != vo {
			q.alt = reply(p, vn, r.plan)
			q.alt.ID = q.ID
			finishIDs(q.alt)
		}
		out = append(out, q)
	}
	return out
}

// reply is the answer to p, which was accepted as v; nil when p has no
// reply verdict can test (a reset, an ICMP error, SCTP).
func reply(p *Probe, v Verdict, plan *Plan) *Probe {
	h := v.Hdr
	q := &Probe{Orig: p, Path: p.Path.reverse(), Family: p.Family, Proto: h.Proto,
		Src: h.Dst, Dst: h.Src, Sport: h.Dport, Dport: h.Sport, Why: fmt.Sprintf("reply of #%d", p.ID)}
	switch p.Path {
	case Input:
		q.Out = p.In
	case Output:
		q.In = v.Where
	case Forward:
		q.In, q.Out = v.Where, p.In
		if _, ok := routeClass(plan, q.Out); !ok {
			return nil
		}
	}
	if q.In == "local" || q.Out == "local" {
		return nil // DNAT made it local: the reply path is F's own
	}
	switch {
	case h.Proto == protoTCP:
		if p.Flags&flagRST != 0 {
			return nil
		}
		q.Flags = flagACK
		q.Ack = p.Seq
		if p.Flags&flagSYN != 0 {
			q.Flags |= flagSYN
			q.Ack++
		}
		if p.Flags&flagFIN != 0 {
			q.Ack++
		}
	case isICMP(h.Proto):
		if !isEchoRequest(p.Family, p.Type) {
			return nil
		}
		q.Type = 0
		if p.Family == ir.IPv6 {
			q.Type = 129
		}
		q.EchoID, q.EchoSeq = p.EchoID, p.EchoSeq
	case h.Proto == protoSCTP:
		return nil
	}
	return q
}
