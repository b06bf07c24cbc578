package verify

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"sort"

	"github.com/ruleshift/ruleshift/translate/ir"
	"github.com/ruleshift/ruleshift/translate/passes"
)

// DefaultProbes is the number of probes verify sends when not told.
const DefaultProbes = 2000

// maxProbes bounds a run: IPv4 probes are told apart by their 16-bit IP
// ID, and replies take IDs after the originals.
const maxProbes = 30000

// GenOptions tune Generate.
type GenOptions struct {
	// Probes is how many original probes to make (replies of accepted flows
	// come on top); 0 means DefaultProbes.
	Probes int
	Seed   uint64
}

// Plan is what the runner needs: the probes and the topology they assume.
type Plan struct {
	Probes []*Probe
	// Ifaces are the interfaces of F, named after those the rules use.
	Ifaces []string
	// Routable are the interfaces a forwarded probe can leave by (at most
	// maxRoutable: each is one routing class, see topo.go).
	Routable []string
	// Local are the addresses F holds, so that address-type matches see
	// input probes' destinations as local.
	Local    []netip.Addr
	Families []ir.Family
}

// Default addresses of the two peers and of F, from the documentation
// ranges (RFC 5737, RFC 3849).
var defaults = map[ir.Family][3]netip.Addr{
	ir.IPv4: {netip.MustParseAddr("198.51.100.10"), netip.MustParseAddr("192.0.2.20"), netip.MustParseAddr("203.0.113.1")},
	ir.IPv6: {netip.MustParseAddr("2001:db8:a::10"), netip.MustParseAddr("2001:db8:b::20"), netip.MustParseAddr("2001:db8:f::1")},
}

type gen struct {
	rng      *rand.Rand
	ifaces   []string
	wild     []string
	routable []string
	tiers    [2][]*Probe // 0: a probe meeting a rule; 1: edges around it
	pools    map[ir.Family]*pool
	// sets are the named sets of the table being read.
	sets map[string]*ir.Set
}

// pool collects values seen anywhere in the rules, for random probes.
type pool struct {
	addrs  []netip.Addr
	ports  []uint16
	protos []uint8
	icmp   []uint8
}

// Generate makes the probes for verifying rulesets against each other: for
// every rule of every set, a packet meeting all its conditions and packets
// on the edges of each condition (inside, outside, at the ends of prefixes
// and ranges), then random packets built from the values the rules use.
// The result depends only on the rulesets and the seed.
func Generate(sets []*ir.Ruleset, o GenOptions) *Plan {
	n := o.Probes
	if n <= 0 {
		n = DefaultProbes
	}
	n = min(n, maxProbes)
	g := &gen{rng: rand.New(rand.NewPCG(o.Seed, o.Seed^0x9e3779b97f4a7c15)), pools: map[ir.Family]*pool{}}
	g.ifaces, g.wild = interfaces(sets)
	g.routable = g.ifaces[:min(len(g.ifaces), maxRoutable)]
	fams := families(sets)
	for _, f := range fams {
		g.pools[f] = &pool{protos: []uint8{protoTCP, protoUDP, icmpProto(f)}}
	}
	for _, rs := range sets {
		for _, t := range rs.Tables {
			g.sets = map[string]*ir.Set{}
			for _, s := range t.Sets {
				g.sets[s.Name] = s
			}
			paths := chainPaths(t)
			for _, f := range tableFamilies(t) {
				g.harvest(t, f)
				for _, c := range t.Chains {
					for _, r := range c.Rules {
						if !ofFamily(r, f) {
							continue
						}
						for _, p := range paths[c.Name] {
							g.rule(f, p, r)
						}
					}
				}
			}
		}
	}
	plan := &Plan{Ifaces: g.ifaces, Routable: g.routable, Families: fams}
	plan.Probes = g.choose(n, fams)
	plan.Local = localAddrs(plan.Probes)
	return plan
}

// tableFamilies are the families of the packets a table sees: both for
// an inet table.
func tableFamilies(t *ir.Table) []ir.Family {
	if t.Family == ir.Inet {
		return []ir.Family{ir.IPv4, ir.IPv6}
	}
	return []ir.Family{t.Family}
}

// ofFamily reports whether packets of family f can meet rule r: not when
// it starts with the other family's NFProto match.
func ofFamily(r *ir.Rule, f ir.Family) bool {
	if len(r.Matches) > 0 {
		if nf, ok := r.Matches[0].(*ir.NFProto); ok {
			return nf.Family == f
		}
	}
	return true
}

func families(sets []*ir.Ruleset) []ir.Family {
	var fams []ir.Family
	for _, rs := range sets {
		var all []ir.Family
		for _, t := range rs.Tables {
			all = append(all, tableFamilies(t)...)
		}
		for _, f := range all {
			if !slices.Contains(fams, f) {
				fams = append(fams, f)
			}
		}
	}
	if len(fams) == 0 {
		fams = []ir.Family{ir.IPv4}
	}
	slices.Sort(fams)
	return fams
}

func icmpProto(f ir.Family) uint8 {
	if f == ir.IPv6 {
		return protoICMPv6
	}
	return protoICMP
}

// hookPaths are the paths through each hook.
var hookPaths = [...][]Path{
	ir.HookPrerouting: {Input, Forward}, ir.HookInput: {Input}, ir.HookForward: {Forward},
	ir.HookOutput: {Output}, ir.HookPostrouting: {Output, Forward},
}

// chainPaths tells, for each chain of t, which paths reach it: those of the
// hooks of the base chains that lead to it (passes.Graph). A chain no path
// reaches gets none, and so no probes.
func chainPaths(t *ir.Table) map[string][]Path {
	out := map[string][]Path{}
	for _, n := range passes.Graph(t).Nodes {
		var ps []Path
		for _, h := range n.Hooks.List() {
			for _, p := range hookPaths[h] {
				if !slices.Contains(ps, p) {
					ps = append(ps, p)
				}
			}
		}
		if len(ps) > 0 {
			slices.Sort(ps)
			out[n.Chain.Name] = ps
		}
	}
	return out
}

// base is the probe a rule without conditions would see on path p.
func (g *gen) base(f ir.Family, p Path) *Probe {
	d := defaults[f]
	pr := &Probe{Path: p, Family: f, Proto: protoTCP, Dport: 80, Flags: flagSYN, autoSport: true}
	switch p {
	case Input:
		pr.Src, pr.Dst, pr.In = d[0], d[2], g.ifaces[0]
	case Output:
		pr.Src, pr.Dst, pr.Out = d[2], d[1], g.ifaces[min(1, len(g.ifaces)-1)]
	case Forward:
		pr.Src, pr.Dst, pr.In = d[0], d[1], g.ifaces[0]
		pr.Out = g.routable[min(1, len(g.routable)-1)]
	}
	return pr
}

// variant changes one condition of a probe that meets a rule.
type variant func(*Probe)

// rule adds the probes for one rule on one path: the one meeting every
// condition, then one per edge of each condition.
func (g *gen) rule(f ir.Family, path Path, r *ir.Rule) {
	p := g.base(f, path)
	p.Why = r.Src.String()
	ms := slices.Clone(r.Matches)
	// The protocol decides what the other conditions can set.
	sort.SliceStable(ms, func(i, j int) bool { return isProtocol(ms[i]) && !isProtocol(ms[j]) })
	var vs []variant
	hasProto := false
	for _, m := range ms {
		if _, ok := m.(*ir.Protocol); ok {
			hasProto = true
		}
		vs = append(vs, g.satisfy(p, m)...)
	}
	if !hasProto {
		vs = append(vs, setProto(protoUDP), setProto(icmpProto(f)))
	}
	if p.Proto == protoTCP && !hasFlags(ms) {
		vs = append(vs, func(q *Probe) { q.Flags = flagACK })
	}
	g.tiers[0] = append(g.tiers[0], finishReverse(p, g))
	for _, v := range vs {
		q := *p
		v(&q)
		g.tiers[1] = append(g.tiers[1], finishReverse(&q, g))
	}
}

func isProtocol(m ir.Match) bool { _, ok := m.(*ir.Protocol); return ok }

func hasFlags(ms []ir.Match) bool {
	for _, m := range ms {
		if t, ok := m.(*ir.TCP); ok && t.Flags != nil {
			return true
		}
	}
	return false
}

func setProto(n uint8) variant {
	return func(q *Probe) {
		q.Proto = n
		if isICMP(n) {
			q.Type = echoType(q.Family)
		}
	}
}

func echoType(f ir.Family) uint8 {
	if f == ir.IPv6 {
		return 128
	}
	return 8
}

// finishReverse turns a probe that stands for the reply of a flow (a rule
// asked for ESTABLISHED) into the original of that flow: the runner sends
// a reply for every flow both rulesets accept.
func finishReverse(p *Probe, g *gen) *Probe {
	if !p.reverse {
		return p
	}
	q := *p
	q.reverse = false
	q.Path = p.Path.reverse()
	q.Src, q.Dst = p.Dst, p.Src
	q.Sport, q.Dport = p.Dport, p.Sport
	q.autoSport = false
	if p.autoSport {
		q.Dport = 40000
	}
	q.In, q.Out = p.Out, p.In
	if q.Path == Forward && !slices.Contains(g.routable, q.Out) {
		q.Out = g.routable[0]
	}
	q.Flags = flagSYN
	if isICMP(q.Proto) {
		q.Type, q.Code = echoType(q.Family), 0
	}
	return &q
}
