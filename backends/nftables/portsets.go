package nftables

import (
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/google/nftables/expr"
	"github.com/google/nftables/userdata"
	"github.com/ruleshift/ruleshift/backends/nftables/stmt"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// Shared port lists. nft loads each multiport list as an anonymous set,
// and the kernel makes every new set of a table cost time in proportion
// to the sets the table already holds (nf_tables_newset and the name
// lookups of newsetelem and nft_lookup_init walk table->sets): 12,500
// multiport rules cost seconds in nf_tables alone, while iptables-nft keeps
// them as xtables matches. A list that two or more rules of a table use is
// therefore declared once, as a named set the table owns, and the rules
// look it up by name: the same matches, one set instead of many. A list
// used once stays an anonymous set, as nft writes it.

// portSetPrefix starts the names of shared port sets.
const portSetPrefix = "multiport_"

// portPlan holds a table's shared port sets, and the set each multiport
// match that uses one looks up.
type portPlan struct {
	byMatch map[*ir.Multiport]*stmt.Set
	order   []*stmt.Set
}

// planPortSets finds the port lists of t that more than one multiport
// match uses.
func planPortSets(t *ir.Table) *portPlan {
	count := map[string]int{}
	var keys []string
	var lists [][]ir.PortRange
	users := map[string][]*ir.Multiport{}
	for _, c := range t.Chains {
		for _, r := range c.Rules {
			for _, m := range r.Matches {
				mp, ok := m.(*ir.Multiport)
				if !ok || mp.Dir == ir.Both || len(mp.Ports) < 2 {
					continue
				}
				canon := canonPorts(mp.Ports)
				k := portKey(canon)
				if count[k] == 0 {
					keys = append(keys, k)
					lists = append(lists, canon)
				}
				count[k]++
				users[k] = append(users[k], mp)
			}
		}
	}
	p := &portPlan{byMatch: map[*ir.Multiport]*stmt.Set{}}
	for i, k := range keys {
		if count[k] < 2 {
			continue
		}
		s := &stmt.Set{Name: fmt.Sprintf("%s%d", portSetPrefix, len(p.order)+1), Key: stmt.InetService, KeyLen: 2}
		for _, r := range lists[i] {
			e := stmt.Elem{From: be16(r.Lo)}
			if !r.Single() {
				e.To = be16(r.Hi)
				s.Interval = true
			}
			s.Elems = append(s.Elems, e)
		}
		for _, mp := range users[k] {
			p.byMatch[mp] = s
		}
		p.order = append(p.order, s)
	}
	return p
}

// shared returns the named set a multiport match looks up, or nil.
func (p *portPlan) shared(m *ir.Multiport) *stmt.Set {
	if p == nil {
		return nil
	}
	return p.byMatch[m]
}

// canonPorts sorts a port list and merges what overlaps or touches: the
// same membership, in the only form a named interval set takes (nft
// refuses overlapping elements in a declaration without auto-merge).
func canonPorts(ps []ir.PortRange) []ir.PortRange {
	out := slices.Clone(ps)
	slices.SortFunc(out, func(a, b ir.PortRange) int { return int(a.Lo) - int(b.Lo) })
	merged := out[:0]
	for _, r := range out {
		if n := len(merged); n > 0 && int(r.Lo) <= int(merged[n-1].Hi)+1 {
			merged[n-1].Hi = max(merged[n-1].Hi, r.Hi)
			continue
		}
		merged = append(merged, r)
	}
	return merged
}

// portKey identifies a canonical port list: four bytes a range (fmt here
// cost 6% of translating 25,000 multiport rules).
func portKey(ps []ir.PortRange) string {
	b := make([]byte, 0, 4*len(ps))
	for _, r := range ps {
		b = binary.BigEndian.AppendUint16(b, r.Lo)
		b = binary.BigEndian.AppendUint16(b, r.Hi)
	}
	return string(b)
}

// declText writes a shared port set's declaration as nft text.
func declText(s *stmt.Set) string {
	var b []byte
	b = append(b, "set "...)
	b = append(b, s.Name...)
	b = append(b, " { type inet_service; "...)
	if s.Interval {
		b = append(b, "flags interval; "...)
	}
	b = append(b, "elements = "...)
	anon := *s
	anon.Name = ""
	b = stmt.AppendSet(b, &anon)
	return string(append(b, " }"...))
}

// addPortSets writes the table's shared port sets as nft 1.0.6 sends
// "set NAME { type inet_service; [flags interval;] elements = { … } }",
// before the rules that look them up by name.
func (b *batch) addPortSets(t *nlTable, p *portPlan, o origin) {
	for _, s := range p.order {
		rs := make([][2]uint64, len(s.Elems))
		for i, e := range s.Elems {
			to := e.To
			if to == nil {
				to = e.From
			}
			rs[i] = [2]uint64{beUint(e.From), beUint(to)}
		}
		// portSet encodes the elements as for an anonymous set of the
		// same ports; a named set differs in its flags and user data.
		ns := portSet(rs, 0, 0)
		ns.flags = 0
		if s.Interval {
			ns.flags = setInterval
		}
		ns.udata = userdata.AppendUint32(nil, udataSetKeyByteorder, byteorderBig)
		ns.lookup = &expr.Lookup{SetName: s.Name}
		b.setID++
		b.addSet(t, ns, o)
		b.place.handle++
	}
}
