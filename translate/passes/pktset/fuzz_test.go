package pktset

import (
	"fmt"
	"math/rand"
	"net/netip"
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/translate/ir"
)

// packet is a concrete packet for the brute-force oracle, evaluated
// directly on the model's matches, not through boxes.
type packet struct {
	proto        uint8
	frag         bool
	src, dst     netip.Addr
	sport, dport uint16
	icmpT, icmpC uint8
	flags        uint8
	ct           ir.CtState
	in, out      string
	mark         uint32
	uid          int64 // -1: no socket
	opaque       bool  // what every opaque match answers for this packet
}

func (p *packet) point() *Packet {
	var x Packet
	x[Proto] = U64(uint64(p.proto))
	if p.frag {
		x[Frag] = U64(1)
	}
	x[SAddr], x[DAddr] = addrU(p.src), addrU(p.dst)
	x[SPort], x[DPort] = U64(uint64(p.sport)), U64(uint64(p.dport))
	x[ICMP] = U64(uint64(p.icmpT)<<8 | uint64(p.icmpC))
	x[Flags] = U64(uint64(p.flags))
	x[Ct] = U64(map[ir.CtState]uint64{ir.CtInvalid: CtInvalid, ir.CtNew: CtNew, ir.CtEstablished: CtEstablished, ir.CtRelated: CtRelated, ir.CtUntracked: CtUntracked}[p.ct])
	x[InIf], x[OutIf] = IfaceValue(p.in), IfaceValue(p.out)
	x[Mark] = U64(uint64(p.mark))
	x[UID] = U64(uint64(p.uid + 1))
	return &x
}

func ifaceMatch(pat, name string) bool {
	if strings.HasSuffix(pat, "+") {
		return strings.HasPrefix(name, strings.TrimSuffix(pat, "+"))
	}
	return pat == name
}

func inPorts(v uint16, r *ir.PortRange) bool { return v >= r.Lo && v <= r.Hi }

// concrete evaluates one match the way the kernel does.
func (p *packet) concrete(m ir.Match) bool {
	l4 := func(proto uint8) bool { return !p.frag && (proto == 0 || p.proto == proto) }
	switch m := m.(type) {
	case *ir.Comment:
		return true
	case *ir.Protocol:
		return (m.All || p.proto == m.Num) != m.Neg
	case *ir.Addr:
		a := p.src
		if m.Dir == ir.Dst {
			a = p.dst
		}
		return m.Net.Contains(a) != m.Neg
	case *ir.Iface:
		n := p.in
		if m.Dir == ir.Dst {
			n = p.out
		}
		return ifaceMatch(m.Name, n) != m.Neg
	case *ir.Fragment:
		return p.frag != m.Neg
	case *ir.TCP:
		if !l4(6) {
			return false
		}
		ok := true
		if m.DstPorts != nil {
			ok = ok && inPorts(p.dport, m.DstPorts) != m.NegDst
		}
		if m.SrcPorts != nil {
			ok = ok && inPorts(p.sport, m.SrcPorts) != m.NegSrc
		}
		if m.Flags != nil {
			ok = ok && (p.flags&m.Flags.Mask == m.Flags.Comp) != m.Flags.Neg
		}
		return ok
	case *ir.UDP:
		if !l4(17) {
			return false
		}
		ok := true
		if m.DstPorts != nil {
			ok = ok && inPorts(p.dport, m.DstPorts) != m.NegDst
		}
		return ok
	case *ir.ICMP:
		if !l4(1) {
			return false
		}
		return (m.Any || p.icmpT == m.Type && p.icmpC >= m.CodeMin && p.icmpC <= m.CodeMax) != m.Neg
	case *ir.Multiport:
		if p.frag {
			return false
		}
		in := func(v uint16) bool {
			for i := range m.Ports {
				if inPorts(v, &m.Ports[i]) {
					return true
				}
			}
			return false
		}
		switch m.Dir {
		case ir.Src:
			return in(p.sport) != m.Neg
		case ir.Dst:
			return in(p.dport) != m.Neg
		}
		return (in(p.sport) || in(p.dport)) != m.Neg
	case *ir.State:
		return (p.ct&m.States != 0) != m.Neg
	case *ir.Mark:
		return (p.mark&m.Mask == m.Value) != m.Neg
	case *ir.Owner:
		return p.uid >= 0 && uint32(p.uid) >= m.UID.Min && uint32(p.uid) <= m.UID.Max
	}
	return p.opaque
}

func (p *packet) matches(r *ir.Rule) bool { return p.evaluate(r, nil) }

// evaluate is matches counting in *limits the stateful matches it runs:
// matches run in order up to the first that fails.
func (p *packet) evaluate(r *ir.Rule, limits *int) bool {
	for _, m := range r.Matches {
		if _, ok := m.(*ir.Limit); ok && limits != nil {
			*limits++
		}
		if !p.concrete(m) {
			return false
		}
	}
	return true
}

var (
	pAddrs  = []string{"10.0.0.0", "10.0.0.1", "10.0.0.3", "10.0.0.4", "10.0.0.7", "10.0.1.0", "192.168.0.1", "255.255.255.255", "0.0.0.0"}
	pPrefix = []string{"10.0.0.0/30", "10.0.0.0/29", "10.0.0.4/30", "10.0.0.0/8", "10.0.0.1/32", "0.0.0.0/0", "192.168.0.0/16"}
	pPorts  = []uint16{0, 1, 2, 3, 22, 80, 443, 65535}
	pIfaces = []string{"lo", "eth0", "eth1", "wlan0", "eth"}
	pIfPats = []string{"lo", "eth0", "eth1", "eth+", "+", "wlan0"}
	pCts    = []ir.CtState{ir.CtInvalid, ir.CtNew, ir.CtEstablished, ir.CtRelated, ir.CtUntracked}
	pFlags  = []uint8{0x02, 0x12, 0x10, 0x01, 0x04, 0xc2, 0x11, 0}
)

func pick[T any](r *rand.Rand, xs []T) T { return xs[r.Intn(len(xs))] }

func randPorts(r *rand.Rand) *ir.PortRange {
	a, b := pick(r, pPorts), pick(r, pPorts)
	if a > b && r.Intn(4) > 0 {
		a, b = b, a
	}
	return &ir.PortRange{Lo: a, Hi: b}
}

func randRule(r *rand.Rand) *ir.Rule {
	var ms []ir.Match
	n := r.Intn(4)
	proto := uint8(0)
	for k := 0; k < n; k++ {
		switch r.Intn(11) {
		case 0:
			ms = append(ms, &ir.Addr{Dir: ir.Dir(1 + r.Intn(2)), Neg: r.Intn(4) == 0, Net: netip.MustParsePrefix(pick(r, pPrefix))})
		case 1:
			ms = append(ms, &ir.Iface{Dir: ir.Dir(1 + r.Intn(2)), Neg: r.Intn(4) == 0, Name: pick(r, pIfPats)})
		case 2:
			if proto == 0 {
				proto = 6
				ms = append(ms, &ir.Protocol{Num: 6})
				t := &ir.TCP{}
				if r.Intn(2) == 0 {
					t.DstPorts, t.NegDst = randPorts(r), r.Intn(4) == 0
				}
				if r.Intn(3) == 0 {
					t.Flags = &ir.TCPFlags{Mask: 0x17, Comp: 0x02, Neg: r.Intn(4) == 0}
				}
				ms = append(ms, t)
			}
		case 3:
			if proto == 0 {
				proto = 17
				ms = append(ms, &ir.Protocol{Num: 17}, &ir.UDP{DstPorts: randPorts(r)})
			}
		case 4:
			if proto == 0 {
				proto = 1
				ic := &ir.ICMP{Type: uint8(r.Intn(3) * 4), CodeMin: 0, CodeMax: uint8(r.Intn(2) * 255), Neg: r.Intn(4) == 0}
				ms = append(ms, &ir.Protocol{Num: 1}, ic)
			}
		case 5:
			st := ir.CtState(0)
			for _, c := range pCts {
				if r.Intn(2) == 0 {
					st |= c
				}
			}
			ms = append(ms, &ir.State{States: st, Neg: r.Intn(4) == 0})
		case 6:
			ms = append(ms, &ir.Mark{Value: uint32(r.Intn(3)), Mask: pick(r, []uint32{0xffffffff, 0xfffffffe, 0x3, 0})})
		case 7:
			ms = append(ms, &ir.Limit{})
		case 8:
			ms = append(ms, &ir.Protocol{Num: pick(r, []uint8{6, 17, 1}), Neg: r.Intn(2) == 0})
		case 9:
			ms = append(ms, &ir.Multiport{Dir: ir.Dir(1 + r.Intn(3)), Neg: r.Intn(4) == 0, Ports: []ir.PortRange{*randPorts(r), *randPorts(r)}})
		case 10:
			ms = append(ms, &ir.Fragment{Neg: r.Intn(2) == 0})
		}
	}
	var t ir.Target
	switch r.Intn(5) {
	case 0:
		t = &ir.Verdict{Kind: ir.Accept}
	case 1:
		t = &ir.Verdict{Kind: ir.Drop}
	case 2:
		t = &ir.Reject{}
	case 3:
		t = &ir.Log{}
	case 4:
		t = &ir.MarkTarget{Value: 1, Mask: 0xffffffff}
	}
	return &ir.Rule{Matches: ms, Target: t}
}

func randPacket(r *rand.Rand) *packet {
	p := &packet{
		proto: pick(r, []uint8{6, 17, 1, 47}), frag: r.Intn(6) == 0,
		src: netip.MustParseAddr(pick(r, pAddrs)), dst: netip.MustParseAddr(pick(r, pAddrs)),
		sport: pick(r, pPorts), dport: pick(r, pPorts),
		icmpT: uint8(r.Intn(3) * 4), icmpC: uint8(r.Intn(2) * 255),
		flags: pick(r, pFlags), ct: pick(r, pCts),
		in: pick(r, pIfaces), out: pick(r, pIfaces),
		mark: uint32(r.Intn(4)), uid: int64(r.Intn(3)) - 1, opaque: r.Intn(2) == 0,
	}
	return p
}

// checkSeed builds a random chain and random packets and checks every
// answer of the engine against evaluating the packets rule by rule.
func checkSeed(t *testing.T, seed int64) {
	r := rand.New(rand.NewSource(seed))
	c := &ir.Chain{Name: "INPUT", Base: &ir.BaseChain{Hook: ir.HookInput, Policy: ir.PolicyAccept}}
	for i := 0; i < 2+r.Intn(7); i++ {
		x := randRule(r)
		c.Rules = append(c.Rules, x)
		if r.Intn(3) == 0 {
			// A split: x plus a condition, x plus its negation, then x
			// again, covered only by the two together.
			var cond, neg ir.Match
			switch r.Intn(3) {
			case 0:
				pf := netip.MustParsePrefix(pick(r, pPrefix))
				cond, neg = &ir.Addr{Dir: ir.Src, Net: pf}, &ir.Addr{Dir: ir.Src, Neg: true, Net: pf}
			case 1:
				n := pick(r, pIfPats)
				cond, neg = &ir.Iface{Dir: ir.Src, Name: n}, &ir.Iface{Dir: ir.Src, Name: n, Neg: true}
			default:
				cond, neg = &ir.State{States: ir.CtNew}, &ir.State{States: ir.CtNew, Neg: true}
			}
			a := &ir.Rule{Matches: append(append([]ir.Match{}, x.Matches...), cond), Target: &ir.Verdict{Kind: ir.Accept}}
			b := &ir.Rule{Matches: append(append([]ir.Match{}, x.Matches...), neg), Target: &ir.Reject{}}
			c.Rules = append(c.Rules, a, b, randRule(r), &ir.Rule{Matches: x.Matches, Target: x.Target})
		}
	}
	tb := NewTable(&ir.Table{Family: ir.IPv4, Name: "filter", Chains: []*ir.Chain{c}})
	ch := tb.Chain(c)
	covered := make([]bool, len(c.Rules))
	for i := range c.Rules {
		var by []int
		covered[i], by = ch.CoveredBy(i)
		if len(by) > 1 {
			multiCovered++
		}
	}
	// The removable rules go all at once.
	removable := ch.Removable()
	var pruned []*ir.Rule
	for i, rr := range c.Rules {
		if !removable[i] {
			pruned = append(pruned, rr)
		}
	}
	describe := func() string {
		var b strings.Builder
		for i, rr := range c.Rules {
			fmt.Fprintf(&b, "  %d:", i)
			for _, m := range rr.Matches {
				fmt.Fprintf(&b, " %T%+v", m, m)
			}
			fmt.Fprintf(&b, " -> %T%+v\n", rr.Target, rr.Target)
		}
		return b.String()
	}
	for k := 0; k < 400; k++ {
		p := randPacket(r)
		pt := p.point()
		for i, rr := range c.Rules {
			m := p.matches(rr)
			s := &ch.Rules[i].Set
			// The boxes hold every packet the rule matches, whatever its
			// opaque terms answer; exact sets hold exactly those.
			if m && !s.Contains(pt) || s.Exact() && !m && s.Contains(pt) {
				t.Fatalf("seed %d: rule %d matches %v but its set says %v\n%s", seed, i, m, s.Contains(pt), describe())
			}
			for j := range c.Rules {
				if ch.Overlap(i, j) == No && m && p.matches(c.Rules[j]) {
					t.Fatalf("seed %d: rules %d and %d said disjoint, both match %+v\n%s", seed, i, j, p, describe())
				}
			}
		}
		// Walk the chain: a rule said covered is never reached by a
		// packet it matches.
		// Removing a rule said redundant, or swapping two rules said to
		// commute, changes no packet's fate.
		want := fate(c.Rules, *p, "ACCEPT")
		if got := fate(pruned, *p, "ACCEPT"); got != want {
			t.Fatalf("seed %d: without the removable rules %v, %+v gets %s, not %s\n%s", seed, removable, p, got, want, describe())
		}
		for i := range c.Rules {
			if i+1 < len(c.Rules) && ch.Commute(i, i+1) {
				sw := append([]*ir.Rule{}, c.Rules...)
				sw[i], sw[i+1] = sw[i+1], sw[i]
				if got := fate(sw, *p, "ACCEPT"); got != want {
					t.Fatalf("seed %d: rules %d and %d said to commute; swapped %+v gets %s, not %s\n%s", seed, i, i+1, p, got, want, describe())
				}
			}
		}
		q := *p
		for i, rr := range c.Rules {
			if !q.matches(rr) {
				continue
			}
			if covered[i] {
				t.Fatalf("seed %d: rule %d said covered, reached by %+v\n%s", seed, i, q, describe())
			}
			if mt, ok := rr.Target.(*ir.MarkTarget); ok {
				q.mark = q.mark&^mt.Mask ^ mt.Value
			}
			if ch.Rules[i].Stops {
				break
			}
		}
	}
}

// fate walks a packet through rules as the kernel does: the verdict, the
// number of log events and the number of rate-limit matches evaluated
// (each takes a token, so each is an effect too).
func fate(rules []*ir.Rule, p packet, policy string) string {
	logs, limits := 0, 0
	for _, rr := range rules {
		if !p.evaluate(rr, &limits) {
			continue
		}
		switch t := rr.Target.(type) {
		case *ir.MarkTarget:
			p.mark = p.mark&^t.Mask ^ t.Value
		case *ir.Log:
			logs++
		case *ir.Verdict:
			return fmt.Sprintf("%s/%d/%d", t.Kind, logs, limits)
		case *ir.Reject:
			return fmt.Sprintf("REJECT/%d/%d", logs, limits)
		}
	}
	return fmt.Sprintf("%s/%d/%d", policy, logs, limits)
}

// multiCovered counts the rules found covered by several earlier rules
// together, so that the test proves it exercised that case.
var multiCovered int

func TestEngineAgreesWithBruteForce(t *testing.T) {
	n := int64(400)
	if testing.Short() {
		n = 50
	}
	for seed := int64(1); seed <= n; seed++ {
		checkSeed(t, seed)
	}
	if multiCovered == 0 {
		t.Fatal("no rule was covered by several earlier rules together: the generator misses the case")
	}
	t.Logf("%d rules covered by several earlier rules together", multiCovered)
}

func FuzzEngine(f *testing.F) {
	f.Add(int64(1))
	f.Add(int64(77))
	f.Fuzz(func(t *testing.T, seed int64) { checkSeed(t, seed) })
}
