package optimize

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/ruleshift/ruleshift/translate/ir"
	"github.com/ruleshift/ruleshift/translate/passes/pktset"
)

// Verdict maps: after the set merges, rules that differ in one field and
// in their verdict (ACCEPT, DROP, RETURN; nothing else, so no LOG, no
// REJECT, no jump) become one rule looking the field up in a map from
// values to verdicts. A packet meets the first rule whose value holds it;
// in a map, the element that holds it. The two agree when no value of
// one verdict overlaps a value of another, which the merge requires
// (values of the same verdict may overlap: they join). As for sets, a
// rule moves up to the first only past rules it commutes with.

// mapRound merges the items of a chain into verdict maps.
func mapRound(pt *pktset.Table, t *ir.Table, c *ir.Chain, items []*item, reg *registry, rep *Report) []*item {
	n := len(items)
	ch := engineChain(pt, c, items)
	ex := make([][numFields]cand, n)
	buckets := map[string][]int{}
	for i, it := range items {
		if !mappable(it.cur, &ch.Rules[i]) {
			continue
		}
		for f := field(0); f < numFields; f++ {
			h, v, ok := extract(it.cur, f, reg)
			if !ok {
				continue
			}
			k := shapeKey(it.cur, f, h, false) + category(it.cur)
			ex[i][f] = cand{h, v, k, true}
			buckets[k] = append(buckets[k], i)
		}
	}
	consumed := make([]bool, n)
	for i := 0; i < n; i++ {
		if consumed[i] {
			continue
		}
		var best *group
		for f := field(0); f < numFields; f++ {
			if !ex[i][f].ok {
				continue
			}
			g := growMap(ch, items, ex, buckets[ex[i][f].key], consumed, i, f)
			if verdicts(items, g) > 1 && (best == nil || len(g.members) > len(best.members)) {
				best = g
			}
		}
		if best == nil {
			continue
		}
		rep.refuse(best.refused)
		items[i] = combineMap(items, ex, best)
		for _, j := range best.members[1:] {
			consumed[j] = true
		}
		m := Merge{Table: t.Name, Chain: c.Name, Family: t.Family, Field: best.f.String() + " verdict map", Moves: best.moves}
		switch x := items[i].cur.Target.(type) {
		case *ir.VerdictMap:
			m.Elements = len(x.Elems)
		case *ir.NATMap:
			m.Field, m.Elements = best.f.String()+" "+strings.ToLower(x.Name())+" map", len(x.Elems)
		}
		for _, r := range items[i].srcs {
			m.Sources = append(m.Sources, r.Src)
		}
		rep.Merges = append(rep.Merges, m)
	}
	out := items[:0]
	for i, it := range items {
		if !consumed[i] {
			out = append(out, it)
		}
	}
	return out
}

// mappable: the rule ends in a plain verdict, and nothing else happens,
// or in a jump or goto with no other effect of its own.
func mappable(r *ir.Rule, e *pktset.Rule) bool {
	switch t := r.Target.(type) {
	case *ir.Jump:
		return !e.Stateful && !e.Modifies
	case *ir.DNAT:
		return simpleNAT(t.To, t.Random || t.Persistent) && !e.Stateful && !e.Modifies
	case *ir.SNAT:
		return simpleNAT(t.To, t.Random || t.Persistent || t.RandomFully) && !e.Stateful && !e.Modifies
	}
	v, ok := r.Target.(*ir.Verdict)
	return ok && (v.Kind == ir.Accept || v.Kind == ir.Drop || v.Kind == ir.Return) && e.Stops && !e.Effects && !e.Stateful && !e.Modifies
}

// simpleNAT: one IPv4 address, at most one port, no flags; what a NAT
// map's element holds.
func simpleNAT(r ir.NATRange, flags bool) bool {
	return !flags && r.HasAddr() && r.MinAddr == r.MaxAddr && r.MinAddr.Is4() && r.BasePort == 0 && (r.Ports == nil || r.Ports.Single())
}

// vkey is a rule's verdict as a map element holds it: a verdict, a jump
// or goto, or the address and port of a DNAT or SNAT.
type vkey struct {
	kind  ir.VerdictKind
	chain string
	goto_ bool
	nat   natData
}

type natData struct {
	snat, hasPort bool
	addr          netip.Addr
	port          uint16
}

func verdictOf(r *ir.Rule) vkey {
	switch t := r.Target.(type) {
	case *ir.Jump:
		return vkey{chain: t.Chain, goto_: t.Goto}
	case *ir.DNAT:
		return vkey{kind: "DNAT", nat: natOf(t.To, false)}
	case *ir.SNAT:
		return vkey{kind: "SNAT", nat: natOf(t.To, true)}
	}
	return vkey{kind: r.Target.(*ir.Verdict).Kind}
}

func natOf(r ir.NATRange, snat bool) natData {
	d := natData{snat: snat, addr: r.MinAddr}
	if r.Ports != nil {
		d.hasPort, d.port = true, r.Ports.Lo
	}
	return d
}

// category keeps apart the rules one map cannot hold together: verdicts
// and jumps, DNATs, SNATs, and those with a port from those without.
func category(r *ir.Rule) string {
	switch k := verdictOf(r); {
	case k.kind == "DNAT" || k.kind == "SNAT":
		return fmt.Sprintf("%s/%v", k.kind, k.nat.hasPort)
	}
	return "verdict"
}

func verdicts(items []*item, g *group) int {
	seen := map[vkey]bool{}
	for _, j := range g.members {
		seen[verdictOf(items[j].cur)] = true
	}
	return len(seen)
}

// growMap is grow for a verdict map: a later rule joins when it moves up
// to i past the rules between that stay, and its value overlaps no value
// of a member with another verdict.
func growMap(ch *pktset.Chain, items []*item, ex [][numFields]cand, bucket []int, consumed []bool, i int, f field) *group {
	g := &group{f: f, members: []int{i}}
	in := map[int]bool{i: true}
	for _, j := range after(bucket, i) {
		if g.work >= maxWork || len(g.refused) >= maxRefused {
			break
		}
		if consumed[j] {
			continue
		}
		ref := Refusal{Rule: items[j].srcs[0].Src, Into: items[i].srcs[0].Src, Field: f.String() + " verdict map"}
		vj := verdictOf(items[j].cur)
		clash := -1
		for _, m := range g.members {
			// A jump's values must not overlap even those of another
			// jump to the same chain: a packet in both jumped twice.
			// NAT maps' elements never overlap either.
			vm := verdictOf(items[m].cur)
			if (vm != vj || vj.chain != "" || vj.nat.addr.IsValid()) && !disjoint(ex[m][f].v, ex[j][f].v) {
				clash = m
				break
			}
		}
		if clash >= 0 {
			ref.Why = fmt.Sprintf("its values overlap those of %s, which decides otherwise", items[clash].srcs[0].Src)
			g.refused = append(g.refused, ref)
			continue
		}
		g.admit(ch, items, consumed, in, i, j, ref)
	}
	return g
}

// combineMap makes the verdict-map rule of a group: the first rule
// without its test of the field, and a map of each verdict's values.
func combineMap(items []*item, ex [][numFields]cand, g *group) *item {
	i := g.members[0]
	gm := gather(items, g.members)
	byVerdict := map[vkey][]value{}
	var order []vkey
	for _, j := range g.members {
		k := verdictOf(items[j].cur)
		if byVerdict[k] == nil {
			order = append(order, k)
		}
		byVerdict[k] = append(byVerdict[k], ex[j][g.f].v)
	}
	vm := &ir.VerdictMap{Field: mapFields[g.f]}
	if p, ok := items[i].cur.Target.(interface{ Pos() ir.Pos }); ok {
		vm.Src = p.Pos()
	}
	var nm *ir.NATMap
	if order[0].nat.addr.IsValid() {
		nm = &ir.NATMap{At: vm.At, SNAT: order[0].nat.snat, Field: vm.Field, Ports: order[0].nat.hasPort}
	}
	for _, k := range order {
		u := union(g.f, byVerdict[k])
		el := ir.MapElem{Verdict: k.kind, Chain: k.chain, Goto: k.goto_}
		for _, a := range u.addrs {
			el.Prefix = a
			vm.Elems = append(vm.Elems, el)
		}
		el.Prefix = netip.Prefix{}
		for _, p := range u.ports {
			el.Ports = p
			vm.Elems = append(vm.Elems, el)
		}
		el.Ports = ir.PortRange{}
		for _, x := range u.vals {
			el.Value = x
			vm.Elems = append(vm.Elems, el)
		}
	}
	var target ir.Target = vm
	if nm != nil {
		// The elements in the order the verdicts came, each verdict's
		// values together: the same order as vm's.
		n := 0
		for _, k := range order {
			u := union(g.f, byVerdict[k])
			for range u.size() {
				e := vm.Elems[n]
				nm.Elems = append(nm.Elems, ir.NATMapElem{Prefix: e.Prefix, Ports: e.Ports, Value: e.Value, Addr: k.nat.addr, Port: k.nat.port})
				n++
			}
		}
		target = nm
	}
	r := *items[i].cur
	r.Matches = nil
	h := ex[i][g.f].h
	for k, m := range items[i].cur.Matches {
		if _, ok := m.(*ir.Comment); ok && !gm.sameComment {
			continue
		}
		if k == h.idx {
			if h.rest != nil {
				r.Matches = append(r.Matches, h.rest)
			}
			continue
		}
		r.Matches = append(r.Matches, m)
	}
	r.Target = target
	r.Counters = gm.cnt
	return &item{cur: &r, srcs: gm.srcs, set: gm.set}
}
