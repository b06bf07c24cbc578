package optimize

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/ruleshift/ruleshift/translate/ir"
)

// registry holds the address sets the optimiser made for one table, one
// per distinct list of elements, so that identical lists are one set.
type registry struct {
	t      *ir.Table
	byName map[string]*optSet
	byKey  map[string]*optSet
	n      int
}

type optSet struct {
	name  string
	addrs []netip.Prefix
	v6    bool
}

// setPrefix starts the names of the sets the optimiser makes.
const setPrefix = "opt_addr_"

func newRegistry(t *ir.Table) *registry {
	return &registry{t: t, byName: map[string]*optSet{}, byKey: map[string]*optSet{}}
}

// name returns the set holding exactly addrs (sorted, no duplicates),
// making it when there is none yet.
func (g *registry) name(addrs []netip.Prefix) string {
	var b strings.Builder
	for _, a := range addrs {
		b.WriteString(a.String())
		b.WriteByte(',')
	}
	k := b.String()
	if s := g.byKey[k]; s != nil {
		return s.name
	}
	for {
		g.n++
		name := fmt.Sprintf("%s%d", setPrefix, g.n)
		if g.t.Set(name) == nil {
			s := &optSet{name: name, addrs: addrs, v6: !addrs[0].Addr().Is4()}
			g.byKey[k], g.byName[name] = s, s
			return name
		}
	}
}

// declare adds to the table the sets its rules still look up (a set of
// an early round that a later round merged again is gone), numbered
// again in the order the rules first use them.
func (g *registry) declare(t *ir.Table) int {
	used := map[string]bool{}
	var order []string
	for _, c := range t.Chains {
		for _, r := range c.Rules {
			for _, m := range r.Matches {
				if ref, ok := m.(*ir.SetRef); ok && g.byName[ref.Name] != nil && !used[ref.Name] {
					used[ref.Name] = true
					order = append(order, ref.Name)
				}
			}
		}
	}
	rename := map[string]string{}
	n := 0
	for _, old := range order {
		s := g.byName[old]
		var name string
		for {
			n++
			name = fmt.Sprintf("%s%d", setPrefix, n)
			if t.Set(name) == nil {
				break
			}
		}
		rename[old] = name
		// A hash set when every element is one address: a lookup is one
		// hash, whatever the size (an interval set walks an rbtree).
		// Prefixes need an interval set; nested ones were joined (union).
		set := &ir.Set{Name: name, Key: ir.SetKeyIPv4, Flags: ir.SetConstant}
		if s.v6 {
			set.Key = ir.SetKeyIPv6
		}
		for _, a := range s.addrs {
			if !a.IsSingleIP() {
				set.Flags |= ir.SetInterval
			}
			set.Elements = append(set.Elements, ir.SetElem{Prefix: a})
		}
		t.Sets = append(t.Sets, set)
	}
	for _, c := range t.Chains {
		for _, r := range c.Rules {
			for i, m := range r.Matches {
				if ref, ok := m.(*ir.SetRef); ok && rename[ref.Name] != "" {
					nr := *ref
					nr.Name = rename[ref.Name]
					r.Matches[i] = &nr
				}
			}
		}
	}
	return len(order)
}
