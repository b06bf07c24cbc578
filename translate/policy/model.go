package policy

import (
	"net/netip"

	"github.com/ruleshift/ruleshift/translate/iptables"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// chainNames maps a direction to its base chain, in iptables-save order.
var chainNames = [][2]string{{"input", "INPUT"}, {"forward", "FORWARD"}, {"output", "OUTPUT"}}

// icmpv6Needed are the ICMPv6 types RFC 4890 says a host must not drop:
// errors (destination unreachable, packet too big, time exceeded,
// parameter problem) and neighbour discovery (router solicitation and
// advertisement, neighbour solicitation and advertisement). Forwarded
// traffic needs only the errors: discovery is link-local.
var icmpv6Needed = []uint8{1, 2, 3, 4, 133, 134, 135, 136}

const icmpv6Errors = 4 // the first four of icmpv6Needed

// model builds one filter table per family from the checked rules.
func (p *Policy) model(rs *ir.Ruleset, specs map[string][]*spec, c *checker) {
	for _, fam := range p.Families {
		t := &ir.Table{Family: fam, Name: "filter", Src: ir.Pos{File: p.File}}
		t.Sets = c.tableSets(fam, p.Refresh)
		for _, cn := range chainNames {
			dir, name := cn[0], cn[1]
			b := iptables.BaseOf("filter", name)
			if p.Default[dir] == "accept" {
				b.Policy = ir.PolicyAccept
			} else {
				b.Policy = ir.PolicyDrop
			}
			ch := &ir.Chain{Name: name, Base: b, Src: p.DefaultPos[dir]}
			ch.Rules = p.defaults(fam, dir, c.usesHosts)
			for _, s := range specs[dir] {
				ch.Rules = append(ch.Rules, s.rules(fam)...)
			}
			if p.Default[dir] == "reject" {
				// reject is a last rule: a chain policy can only accept or drop.
				at := ir.At{Src: p.DefaultPos[dir]}
				ch.Rules = append(ch.Rules, &ir.Rule{Src: at.Src, Target: &ir.Reject{At: at, With: rejectWith(fam)}})
			}
			t.Chains = append(t.Chains, ch)
		}
		rs.Tables = append(rs.Tables, t)
	}
}

func rejectWith(fam ir.Family) ir.RejectWith {
	if fam == ir.IPv6 {
		return ir.Reject6PortUnreach
	}
	return ir.RejectPortUnreach
}

// defaults are the safe rules that come first in a chain, each at the
// key that controls it (or the file when the key is not written).
func (p *Policy) defaults(fam ir.Family, dir string, usesHosts bool) []*ir.Rule {
	var out []*ir.Rule
	accept := func(pos ir.Pos, ms ...ir.Match) {
		for _, m := range ms {
			m.SetPos(pos)
		}
		out = append(out, &ir.Rule{Src: pos, Matches: ms, Target: &ir.Verdict{At: ir.At{Src: pos}, Kind: ir.Accept}})
	}
	if p.Loopback && dir != "forward" {
		d := ir.Src
		if dir == "output" {
			d = ir.Dst
		}
		accept(p.defaultsPos["loopback"], &ir.Iface{Dir: d, Name: "lo"})
	}
	if p.Established {
		accept(p.defaultsPos["established"], &ir.State{States: ir.CtEstablished | ir.CtRelated})
	}
	if p.ICMPv6 && fam == ir.IPv6 && p.Default[dir] != "accept" {
		types := icmpv6Needed
		if dir == "forward" {
			types = types[:icmpv6Errors]
		}
		for _, ty := range types {
			accept(p.defaultsPos["icmpv6"], &ir.Protocol{Num: 58}, &ir.ICMP{V6: true, Type: ty, CodeMax: 255})
		}
	}
	if p.DNS && usesHosts && dir == "output" && p.Default[dir] != "accept" {
		// The machine resolves the policy's host names when the rules
		// are translated and again when `ruleshift refresh` runs.
		dns := ir.PortRange{Lo: 53, Hi: 53}
		accept(p.defaultsPos["dns"], &ir.Protocol{Num: 17}, &ir.UDP{DstPorts: &dns})
		accept(p.defaultsPos["dns"], &ir.Protocol{Num: 6}, &ir.TCP{DstPorts: &dns})
	}
	return out
}

// rules expands one policy rule for a family: one ir rule per protocol,
// address, interface and group of at most 15 ports (what multiport takes).
// A rule whose addresses or protocol all belong to the other family, or
// whose family key names the other, has no rule in this one.
func (s *spec) rules(fam ir.Family) []*ir.Rule {
	if s.fams != nil && !containsFam(s.fams, fam) {
		return nil
	}
	var protos []*proto
	for i := range s.protos {
		pr := &s.protos[i]
		if (pr.name == "icmp" && fam != ir.IPv4) || (pr.name == "icmpv6" && fam != ir.IPv6) {
			continue
		}
		protos = append(protos, pr)
	}
	if len(s.protos) > 0 && len(protos) == 0 {
		return nil
	}
	if len(protos) == 0 {
		protos = []*proto{nil}
	}
	var icmps []*ir.ICMP
	for _, v := range s.icmps {
		if m, ok := iptables.ParseICMPType(v.str, fam == ir.IPv6); ok {
			m.V6 = fam == ir.IPv6
			m.Src = s.r.Keys["icmp"].pos
			icmps = append(icmps, &m)
		}
	}
	if len(s.icmps) > 0 && len(icmps) == 0 {
		return nil
	}
	srcs, ok := s.addrsOf(fam, s.srcs, s.srcSet, ir.Src, "from")
	if !ok {
		return nil
	}
	dsts, ok := s.addrsOf(fam, s.dsts, s.dstSet, ir.Dst, "to")
	if !ok {
		return nil
	}
	var out []*ir.Rule
	for _, pr := range protos {
		for _, ic := range orNil(icmps) {
			for _, src := range orNone(srcs) {
				for _, dst := range orNone(dsts) {
					for _, in := range orEmpty(s.ins) {
						for _, o := range orEmpty(s.outs) {
							for _, pm := range s.portMatches(pr) {
								out = append(out, s.rule(fam, pr, ic, src, dst, in, o, pm))
							}
						}
					}
				}
			}
		}
	}
	return out
}

func orNil[T any](l []*T) []*T {
	if len(l) == 0 {
		return []*T{nil}
	}
	return l
}

func orNone(l []ir.Match) []ir.Match {
	if len(l) == 0 {
		return []ir.Match{nil}
	}
	return l
}

func orEmpty(l []string) []string {
	if len(l) == 0 {
		return []string{""}
	}
	return l
}

// addrsOf turns from/to into the family's address matches: a lookup in
// the key's host-name set, or one match per address; ok is false when
// the key is given and none of its addresses is of this family. A set
// with host names is kept in both families: a refresh may give a host
// the addresses of a family it has none of now.
func (s *spec) addrsOf(fam ir.Family, specs []addrSpec, set string, d ir.Dir, key string) ([]ir.Match, bool) {
	if s.r.Keys[key] == nil {
		return nil, true
	}
	at := s.at(key)
	if set != "" {
		return []ir.Match{&ir.SetRef{At: at, Dir: d, Name: set}}, true
	}
	var out []ir.Match
	for _, a := range specs {
		if a.host == "" {
			if a.net.Addr().Is4() == (fam == ir.IPv4) {
				out = append(out, &ir.Addr{At: at, Dir: d, Net: a.net})
			}
			continue
		}
		for _, ip := range s.resolved[fam][a.host] {
			out = append(out, &ir.Addr{At: at, Dir: d, Net: netipPrefix(ip), Host: a.host})
		}
	}
	return out, len(out) > 0
}

// portMatches are the port conditions of one protocol: nil (no ports),
// one tcp/udp match, or multiport matches of at most 15 ports each
// (a range counts two).
func (s *spec) portMatches(pr *proto) [][]ir.Match {
	if pr == nil || (len(s.dports) == 0 && len(s.sports) == 0) {
		return [][]ir.Match{nil}
	}
	if len(s.dports) <= 1 && len(s.sports) <= 1 {
		var sp, dp *ir.PortRange
		if len(s.sports) == 1 {
			sp = &s.sports[0]
		}
		if len(s.dports) == 1 {
			dp = &s.dports[0]
		}
		at := s.at("port")
		if dp == nil {
			at = s.at("sport")
		}
		switch pr.num {
		case 6:
			return [][]ir.Match{{&ir.TCP{At: at, SrcPorts: sp, DstPorts: dp}}}
		case 17:
			return [][]ir.Match{{&ir.UDP{At: at, SrcPorts: sp, DstPorts: dp}}}
		case 132:
			return [][]ir.Match{{&ir.SCTP{At: at, SrcPorts: sp, DstPorts: dp}}}
		}
	}
	sgroups := chunks(s.sports, ir.Src, s.at("sport"))
	dgroups := chunks(s.dports, ir.Dst, s.at("port"))
	var out [][]ir.Match
	for _, sg := range orNil(sgroups) {
		for _, dg := range orNil(dgroups) {
			var ms []ir.Match
			if sg != nil {
				ms = append(ms, sg)
			}
			if dg != nil {
				ms = append(ms, dg)
			}
			out = append(out, ms)
		}
	}
	return out
}

func chunks(ports []ir.PortRange, d ir.Dir, at ir.At) []*ir.Multiport {
	var out []*ir.Multiport
	var cur *ir.Multiport
	n := 0
	for _, p := range ports {
		w := 1
		if !p.Single() {
			w = 2
		}
		if cur == nil || n+w > 15 {
			cur = &ir.Multiport{At: at, Dir: d}
			out = append(out, cur)
			n = 0
		}
		cur.Ports = append(cur.Ports, p)
		n += w
	}
	return out
}

// rule assembles one rule in the order iptables-save prints its parts.
func (s *spec) rule(fam ir.Family, pr *proto, ic *ir.ICMP, src, dst ir.Match, in, out string, pm []ir.Match) *ir.Rule {
	r := &ir.Rule{Src: s.r.Pos}
	add := func(m ir.Match) { r.Matches = append(r.Matches, m) }
	if src != nil {
		add(src)
	}
	if dst != nil {
		add(dst)
	}
	if in != "" {
		add(&ir.Iface{At: s.at("in"), Dir: ir.Src, Name: in})
	}
	if out != "" {
		add(&ir.Iface{At: s.at("out"), Dir: ir.Dst, Name: out})
	}
	switch {
	case pr != nil:
		add(&ir.Protocol{At: s.at("proto"), All: pr.all, Num: pr.num})
	case ic != nil:
		num := uint8(1)
		if fam == ir.IPv6 {
			num = 58
		}
		add(&ir.Protocol{At: s.at("icmp"), Num: num})
	}
	for _, m := range pm {
		add(m)
	}
	if ic != nil {
		add(ic)
	}
	if s.state != 0 {
		add(&ir.State{At: s.at("state"), States: s.state})
	}
	if s.uid != nil {
		u := *s.uid
		add(&ir.Owner{At: s.at("uid"), UID: &u})
	}
	if s.action == "limit" {
		add(&ir.Limit{At: s.at("rate"), Avg: s.avg, Burst: s.burst})
	}
	if s.comment != "" {
		add(&ir.Comment{At: s.at("comment"), Text: s.comment})
	}
	at := s.at("action")
	switch s.action {
	case "accept", "limit":
		r.Target = &ir.Verdict{At: at, Kind: ir.Accept}
	case "drop":
		r.Target = &ir.Verdict{At: at, Kind: ir.Drop}
	case "reject":
		r.Target = &ir.Reject{At: at, With: rejectWith(fam)}
	case "log":
		r.Target = &ir.Log{At: at, Prefix: s.prefix}
	}
	return r
}

// sshAccepted reports whether an input rule accepts tcp port 22.
func sshAccepted(specs []*spec) bool {
	for _, s := range specs {
		if s.action != "accept" && s.action != "limit" {
			continue
		}
		tcp := len(s.protos) == 0
		for _, pr := range s.protos {
			tcp = tcp || pr.num == 6 || pr.all
		}
		if !tcp || len(s.icmps) > 0 || s.state != 0 && s.state&ir.CtNew == 0 {
			continue
		}
		if len(s.dports) == 0 {
			return true
		}
		for _, p := range s.dports {
			if p.Lo <= 22 && 22 <= p.Hi {
				return true
			}
		}
	}
	return false
}

func netipPrefix(ip netip.Addr) netip.Prefix { return netip.PrefixFrom(ip, ip.BitLen()) }

// size is an upper bound of the rules s expands to in one family.
func (s *spec) size() int {
	n := 1
	for _, k := range []int{len(s.protos), len(s.icmps), len(s.srcs), len(s.dsts), len(s.ins), len(s.outs), len(s.dports)/8 + 1, len(s.sports)/8 + 1} {
		if k > 1 {
			n *= k
		}
		if n > maxExpansion {
			return n
		}
	}
	return n
}
