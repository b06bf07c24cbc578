package verify

import (
	"fmt"
	"net/netip"
	"reflect"
	"slices"
	"sort"
	"strings"

	"github.com/ruleshift/ruleshift/translate/ir"
)

// maxIfaces bounds the interfaces of F; each is a veth pair per side.
const maxIfaces = 32

// maxRoutable is how many interfaces forwarded probes can leave by: one
// routing class per DSCP value that "ip rule ... tos" can select (1-7).
const maxRoutable = 7

// validIfName is the kernel's dev_valid_name.
func validIfName(n string) bool {
	return n != "" && len(n) <= 15 && n != "." && n != ".." && !strings.ContainsAny(n, "/: \t\n")
}

// interfaces names F's interfaces after those the rules use, most used
// first: exact names as they are, a wildcard "ppp+" as "ppp0" unless some
// name already has its prefix, at least two, and one more that no rule
// names, for "any other interface". It also returns the wildcards.
func interfaces(sets []*ir.Ruleset) (names, wild []string) {
	count := map[string]int{}
	var order []string
	for _, rs := range sets {
		for _, t := range rs.Tables {
			for _, c := range t.Chains {
				for _, r := range c.Rules {
					for _, m := range r.Matches {
						if i, ok := m.(*ir.Iface); ok && i.Name != "lo" && i.Name != "+" {
							if count[i.Name] == 0 {
								order = append(order, i.Name)
							}
							count[i.Name]++
						}
					}
				}
			}
		}
	}
	sort.SliceStable(order, func(a, b int) bool { return count[order[a]] > count[order[b]] })
	for _, n := range order {
		if base, ok := strings.CutSuffix(n, "+"); ok {
			wild = append(wild, base)
		} else if validIfName(n) && !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	for _, w := range wild {
		if slices.ContainsFunc(names, func(n string) bool { return strings.HasPrefix(n, w) }) {
			continue
		}
		n := w + "0"
		if len(n) > 15 {
			n = w
		}
		if validIfName(n) {
			names = append(names, n)
		}
	}
	for _, d := range []string{"eth0", "eth1"} {
		if len(names) < 2 && !slices.Contains(names, d) {
			names = append(names, d)
		}
	}
	names = names[:min(len(names), maxIfaces-1)]
	if n := unmatchedName(names, wild); n != "" {
		names = append(names, n)
	}
	return names, wild
}

// unmatchedName is an interface name no rule names and no wildcard
// matches, or "" when the wildcards leave none.
func unmatchedName(names, wild []string) string {
	for _, base := range []string{"vx", "zq", "qz", "x", "z", "q", "_"} {
		for i := 0; i < 10; i++ {
			n := fmt.Sprintf("%s%d", base, i)
			if !slices.Contains(names, n) && !slices.ContainsFunc(wild, func(w string) bool { return strings.HasPrefix(n, w) }) {
				return n
			}
		}
	}
	return ""
}

var (
	prefixType = reflect.TypeFor[netip.Prefix]()
	addrType   = reflect.TypeFor[netip.Addr]()
	rangeType  = reflect.TypeFor[ir.PortRange]()
)

// harvest adds every address, prefix, port range and protocol of t's
// rules to the pools for random probes. It walks the match and target
// structs by reflection, so kinds added to the model later feed the pools
// without a change here.
func (g *gen) harvest(t *ir.Table, f ir.Family) {
	pl := g.pools[f]
	for _, st := range t.Sets {
		for _, e := range st.All() {
			g.walk(pl, reflect.ValueOf(e), f)
		}
	}
	for _, c := range t.Chains {
		for _, r := range c.Rules {
			for _, m := range r.Matches {
				switch m := m.(type) {
				case *ir.Protocol:
					if !m.All && m.Num != 0 && !slices.Contains(pl.protos, m.Num) {
						pl.protos = append(pl.protos, m.Num)
					}
				case *ir.ICMP:
					if !m.Any {
						pl.icmp = append(pl.icmp, m.Type)
					}
				}
				g.walk(pl, reflect.ValueOf(m), f)
			}
			if r.Target != nil {
				g.walk(pl, reflect.ValueOf(r.Target), f)
			}
		}
	}
}

func (g *gen) walk(pl *pool, v reflect.Value, f ir.Family) {
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			g.walk(pl, v.Elem(), f)
		}
		return
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			g.walk(pl, v.Index(i), f)
		}
		return
	case reflect.Struct:
	default:
		return
	}
	switch v.Type() {
	case prefixType:
		if p := v.Interface().(netip.Prefix); p.IsValid() && p.Addr().Is6() == (f == ir.IPv6) {
			pl.addrs = append(pl.addrs, prefixEdges(p, g.rng)...)
		}
		return
	case addrType:
		if a := v.Interface().(netip.Addr); usable(a) && a.Is6() == (f == ir.IPv6) {
			pl.addrs = append(pl.addrs, a, a.Next(), a.Prev())
		}
		return
	case rangeType:
		pl.ports = append(pl.ports, portEdges(v.Interface().(ir.PortRange), g.rng)...)
		return
	}
	for i := 0; i < v.NumField(); i++ {
		if v.Type().Field(i).IsExported() {
			g.walk(pl, v.Field(i), f)
		}
	}
}

// choose picks n probes: a tenth random ones, the rest first from the
// probes meeting a rule and then from the edges, sampled by the seed when
// there are more; duplicates are dropped.
func (g *gen) choose(n int, fams []ir.Family) []*Probe {
	seen := map[string]bool{}
	var out []*Probe
	add := func(p *Probe) bool {
		p.Dst, p.Src = fixUnusable(p.Dst), fixUnusable(p.Src)
		k := p.key()
		if seen[k] {
			return false
		}
		seen[k] = true
		out = append(out, p)
		return true
	}
	ruleBudget := n - n/10
	for _, tier := range g.tiers {
		idx := g.rng.Perm(len(tier))
		if len(out)+len(tier) > ruleBudget {
			idx = idx[:max(0, ruleBudget-len(out))]
		}
		slices.Sort(idx) // keep rule order: stateful rules see the same sequence
		for _, i := range idx {
			add(tier[i])
		}
	}
	for tries := 0; len(out) < n && tries < 3*n; tries++ {
		add(g.random(fams[g.rng.IntN(len(fams))]))
	}
	for i, p := range out {
		p.ID = i + 1
		finishIDs(p)
	}
	return out
}

// fixUnusable swaps an address the kernel would drop as a martian for a
// documentation address of the same family, so the probe still tests the
// rest of the rule.
func fixUnusable(a netip.Addr) netip.Addr {
	if usable(a) || !a.IsValid() {
		return a
	}
	if a.Is4() {
		return netip.MustParseAddr("198.51.100.99")
	}
	return netip.MustParseAddr("2001:db8:99::99")
}

// finishIDs derives the fields that tell a probe's packets apart from its
// ID: the source port when free, TCP sequence numbers and echo ids.
func finishIDs(p *Probe) {
	if p.autoSport {
		p.Sport = uint16(10000 + p.ID%50000)
	}
	if p.Seq == 0 {
		p.Seq = seqBase + uint32(p.ID)*16
	}
	if p.Flags&flagACK != 0 && p.Ack == 0 {
		p.Ack = ackBase + uint32(p.ID)*16
	}
	if p.EchoID == 0 && p.Orig == nil {
		p.EchoID, p.EchoSeq = uint16(p.ID), uint16(p.ID>>16)
	}
}

// random is a probe from the values the rules use, or any value.
func (g *gen) random(f ir.Family) *Probe {
	pl := g.pools[f]
	p := g.base(f, Path(1+g.rng.IntN(3)))
	p.Why = "random"
	p.Proto = pl.protos[g.rng.IntN(len(pl.protos))]
	pickAddr := func() netip.Addr {
		if len(pl.addrs) > 0 && g.rng.IntN(4) != 0 {
			return pl.addrs[g.rng.IntN(len(pl.addrs))]
		}
		return randomAddr(f == ir.IPv6, g.rng)
	}
	pickPort := func() uint16 {
		if len(pl.ports) > 0 && g.rng.IntN(4) != 0 {
			return pl.ports[g.rng.IntN(len(pl.ports))]
		}
		return uint16(g.rng.UintN(65536))
	}
	if g.rng.IntN(3) != 0 {
		p.Src = pickAddr()
	}
	if g.rng.IntN(3) != 0 {
		p.Dst = pickAddr()
	}
	p.Dport = pickPort()
	if g.rng.IntN(3) == 0 {
		p.Sport, p.autoSport = pickPort(), false
	}
	p.Flags = []uint8{flagSYN, flagSYN, flagACK, flagSYN | flagACK, flagFIN | flagACK, flagRST}[g.rng.IntN(6)]
	if isICMP(p.Proto) {
		p.Type = echoType(f)
		if len(pl.icmp) > 0 && g.rng.IntN(2) == 0 {
			p.Type = pl.icmp[g.rng.IntN(len(pl.icmp))]
		}
	}
	if p.In != "" {
		p.In = g.ifaces[g.rng.IntN(len(g.ifaces))]
	}
	switch p.Path {
	case Output:
		p.Out = g.ifaces[g.rng.IntN(len(g.ifaces))]
	case Forward:
		p.Out = g.routable[g.rng.IntN(len(g.routable))]
	}
	return p
}

// localAddrs are the destinations of input probes that no probe from a
// peer uses as a source: F holds them. A peer's address must stay
// foreign, as on a real network. F's own probes may come from an address
// F holds (the reverse of an input probe does): the reject answers to
// them still reach the wire, by routing rule 35 (topo.go).
func localAddrs(ps []*Probe) []netip.Addr {
	src := map[netip.Addr]bool{}
	for _, p := range ps {
		if p.Path != Output {
			src[p.Src] = true
		}
	}
	seen := map[netip.Addr]bool{}
	var out []netip.Addr
	for _, p := range ps {
		if p.Path == Input && !src[p.Dst] && !seen[p.Dst] {
			seen[p.Dst] = true
			out = append(out, p.Dst)
		}
	}
	return out
}
