package machine

import (
	"fmt"
	"sort"
	"strings"

	"github.com/ruleshift/ruleshift/backends"
	"github.com/ruleshift/ruleshift/internal/rulediff"
	"github.com/ruleshift/ruleshift/translate/diag"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// DriftVersion is the version of the drift report's JSON form; it grows
// when a field changes meaning, not when one is added.
const DriftVersion = 1

// Side is one of the things drift compares: the kernel, the boot files,
// the source files.
type Side struct {
	// Name is a short word for reports: "kernel", "boot", "source".
	Name string
	// What says what it holds: "what runs now".
	What  string
	State *State
}

// Drift is the comparison of sides, two at a time.
type Drift struct {
	Version     int          `json:"version"`
	Agree       bool         `json:"agree"`
	Comparisons []Comparison `json:"comparisons"`
	// Notes say what could not be read (a tool not installed, a boot
	// file whose service is off), prefixed with the side's name.
	Notes []string `json:"notes,omitempty"`
}

// Comparison is the difference from Old to New, chain by chain: Added
// holds what only New has, Removed what only Old has.
type Comparison struct {
	Old     string       `json:"old"`
	New     string       `json:"new"`
	Chains  []ChainDrift `json:"chains"`
	Added   int          `json:"added"`
	Removed int          `json:"removed"`
	Moved   int          `json:"moved"`
	Policy  int          `json:"policy"`
}

// ChainDrift is one chain's difference. A chain only one side has says
// so in Only (the side's name).
type ChainDrift struct {
	Chain   string        `json:"chain"`
	Only    string        `json:"only,omitempty"`
	Policy  *PolicyChange `json:"policy,omitempty"`
	Added   []string      `json:"added,omitempty"`
	Removed []string      `json:"removed,omitempty"`
	Moved   []Move        `json:"moved,omitempty"`
}

// Move is a rule both sides hold at another place: its rule number in
// the chain on the old side and on the new.
type Move struct {
	Rule string `json:"rule"`
	From int    `json:"from"`
	To   int    `json:"to"`
}

// PolicyChange is a built-in chain's policy on each side.
type PolicyChange struct {
	Old string `json:"old"`
	New string `json:"new"`
}

// Canonical renders a side's tables as iptables-save text through the
// iptables-legacy backend (registered by the caller's imports) and cuts
// it into chains keyed "family table chain": the form drift compares,
// where counters are left out and the same rule reads the same whatever
// it was read from. A table two sources hold (legacy and nft-compat
// filter, say) keeps both, the second named "table (source)".
func Canonical(st *State) (rulediff.Chains, *diag.List) {
	d := &diag.List{}
	out := rulediff.Chains{}
	b := backends.Lookup("iptables-legacy")
	if b == nil {
		d.Errorf(ir.Pos{}, "internal error: no iptables-legacy backend registered")
		return out, d
	}
	seen := map[string]bool{}
	for _, e := range st.Entries {
		t := e.Table
		for _, c := range t.Chains {
			c.Counters = nil
			for _, r := range c.Rules {
				r.Counters = nil
			}
		}
		fam := t.Family
		files, rd := b.Render(&ir.Ruleset{Tables: []*ir.Table{t}}, backends.RenderOptions{Families: []ir.Family{fam}})
		d.Add(rd)
		f := files.Family(fam)
		if f == nil {
			continue
		}
		part := rulediff.Chains{}
		part.AddSave(FamilyName(fam), f.Text)
		prefix := FamilyName(fam) + " " + t.Name + " "
		qual := ""
		if seen[e.Key()] {
			qual = FamilyName(fam) + " " + t.Name + " (" + string(e.Source) + ") "
		}
		seen[e.Key()] = true
		for k, v := range part {
			if qual != "" {
				k = qual + strings.TrimPrefix(k, prefix)
			}
			out[k] = append(out[k], v...)
		}
	}
	return out, d
}

// Compare compares the canonical forms of two sides.
func Compare(oldName string, old rulediff.Chains, newName string, new rulediff.Chains) Comparison {
	c := Comparison{Old: oldName, New: newName}
	diff := rulediff.Compare(old, new)
	for _, cd := range diff.Chains {
		ch := ChainDrift{Chain: cd.Chain}
		for _, m := range cd.Moved {
			ch.Moved = append(ch.Moved, Move{Rule: m.Line, From: m.From, To: m.To})
		}
		_, inOld := old[cd.Chain]
		_, inNew := new[cd.Chain]
		switch {
		case !inOld:
			ch.Only = newName
		case !inNew:
			ch.Only = oldName
		}
		var po, pn string
		for _, l := range cd.Removed {
			if p, ok := strings.CutPrefix(l, "policy "); ok {
				po = p
				continue
			}
			ch.Removed = append(ch.Removed, l)
		}
		for _, l := range cd.Added {
			if p, ok := strings.CutPrefix(l, "policy "); ok {
				pn = p
				continue
			}
			ch.Added = append(ch.Added, l)
		}
		if po != "" && pn != "" {
			ch.Policy = &PolicyChange{Old: po, New: pn}
			c.Policy++
		}
		if ch.Only == "" && ch.Policy == nil && len(ch.Added)+len(ch.Removed)+len(ch.Moved) == 0 {
			continue
		}
		c.Added += len(ch.Added)
		c.Removed += len(ch.Removed)
		c.Moved += len(ch.Moved)
		c.Chains = append(c.Chains, ch)
	}
	sort.SliceStable(c.Chains, func(i, j int) bool { return c.Chains[i].Chain < c.Chains[j].Chain })
	return c
}

// Differs reports whether the comparison found any difference.
func (c *Comparison) Differs() bool { return len(c.Chains) > 0 }

// Summary is one line counting the differences.
func (c *Comparison) Summary() string {
	if !c.Differs() {
		return fmt.Sprintf("%s and %s agree", c.New, c.Old)
	}
	var parts []string
	if n := countOnly(c, c.New); n > 0 {
		parts = append(parts, fmt.Sprintf("%s only in %s", plural(n, "chain"), c.New))
	}
	if n := countOnly(c, c.Old); n > 0 {
		parts = append(parts, fmt.Sprintf("%s only in %s", plural(n, "chain"), c.Old))
	}
	parts = append(parts, fmt.Sprintf("%s only in %s", plural(c.Added, "rule"), c.New),
		fmt.Sprintf("%d only in %s", c.Removed, c.Old),
		fmt.Sprintf("%d moved", c.Moved), fmt.Sprintf("%s changed", plural(c.Policy, "policy")))
	return fmt.Sprintf("%s and %s differ: %s", c.New, c.Old, strings.Join(parts, ", "))
}

func countOnly(c *Comparison, side string) int {
	n := 0
	for _, ch := range c.Chains {
		if ch.Only == side {
			n++
		}
	}
	return n
}

// WriteText prints the comparison as a unified diff reads: "-" for what
// only old has, "+" for what only new has, "~" for a rule both have at
// another place.
func (c *Comparison) WriteText(b *strings.Builder) {
	fmt.Fprintf(b, "--- %s\n+++ %s\n", c.Old, c.New)
	for _, ch := range c.Chains {
		switch ch.Only {
		case "":
			fmt.Fprintf(b, "%s:\n", ch.Chain)
		default:
			fmt.Fprintf(b, "%s: only in %s\n", ch.Chain, ch.Only)
		}
		if p := ch.Policy; p != nil {
			fmt.Fprintf(b, "  policy %s in %s, %s in %s\n", p.Old, c.Old, p.New, c.New)
		}
		for _, l := range ch.Removed {
			fmt.Fprintf(b, "-\t%s\n", l)
		}
		for _, l := range ch.Added {
			fmt.Fprintf(b, "+\t%s\n", l)
		}
		for _, m := range ch.Moved {
			fmt.Fprintf(b, "~\t%s\t(rule %d in %s, rule %d in %s)\n", m.Rule, m.From, c.Old, m.To, c.New)
		}
	}
	fmt.Fprintf(b, "# %s\n", c.Summary())
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	if strings.HasSuffix(word, "y") {
		return fmt.Sprintf("%d %sies", n, word[:len(word)-1])
	}
	return fmt.Sprintf("%d %ss", n, word)
}
