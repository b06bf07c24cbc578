// Package rulediff compares what is loaded with what would be loaded, for
// apply --dry-run. Both sides are listings in the kernel tools' own format
// (iptables-save, nft list table), cut into chains and compared chain by
// chain as multisets: reordering within a chain is not reported, which keeps
// the comparison linear on rulesets of 100,000 rules. Everything but
// Sides (scratch.go) is pure.
package rulediff

import (
	"fmt"
	"io"
	"sort"
	"strings"
)

// Chains holds the lines of each chain, keyed "family table chain".
type Chains map[string][]string

// ChainDiff is one chain's lines that only one side has, and the rules
// both have that changed place.
type ChainDiff struct {
	Chain          string
	Removed, Added []string
	Moved          []Move
}

// Diff is the comparison of two sides.
type Diff struct {
	Chains []ChainDiff // chains with a difference, by name
	// Added and Removed count rules; policy, type and comment lines are
	// not rules. Moved counts rules both sides have at another place
	// relative to the others; Same counts the lines both sides have,
	// moved ones included.
	Added, Removed, Moved, Same int
}

// Compare lists, per chain of either side, the lines only one side has.
func Compare(old, new Chains) *Diff {
	keys := map[string]bool{}
	for _, m := range []Chains{new, old} {
		for k := range m {
			keys[k] = true
		}
	}
	order := make([]string, 0, len(keys))
	for k := range keys {
		order = append(order, k)
	}
	sort.Strings(order)
	d := &Diff{}
	for _, k := range order {
		plus, minus, n := Multiset(old[k], new[k])
		d.Same += n
		moved := Moves(old[k], new[k])
		if len(plus)+len(minus)+len(moved) == 0 {
			continue
		}
		d.Chains = append(d.Chains, ChainDiff{Chain: k, Removed: minus, Added: plus, Moved: moved})
		d.Added += countRules(plus)
		d.Removed += countRules(minus)
		d.Moved += len(moved)
	}
	return d
}

// Write prints the difference the way apply --dry-run shows it.
func (d *Diff) Write(w io.Writer) {
	fmt.Fprintln(w, "# difference from what is loaded now (- loaded now, + would be loaded, ~ moved):")
	for _, c := range d.Chains {
		fmt.Fprintf(w, "%s:\n", c.Chain)
		for _, l := range c.Removed {
			fmt.Fprintf(w, "-\t%s\n", l)
		}
		for _, l := range c.Added {
			fmt.Fprintf(w, "+\t%s\n", l)
		}
		for _, m := range c.Moved {
			fmt.Fprintf(w, "~\t%s\t(rule %d, now rule %d)\n", m.Line, m.From, m.To)
		}
	}
	fmt.Fprintf(w, "# %d rules added, %d removed, %d moved, %d lines unchanged\n", d.Added, d.Removed, d.Moved, d.Same-d.Moved)
}

func countRules(ls []string) int {
	n := 0
	for _, l := range ls {
		if isRule(l) {
			n++
		}
	}
	return n
}

func isRule(l string) bool {
	return !strings.HasPrefix(l, "policy ") && !strings.HasPrefix(l, "type ") && !strings.HasPrefix(l, "comment ")
}

// Multiset matches equal lines regardless of position and returns what
// only new has (plus, in new's order), what only old has (minus, in old's
// order) and how many lines matched.
func Multiset(old, new []string) (plus, minus []string, same int) {
	count := map[string]int{}
	for _, l := range old {
		count[l]++
	}
	for _, l := range new {
		if count[l] > 0 {
			count[l]--
			same++
			continue
		}
		plus = append(plus, l)
	}
	for _, l := range old {
		if count[l] > 0 {
			count[l]--
			minus = append(minus, l)
		}
	}
	return plus, minus, same
}
