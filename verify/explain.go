package verify

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	ipbackend "github.com/ruleshift/ruleshift/backends/iptables"
	"github.com/ruleshift/ruleshift/backends/nftables"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// Finding the rule that decided a differing probe: the probe is sent again
// alone, with the rule counters of each side read before and after. The
// rules whose counters moved are the ones it matched; the deciding one is
// the matched rule whose target is the verdict seen, else the policy.

// ruleRef names a rule of the model: its chain and index there.
type ruleRef struct {
	fam          ir.Family
	table, chain string
	idx          int
}

// explain sends d's probe again on both sides with the next free ID and
// fills in the deciding rules; the difference is unstable when this time
// the sides agree.
func (r *runner) explain(d *Diff, id int) {
	q := *d.Probe
	q.ID, q.Seq = id, 0
	if q.Orig == nil {
		q.Ack, q.EchoID, q.EchoSeq = 0, 0, 0
	}
	finishIDs(&q)
	if q.alt != nil {
		// The new side is sent its own reply (see replies): it needs the
		// new ID as well, or its verdict is looked up under another.
		a := *q.alt
		a.ID, a.Seq = id, 0
		finishIDs(&a)
		q.alt = &a
	}
	var before [2]map[ruleRef]uint64
	for i, s := range r.sides {
		before[i], _ = s.counters()
	}
	r.phase([]*Probe{&q})
	var v [2]Verdict
	for i, s := range r.sides {
		v[i] = s.verdict(&q)
		after, err := s.counters()
		if err != nil || before[i] == nil {
			continue
		}
		rule := s.decider(&q, before[i], after, v[i])
		if i == 0 {
			d.OldRule = rule
		} else {
			d.NewRule = rule
		}
	}
	d.Unstable = agree(&q, v[0], v[1])
}

// counters reads the packet counter of every rule loaded on the side.
func (s *side) counters() (map[ruleRef]uint64, error) {
	if s.in.NftFile {
		// Its rules are not the model's: no rule to name.
		return nil, fmt.Errorf("%s: an nftables file's rules are not in the model", s.in.Label)
	}
	if s.in.Backend == NFTables {
		out, err := nsRun(s.t.f, nil, "nft", "-j", "list", "ruleset")
		if err != nil {
			return nil, err
		}
		return nftCounters(s.in.Rules, out)
	}
	if !s.in.Backend.IPTables() {
		// ufw's chains are not the model's: no rule to name.
		return nil, fmt.Errorf("%s: the %s backend's chains are not the model's", s.in.Label, s.in.Backend)
	}
	m := map[ruleRef]uint64{}
	for f := range s.in.saves {
		out, err := nsRun(s.t.f, nil, s.in.Backend.variant().SaveCommand(f), "-c")
		if err != nil {
			return nil, err
		}
		saveCounters(f, out, m)
	}
	return m, nil
}

var saveRule = regexp.MustCompile(`^\[(\d+):\d+\] -A (\S+)`)

// saveCounters reads "iptables-save -c" output.
func saveCounters(f ir.Family, text string, m map[ruleRef]uint64) {
	table := ""
	idx := map[string]int{}
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(line, "*") {
			table = line[1:]
			idx = map[string]int{}
			continue
		}
		g := saveRule.FindStringSubmatch(line)
		if g == nil {
			continue
		}
		n, _ := strconv.ParseUint(g[1], 10, 64)
		chain := strings.Trim(g[2], `"`)
		m[ruleRef{f, table, chain, idx[chain]}] = n
		idx[chain]++
	}
}

// nftCounters reads "nft -j list ruleset" for ruleshift's tables and maps
// nft chain names back to the model's.
func nftCounters(rs *ir.Ruleset, text string) (map[ruleRef]uint64, error) {
	var doc struct {
		Nftables []struct {
			Rule *struct {
				Family, Table, Chain string
				Expr                 []map[string]json.RawMessage
			}
		}
	}
	if err := json.Unmarshal([]byte(text), &doc); err != nil {
		return nil, err
	}
	m := map[ruleRef]uint64{}
	idx := map[string]int{}
	for _, o := range doc.Nftables {
		r := o.Rule
		if r == nil || !strings.HasPrefix(r.Table, nftables.TablePrefix) {
			continue
		}
		fam := ir.IPv4
		if r.Family == "ip6" {
			fam = ir.IPv6
		}
		name := strings.TrimPrefix(r.Table, nftables.TablePrefix)
		t := rs.Table(fam, name)
		if t == nil {
			continue
		}
		chain := r.Chain
		for orig, n := range nftables.ChainNames(t, nil) {
			if n == r.Chain {
				chain = orig
			}
		}
		k := r.Family + " " + r.Table + " " + r.Chain
		ref := ruleRef{fam, name, chain, idx[k]}
		idx[k]++
		for _, e := range r.Expr {
			if c, ok := e["counter"]; ok {
				var v struct{ Packets uint64 }
				json.Unmarshal(c, &v)
				m[ref] = v.Packets
			}
		}
	}
	return m, nil
}

// decider names the rule that gave verdict v to p.
func (s *side) decider(p *Probe, before, after map[ruleRef]uint64, v Verdict) string {
	var best *ir.Rule
	var bestRef ruleRef
	for ref, n := range after {
		if n <= before[ref] {
			continue
		}
		r := s.rule(ref)
		if r == nil || !targetGives(r.Target, v.Kind) {
			continue
		}
		// Prefer the filter table, then the earliest chain position.
		if best == nil || ref.table == "filter" && bestRef.table != "filter" || ref.table == bestRef.table && ref.chain == bestRef.chain && ref.idx < bestRef.idx {
			best, bestRef = r, ref
		}
	}
	if best != nil {
		return describe(bestRef, best)
	}
	hook := map[Path]string{Input: "INPUT", Output: "OUTPUT", Forward: "FORWARD"}[p.Path]
	if t := s.in.Rules.Table(p.Family, "filter"); t != nil {
		if c := t.Chain(hook); c != nil {
			return fmt.Sprintf("no rule: the policy %s of chain %s in table filter", c.PolicyOf(), hook)
		}
	}
	return ""
}

func (s *side) rule(ref ruleRef) *ir.Rule {
	t := s.in.Rules.Table(ref.fam, ref.table)
	if t == nil {
		return nil
	}
	c := t.Chain(ref.chain)
	if c == nil || ref.idx >= len(c.Rules) {
		return nil
	}
	return c.Rules[ref.idx]
}

// targetGives reports whether a rule with target t ends in verdict k.
func targetGives(t ir.Target, k VerdictKind) bool {
	switch t := t.(type) {
	case *ir.Verdict:
		return t.Kind == ir.Accept && k == Accept || t.Kind == ir.Drop && k == Drop
	case *ir.Reject:
		return k == Reject
	}
	return false
}

func describe(ref ruleRef, r *ir.Rule) string {
	args, _ := ipbackend.RuleArgs(r, ref.fam, ipbackend.Legacy)
	return fmt.Sprintf("%s: -t %s -A %s %s", r.Src, ref.table, ref.chain, strings.Join(args, " "))
}
