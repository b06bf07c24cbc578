package passes

import (
	"github.com/ruleshift/ruleshift/translate/ir"
)

// MergeInet merges each IPv4 table with the IPv6 table of the same name
// into one inet table, as nftables lets one table hold both families. A
// rule the two tables share (at positions a longest common subsequence
// of the two chains aligns, and the same by the backend's judgement: the
// IPv4 rule means for an IPv4 packet what the IPv6 rule means for an IPv6
// packet, written once) is kept once, as its IPv4 rule; every other rule is kept for its own family, behind a
// leading NFProto match. Packets of one family never meet the other
// family's rules, so the merged chain treats every packet as its own
// family's chain did: the shared rules keep their order relative to both
// families' rules, and the rules of different families need no order.
//
// Tables merge only when they have the same chains, in the same order,
// with the same hooks, priorities and policies; others stay as they are.
// Named sets are per family (an nft set holds one address family): they
// are renamed NAME_v4 and NAME_v6, with the lookups that use them.
func MergeInet(rs *ir.Ruleset, same func(r4, r6 *ir.Rule) bool) *ir.Ruleset {
	out := &ir.Ruleset{}
	done := map[*ir.Table]bool{}
	for _, t := range rs.Tables {
		if done[t] {
			continue
		}
		if t.Family != ir.IPv4 {
			out.Tables = append(out.Tables, t)
			continue
		}
		var t6 *ir.Table
		for _, u := range rs.Tables {
			if u.Family == ir.IPv6 && u.Name == t.Name {
				t6 = u
			}
		}
		if t6 == nil || !sameChains(t, t6) {
			out.Tables = append(out.Tables, t)
			continue
		}
		done[t6] = true
		out.Tables = append(out.Tables, mergeTables(t, t6, same))
	}
	return out
}

// sameChains reports whether two tables have the same chains in order,
// with the same base chain settings.
func sameChains(a, b *ir.Table) bool {
	if len(a.Chains) != len(b.Chains) {
		return false
	}
	for i, c := range a.Chains {
		d := b.Chains[i]
		if c.Name != d.Name || c.MirrorOf != "" || d.MirrorOf != "" || (c.Base == nil) != (d.Base == nil) {
			return false
		}
		if c.Base != nil && *c.Base != *d.Base {
			return false
		}
	}
	return true
}

// maxAlign bounds the longest-common-subsequence table of one chain; a
// larger chain keeps every rule per family (still exact, only longer).
const maxAlign = 4 << 20

func mergeTables(t4, t6 *ir.Table, same func(r4, r6 *ir.Rule) bool) *ir.Table {
	m := &ir.Table{Family: ir.Inet, Name: t4.Name, Src: t4.Src}
	r4 := renameSets(t4, "_v4", m)
	r6 := renameSets(t6, "_v6", m)
	for i, c4 := range t4.Chains {
		c6 := t6.Chains[i]
		a, b := renamed(c4.Rules, r4), renamed(c6.Rules, r6)
		c := &ir.Chain{Name: c4.Name, Base: c4.Base, Src: c4.Src}
		c.Rules = mergeRules(a, b, same)
		m.Chains = append(m.Chains, c)
	}
	return m
}

// renameSets copies t's sets into m with suffix added to their names and
// returns the renaming.
func renameSets(t *ir.Table, suffix string, m *ir.Table) map[string]string {
	names := map[string]string{}
	for _, s := range t.Sets {
		c := *s
		c.Name = s.Name + suffix
		names[s.Name] = c.Name
		m.Sets = append(m.Sets, &c)
	}
	return names
}

// renamed returns the rules with their set lookups renamed; rules without
// lookups are shared, not copied.
func renamed(rules []*ir.Rule, names map[string]string) []*ir.Rule {
	if len(names) == 0 {
		return rules
	}
	out := make([]*ir.Rule, len(rules))
	for i, r := range rules {
		out[i] = r
		for j, mt := range r.Matches {
			ref, ok := mt.(*ir.SetRef)
			if !ok || names[ref.Name] == "" {
				continue
			}
			if out[i] == r {
				c := *r
				c.Matches = append([]ir.Match(nil), r.Matches...)
				out[i] = &c
			}
			nr := *ref
			nr.Name = names[ref.Name]
			out[i].Matches[j] = &nr
		}
	}
	return out
}

// mergeRules aligns the rules of the two families: shared rules once, the
// others behind their family's NFProto match, each family's rules in
// their order.
func mergeRules(a, b []*ir.Rule, sameRule func(r4, r6 *ir.Rule) bool) []*ir.Rule {
	same := func(i, j int) bool { return sameRule(a[i], b[j]) }
	n, m := len(a), len(b)
	var lcs [][]int32
	if (n+1)*(m+1) <= maxAlign {
		lcs = make([][]int32, n+1)
		for i := range lcs {
			lcs[i] = make([]int32, m+1)
		}
		for i := n - 1; i >= 0; i-- {
			for j := m - 1; j >= 0; j-- {
				switch {
				case same(i, j):
					lcs[i][j] = lcs[i+1][j+1] + 1
				case lcs[i+1][j] >= lcs[i][j+1]:
					lcs[i][j] = lcs[i+1][j]
				default:
					lcs[i][j] = lcs[i][j+1]
				}
			}
		}
	}
	var out []*ir.Rule
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case lcs != nil && i < n && j < m && same(i, j) && lcs[i][j] == lcs[i+1][j+1]+1:
			out = append(out, a[i])
			i, j = i+1, j+1
		case i < n && (j == m || lcs == nil || lcs[i+1][j] >= lcs[i][j+1]):
			out = append(out, guarded(a[i], ir.IPv4))
			i++
		default:
			out = append(out, guarded(b[j], ir.IPv6))
			j++
		}
	}
	return out
}

// guarded returns a copy of r that only packets of family f meet.
func guarded(r *ir.Rule, f ir.Family) *ir.Rule {
	c := *r
	c.Matches = append([]ir.Match{&ir.NFProto{At: ir.At{Src: r.Src}, Family: f}}, r.Matches...)
	return &c
}
