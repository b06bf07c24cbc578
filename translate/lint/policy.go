package lint

import (
	"fmt"
	"strings"

	"github.com/ruleshift/ruleshift/translate/ir"
	"github.com/ruleshift/ruleshift/translate/passes/pktset"
)

func box(kv ...any) pktset.Box {
	var b pktset.Box
	for k := 0; k+1 < len(kv); k += 2 {
		b.Constrain(kv[k].(pktset.Field), kv[k+1].(pktset.ISet))
	}
	return b
}

func val(v uint64) pktset.ISet { return pktset.Point(pktset.U64(v)) }

// denial describes the rule or policy that denies a query.
func denial(c *ir.Chain, f pktset.Fate) (ir.Pos, string) {
	if f.By < 0 {
		p := c.Src
		return p, fmt.Sprintf("the policy %s of %s", c.PolicyOf(), c.Name)
	}
	return c.Rules[f.By].Src, "the rule at " + where(c, f.By)
}

// hasAccept reports whether a chain accepts anything: a forwarding chain
// that accepts nothing is meant to forward nothing.
func hasAccept(ch *pktset.Chain) bool {
	for i := range ch.Rules {
		if ch.Rules[i].Verdict == "ACCEPT" || ch.Rules[i].Jump != "" {
			return true
		}
	}
	return false
}

// filter runs the checks of a filter table's base chains.
func (l *linter) filter(pt *pktset.Table) {
	t := pt.T
	v6 := t.Family == ir.IPv6
	for _, c := range t.Chains {
		if c.Base == nil || c.MirrorOf != "" {
			continue
		}
		ch := pt.Chain(c)
		h := c.Base.Hook
		// L3: loopback.
		if h == ir.HookInput || h == ir.HookOutput {
			f, opt := pktset.InIf, "-i lo"
			if h == ir.HookOutput {
				f, opt = pktset.OutIf, "-o lo"
			}
			if fate := pt.Fate(c, box(f, pktset.Point(pktset.IfaceValue("lo")))); fate.Denied {
				pos, by := denial(c, fate)
				l.add("L3", nil, pos, nil, fmt.Sprintf("add -A %s %s -j ACCEPT before it", c.Name, opt),
					"loopback traffic (%s) is dropped by %s: local services talking to each other break", opt, by)
			}
		}
		// L4: replies.
		if h == ir.HookInput || h == ir.HookOutput || h == ir.HookForward && hasAccept(ch) {
			var missing []string
			var pos ir.Pos
			var by string
			for _, st := range []struct {
				v    uint64
				name string
			}{{pktset.CtEstablished, "ESTABLISHED"}, {pktset.CtRelated, "RELATED"}} {
				if fate := pt.Fate(c, box(pktset.Ct, val(st.v))); fate.Denied {
					if missing == nil {
						pos, by = denial(c, fate)
					}
					missing = append(missing, st.name)
				}
			}
			if missing != nil {
				l.add("L4", nil, pos, nil, fmt.Sprintf("add -A %s -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT before it", c.Name),
					"%s packets are dropped by %s: replies to connections this chain let through never arrive", strings.Join(missing, ","), by)
			}
		}
		if v6 {
			l.icmpv6(pt, c, h)
		}
		if h == ir.HookInput && l.o.SSH.Port != 0 {
			l.ssh(pt, c)
		}
	}
}

// icmpv6 checks RFC 4890's must-not-drop ICMPv6 traffic (L7). Neighbour
// discovery is never tracked by conntrack (UNTRACKED), errors come as
// RELATED to the connection they are about.
func (l *linter) icmpv6(pt *pktset.Table, c *ir.Chain, h ir.Hook) {
	type kind struct {
		t, lo, hi uint64
		ct        uint64
		name      string
	}
	nd := []kind{{133, 0, 255, pktset.CtUntracked, "router solicitation (133)"}, {134, 0, 255, pktset.CtUntracked, "router advertisement (134)"},
		{135, 0, 255, pktset.CtUntracked, "neighbour solicitation (135)"}, {136, 0, 255, pktset.CtUntracked, "neighbour advertisement (136)"}}
	errs := []kind{{1, 0, 255, pktset.CtRelated, "destination unreachable (1)"}, {2, 0, 255, pktset.CtRelated, "packet too big (2)"},
		{3, 0, 0, pktset.CtRelated, "time exceeded (3)"}, {4, 1, 2, pktset.CtRelated, "parameter problem (4)"}}
	var kinds []kind
	switch h {
	case ir.HookInput:
		kinds = append(nd, errs...)
	case ir.HookOutput:
		kinds = []kind{nd[0], nd[2], nd[3]} // a host sends no router advertisement
	case ir.HookForward:
		if !hasAccept(pt.Chain(c)) {
			return
		}
		kinds = errs
	default:
		return
	}
	var missing []string
	var pos ir.Pos
	var by string
	for _, k := range kinds {
		q := box(pktset.Proto, val(58), pktset.Frag, val(0), pktset.Ct, val(k.ct),
			pktset.ICMP, pktset.Range(pktset.U64(k.t<<8|k.lo), pktset.U64(k.t<<8|k.hi)))
		if fate := pt.Fate(c, q); fate.Denied {
			if missing == nil {
				pos, by = denial(c, fate)
			}
			missing = append(missing, k.name)
		}
	}
	if missing != nil {
		l.add("L7", nil, pos, nil,
			fmt.Sprintf("accept them before it, e.g. -A %s -p icmpv6 --icmpv6-type neighbour-solicitation -j ACCEPT for each type", c.Name),
			"ICMPv6 %s dropped by %s: IPv6 needs them (RFC 4890 4.3-4.4)", strings.Join(missing, ", "), by)
	}
}

// permissive checks an ACCEPT policy (L12): a chain that only accepts
// (no DROP, REJECT, jump or catch-all) under an ACCEPT policy is an
// allow list that allows everything. It reports whether it found that.
func (l *linter) permissive(ch *pktset.Chain) bool {
	c := ch.C
	if c.Base == nil || c.PolicyOf() != ir.PolicyAccept || c.Base.Hook == ir.HookPrerouting || c.Base.Hook == ir.HookPostrouting {
		return false
	}
	var accepts []int
	for i := range ch.Rules {
		r := &ch.Rules[i]
		switch {
		case r.Verdict == "ACCEPT" && !r.Set.Universal():
			accepts = append(accepts, i)
		case r.Stops || r.Jump != "" || r.Modifies:
			return false // it decides something the policy would not
		}
	}
	if len(accepts) == 0 {
		return false
	}
	l.add("L12", nil, c.Src, positions(c, accepts[:min(len(accepts), 3)]),
		fmt.Sprintf("set the policy to DROP (-P %s DROP) or end the chain with -A %s -j DROP, after accepting loopback and replies", c.Name, c.Name),
		"policy ACCEPT and nothing dropped: every packet the ACCEPT rules (%s) accept is accepted anyway", wheres(c, accepts))
	return true
}

// denies reports whether a filter chain is a default deny: policy DROP,
// or a catch-all DROP or REJECT rule.
func denies(ch *pktset.Chain) (bool, ir.Pos) {
	for i := range ch.Rules {
		r := &ch.Rules[i]
		if r.Stops && r.Set.Universal() {
			return r.Verdict == "DROP" || strings.HasPrefix(r.Verdict, "REJECT"), r.R.Src
		}
	}
	return ch.C.PolicyOf() == ir.PolicyDrop, ch.C.Src
}

// families checks that IPv6 is filtered where IPv4 is (L6), once per
// table, naming the chains.
func (l *linter) families() {
	for _, t4 := range l.rs.Tables {
		if t4.Family != ir.IPv4 || t4.Name != "filter" {
			continue
		}
		t6 := l.rs.Table(ir.IPv6, "filter")
		var open []string
		var first ir.Pos
		for _, c := range t4.Chains {
			if c.Base == nil {
				continue
			}
			deny, pos := denies(l.pt(t4).Chain(c))
			if !deny {
				continue
			}
			var c6 *ir.Chain
			if t6 != nil {
				c6 = t6.Chain(c.Name)
			}
			if c6 != nil && c6.Base != nil {
				if d6, _ := denies(l.pt(t6).Chain(c6)); d6 {
					continue
				}
			}
			if open == nil {
				first = pos
			}
			open = append(open, c.Name)
		}
		if open == nil {
			continue
		}
		what := "no IPv6 rules were given"
		if t6 != nil {
			what = "the IPv6 chains accept what no rule drops"
		}
		l.add("L6", nil, first, nil,
			"write the same rules for ip6tables (and give its file to lint), or disable IPv6 on the host",
			"IPv4 %s default-deny, IPv6 is left open: %s", strings.Join(open, ", ")+map[bool]string{true: " is", false: " are"}[len(open) == 1], what)
	}
}
