package rulediff

import "sort"

// Move is a rule both sides hold at another place relative to the other
// rules both hold. From and To are its rule numbers (1 is the first rule
// of the chain) on the loaded and the new side.
type Move struct {
	Line     string
	From, To int
}

// Moves finds the fewest rules that changed place between old and new.
// The k-th copy of a rule on one side is matched with its k-th copy on the
// other; the matched rules, in new's order, carry their old numbers, and
// the longest increasing run of those (found in O(n log n)) stayed in
// place: every other matched rule moved. Added and removed rules shift
// numbers without moving anything.
func Moves(old, new []string) []Move {
	oldNum := map[string][]int{}
	n := 0
	for _, l := range old {
		if isRule(l) {
			n++
			oldNum[l] = append(oldNum[l], n)
		}
	}
	type pair struct {
		line     string
		from, to int
	}
	var both []pair
	n = 0
	for _, l := range new {
		if !isRule(l) {
			continue
		}
		n++
		if q := oldNum[l]; len(q) > 0 {
			both = append(both, pair{l, q[0], n})
			oldNum[l] = q[1:]
		}
	}
	// Longest increasing subsequence of from, by patience sorting: tails[i]
	// is the index in both of the smallest tail of a run of length i+1.
	var tails []int
	prev := make([]int, len(both))
	for i, p := range both {
		j := sort.Search(len(tails), func(j int) bool { return both[tails[j]].from >= p.from })
		prev[i] = -1
		if j > 0 {
			prev[i] = tails[j-1]
		}
		if j == len(tails) {
			tails = append(tails, i)
		} else {
			tails[j] = i
		}
	}
	stay := make([]bool, len(both))
	if len(tails) > 0 {
		for i := tails[len(tails)-1]; i >= 0; i = prev[i] {
			stay[i] = true
		}
	}
	var out []Move
	for i, p := range both {
		if !stay[i] {
			out = append(out, Move{Line: p.line, From: p.from, To: p.to})
		}
	}
	return out
}
