package nft

import (
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/ruleshift/ruleshift/translate/ir"
)

// ruleConv reads the statements of one rule.
type ruleConv struct {
	r     *reader
	t     *table
	where string // "table inet filter, chain input, rule handle 4"
	pos   ir.Pos
	ms    []ir.Match
	// choices are the anonymous or named sets the rule matches against
	// that the model cannot hold in one match: the rule becomes one rule
	// per element (a packet matches at most one of them, as the elements
	// differ, so counters, logs and verdicts happen as often as before).
	choices [][][]ir.Match
	target  ir.Target
	// before are actions that do not end the rule (log, mark) written
	// ahead of target: each becomes a rule of its own with the same
	// matches, ahead of the target's ("log prefix x drop" is a LOG rule
	// and a DROP rule).
	before []ir.Target
	fam    ir.Family
	failed bool
}

func (rc *ruleConv) fail(format string, args ...any) {
	if !rc.failed {
		rc.r.d.Errorf(rc.pos, "%s: %s", rc.where, fmt.Sprintf(format, args...))
	}
	rc.failed = true
}

func (rc *ruleConv) add(m ir.Match) {
	if rc.target != nil {
		// iptables tests every match before its target.
		rc.fail("a match after the action %s", rc.target.Name())
		return
	}
	m.SetPos(rc.pos)
	rc.ms = append(rc.ms, m)
}

func (rc *ruleConv) need(f ir.Family) {
	switch {
	case rc.t.family == "ip" && f == ir.IPv6, rc.t.family == "ip6" && f == ir.IPv4:
		rc.fail("a match of the other family")
	case rc.fam != 0 && rc.fam != f:
		rc.fail("matches of both families in one rule")
	}
	rc.fam = f
}

func (rc *ruleConv) setTarget(t ir.Target) {
	if rc.target != nil {
		if !nonTerminal(rc.target) {
			rc.fail("a second action %s after %s (iptables rules have one target)", t.Name(), rc.target.Name())
			return
		}
		rc.before = append(rc.before, rc.target)
	}
	t.SetPos(rc.pos)
	rc.target = t
}

// nonTerminal reports whether a packet goes on to the next statement
// after the action.
func nonTerminal(t ir.Target) bool {
	switch t.(type) {
	case *ir.Log, *ir.NFLog, *ir.MarkTarget, *ir.TCPMSS:
		return true
	}
	return false
}

func (rc *ruleConv) stmt(kind string, v any) {
	if rc.failed {
		return
	}
	b, _ := v.(obj)
	switch kind {
	case "match":
		if rc.target != nil {
			// iptables tests every match before its target.
			rc.fail("a match after the action %s", rc.target.Name())
			return
		}
		rc.match(str(b["op"]), b["left"], b["right"])
	case "counter":
		// iptables counts every rule; the backends add the counter back.
	case "accept":
		rc.setTarget(&ir.Verdict{Kind: ir.Accept})
	case "drop":
		rc.setTarget(&ir.Verdict{Kind: ir.Drop})
	case "return":
		rc.setTarget(&ir.Verdict{Kind: ir.Return})
	case "jump", "goto":
		rc.setTarget(&ir.Jump{Chain: str(b["target"]), Goto: kind == "goto"})
	case "reject":
		rc.reject(b)
	case "log":
		rc.log(b)
	case "limit":
		rc.limit(b)
	case "snat", "dnat", "masquerade", "redirect":
		rc.nat(kind, b)
	case "mangle":
		rc.mangle(b)
	case "xt":
		// iptables-nft keeps what has no native form as an xtables
		// match or target, which nft's JSON lists by name only.
		rc.fail("iptables-nft's %s %s, which nft -j lists without its options: read this table with iptables-nft-save (--from save) instead", str(b["type"]), str(b["name"]))
	case "notrack":
		rc.setTarget(&ir.CtTarget{NoTrack: true})
	default:
		rc.fail("cannot read the nftables statement %s", show(kind, v))
	}
}

func show(kind string, v any) string {
	j, _ := json.Marshal(map[string]any{kind: v})
	s := string(j)
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return s
}

// proto makes sure the rule matches a protocol, as iptables needs -p for
// port and type matches.
func (rc *ruleConv) proto(n uint8) bool {
	for _, m := range rc.ms {
		if p, ok := m.(*ir.Protocol); ok {
			if p.Num == n && !p.Neg {
				return true
			}
			rc.fail("a %s match under another protocol match", protoName(n))
			return false
		}
	}
	rc.add(&ir.Protocol{Num: n})
	return true
}

func (rc *ruleConv) match(op string, left, right any) {
	neg := false
	lo, _ := left.(obj)
	if p, ok := lo["payload"].(obj); ok && str(p["protocol"]) == "tcp" && str(p["field"]) == "flags" {
		rc.tcpFlagsAlone(op, right)
		return
	}
	switch op {
	case "==", "in":
	case "!=":
		neg = true
	case "<", ">":
		// Only the ttl and hop limit matches compare by order.
		if p, ok := lo["payload"].(obj); ok && (str(p["field"]) == "ttl" || str(p["field"]) == "hoplimit") {
			rc.hopLimit(str(p["protocol"]), op, right)
			return
		}
		rc.fail("comparison %q", op)
		return
	default:
		rc.fail("comparison %q", op)
		return
	}
	if p, ok := lo["payload"].(obj); ok {
		rc.payload(str(p["protocol"]), str(p["field"]), neg, right)
		return
	}
	if m, ok := lo["meta"].(obj); ok {
		rc.meta(str(m["key"]), neg, right)
		return
	}
	if and, ok := lo["&"].([]any); ok && len(and) == 2 {
		a0, _ := and[0].(obj)
		if m, ok := a0["meta"].(obj); ok && str(m["key"]) == "mark" {
			mask, ok1 := u32(and[1])
			v, ok2 := u32(right)
			if ok1 && ok2 {
				rc.add(&ir.Mark{Neg: neg, Value: v, Mask: mask})
				return
			}
		}
	}
	if c, ok := lo["ct"].(obj); ok && str(c["key"]) == "state" && c["dir"] == nil {
		rc.ctState(neg, right)
		return
	}
	if c, ok := lo["ct"].(obj); ok && str(c["key"]) == "status" && c["dir"] == nil {
		rc.ctStatus(neg, right)
		return
	}
	if cc, ok := lo["concat"].([]any); ok && len(cc) == 2 {
		rc.concat(cc, neg, right)
		return
	}
	if f, ok := lo["fib"].(obj); ok {
		rc.fib(f, neg, right)
		return
	}
	if and, ok := lo["&"].([]any); ok && len(and) == 2 {
		a0, _ := and[0].(obj)
		if p, ok := a0["payload"].(obj); ok {
			switch str(p["protocol"]) + " " + str(p["field"]) {
			case "tcp flags":
				rc.tcpFlags(neg, and[1], right)
				return
			case "ip saddr", "ip daddr", "ip6 saddr", "ip6 daddr":
				// A non-contiguous mask (iptables' -d 10.0.2.0/255.0.255.0).
				mask, err1 := netip.ParseAddr(str(and[1]))
				val, err2 := netip.ParseAddr(str(right))
				if err1 == nil && err2 == nil && mask.Is4() == val.Is4() && (mask.Is4() == (str(p["protocol"]) == "ip")) {
					f := ir.IPv4
					if !mask.Is4() {
						f = ir.IPv6
					}
					rc.need(f)
					dir := ir.Src
					if str(p["field"]) == "daddr" {
						dir = ir.Dst
					}
					rc.add(&ir.Addr{Dir: dir, Neg: neg, Net: netip.PrefixFrom(val, val.BitLen()), Mask: mask})
					return
				}
			case "ip frag-off":
				if n, ok := right.(json.Number); ok && n.String() == "0" && fmt.Sprint(and[1]) == "8191" {
					rc.need(ir.IPv4)
					rc.add(&ir.Fragment{Neg: !neg})
					return
				}
			}
		}
	}
	rc.fail("cannot read the match %s", show("match", obj{"op": op, "left": left, "right": right}))
}

func (rc *ruleConv) payload(proto, field string, neg bool, right any) {
	switch proto + " " + field {
	case "ip saddr", "ip daddr", "ip6 saddr", "ip6 daddr":
		f := ir.IPv4
		if proto == "ip6" {
			f = ir.IPv6
		}
		rc.need(f)
		dir := ir.Src
		if field == "daddr" {
			dir = ir.Dst
		}
		rc.each(neg, right, func(e any) ir.Match {
			// An interval set merges adjacent prefixes into ranges.
			if ro, ok := e.(obj); ok && ro["range"] != nil {
				lo, hi, ok := addrRange(ro)
				if !ok || lo.Is4() != (f == ir.IPv4) {
					rc.fail("address range %s", show("right", e))
					return nil
				}
				m := &ir.IPRange{}
				if dir == ir.Src {
					m.Src, m.NegSrc = &ir.AddrRange{From: lo, To: hi}, neg
				} else {
					m.Dst, m.NegDst = &ir.AddrRange{From: lo, To: hi}, neg
				}
				return m
			}
			p, ok := prefix(e)
			if !ok || (p.Addr().Is4() != (f == ir.IPv4)) {
				rc.fail("address %s", show("right", e))
				return nil
			}
			return &ir.Addr{Dir: dir, Neg: neg, Net: p}
		})
	case "ether saddr":
		hw, err := net.ParseMAC(str(right))
		if err != nil || len(hw) != 6 {
			rc.fail("ether saddr %s", show("right", right))
			return
		}
		rc.add(&ir.MAC{Neg: neg, Addr: hw})
	case "ip protocol":
		rc.need(ir.IPv4)
		rc.protoMatch(neg, right)
	case "sctp sport", "sctp dport":
		if !rc.proto(132) {
			return
		}
		rc.ports(132, field == "dport", neg, right)
	case "ip ttl", "ip6 hoplimit":
		if neg {
			rc.hopLimit(proto, "!=", right)
		} else {
			rc.hopLimit(proto, "==", right)
		}
	case "icmp code", "icmpv6 code":
		var m *ir.ICMP
		for _, x := range rc.ms {
			if i, ok := x.(*ir.ICMP); ok {
				m = i
			}
		}
		lo, hi, ok := codeRange(right)
		if m == nil || neg || !ok || !m.AnyCode() {
			rc.fail("%s code %s (read after one %s type, not negated)", proto, show("right", right), proto)
			return
		}
		m.CodeMin, m.CodeMax = lo, hi
	case "tcp sport", "tcp dport", "udp sport", "udp dport":
		n := uint8(6)
		if proto == "udp" {
			n = 17
		}
		if !rc.proto(n) {
			return
		}
		rc.ports(n, field == "dport", neg, right)
	case "icmp type", "icmpv6 type":
		f, n := ir.IPv4, uint8(1)
		if proto == "icmpv6" {
			f, n = ir.IPv6, 58
		}
		rc.need(f)
		if !rc.proto(n) {
			return
		}
		names := icmpTypes
		if f == ir.IPv6 {
			names = icmp6Types
		}
		rc.each(neg, right, func(e any) ir.Match {
			ty, ok := byName(e, names)
			if !ok {
				rc.fail("%s type %s", proto, show("right", e))
				return nil
			}
			return &ir.ICMP{V6: f == ir.IPv6, Neg: neg, Type: uint8(ty), CodeMax: 255}
		})
	default:
		rc.fail("cannot read a match on %s %s", proto, field)
	}
}

func (rc *ruleConv) meta(key string, neg bool, right any) {
	switch key {
	case "iifname", "oifname", "iif", "oif":
		// iif/oif compare interface indexes, iifname/oifname names; for
		// interfaces that exist when the rules load they agree, and
		// iptables has only names.
		dir := ir.Src
		if key[0] == 'o' {
			dir = ir.Dst
		}
		rc.each(neg, right, func(e any) ir.Match {
			s, ok := e.(string)
			if !ok || s == "" {
				rc.fail("interface %s", show("right", e))
				return nil
			}
			if strings.HasSuffix(s, "*") && !strings.HasSuffix(s, `\*`) {
				s = strings.TrimSuffix(s, "*") + "+"
			}
			return &ir.Iface{Dir: dir, Neg: neg, Name: s}
		})
	case "l4proto":
		rc.protoMatch(neg, right)
	case "skuid", "skgid":
		lo, hi, ok := idRange(right)
		if !ok {
			rc.fail("meta %s %s", key, show("right", right))
			return
		}
		m := &ir.Owner{}
		if key == "skuid" {
			m.UID, m.NegUID = &ir.IDRange{Min: lo, Max: hi}, neg
		} else {
			m.GID, m.NegGID = &ir.IDRange{Min: lo, Max: hi}, neg
		}
		rc.add(m)
	case "nfproto":
		switch right {
		case "ipv4":
			rc.need(ir.IPv4)
		case "ipv6":
			rc.need(ir.IPv6)
		default:
			rc.fail("meta nfproto %v", right)
		}
		if neg {
			rc.fail("meta nfproto !=")
		}
	default:
		rc.fail("cannot read a match on meta %s", key)
	}
}

func (rc *ruleConv) protoMatch(neg bool, right any) {
	rc.each(neg, right, func(e any) ir.Match {
		n, ok := byName(e, protoNums)
		if !ok {
			rc.fail("protocol %s", show("right", e))
			return nil
		}
		// A protocol number belongs to no family: an IPv6 packet may
		// carry protocol 1 and an IPv4 one 58, and iptables and
		// ip6tables take both (-p icmp, -p ipv6-icmp). An inet rule on
		// "meta l4proto { icmp, ipv6-icmp }" (firewalld's) is therefore
		// one rule in each family's table, not an error.
		return &ir.Protocol{Neg: neg, Num: uint8(n)}
	})
}

// ports reads a port match: one port or range into the tcp/udp match, a
// set of them into a multiport match.
func (rc *ruleConv) ports(proto uint8, dst bool, neg bool, right any) {
	elems, isSet := rc.elems(right)
	if isSet {
		if len(elems) > 15 {
			// multiport takes 15 ports; more become one rule each.
			rc.each(neg, right, func(e any) ir.Match { return rc.portMatch(proto, dst, neg, e, false) })
			return
		}
		mp := &ir.Multiport{Dir: ir.Src, Neg: neg}
		if dst {
			mp.Dir = ir.Dst
		}
		for _, e := range elems {
			pr, ok := portRange(e)
			if !ok {
				rc.fail("port %s", show("right", e))
				return
			}
			mp.Ports = append(mp.Ports, pr)
		}
		rc.add(mp)
		return
	}
	if m := rc.portMatch(proto, dst, neg, right, true); m != nil {
		rc.add(m)
	}
}

// portMatch makes the tcp/udp match of one port or range; with merge it
// adds the port to the rule's tcp/udp match if it has one (and returns
// nil).
func (rc *ruleConv) portMatch(proto uint8, dst bool, neg bool, e any, merge bool) ir.Match {
	pr, ok := portRange(e)
	if !ok {
		rc.fail("port %s", show("right", e))
		return nil
	}
	// One tcp/udp match per rule holds both ports.
	for _, m := range rc.ms {
		if !merge {
			break
		}
		switch x := m.(type) {
		case *ir.TCP:
			if proto == 6 && ((dst && x.DstPorts == nil) || (!dst && x.SrcPorts == nil)) {
				setPorts(&x.SrcPorts, &x.DstPorts, &x.NegSrc, &x.NegDst, dst, neg, pr)
				return nil
			}
		case *ir.UDP:
			if proto == 17 && ((dst && x.DstPorts == nil) || (!dst && x.SrcPorts == nil)) {
				setPorts(&x.SrcPorts, &x.DstPorts, &x.NegSrc, &x.NegDst, dst, neg, pr)
				return nil
			}
		}
	}
	if proto == 132 {
		for _, x := range rc.ms {
			if s, ok := x.(*ir.SCTP); ok && merge && ((dst && s.DstPorts == nil) || (!dst && s.SrcPorts == nil)) {
				setPorts(&s.SrcPorts, &s.DstPorts, &s.NegSrc, &s.NegDst, dst, neg, pr)
				return nil
			}
		}
		m := &ir.SCTP{}
		setPorts(&m.SrcPorts, &m.DstPorts, &m.NegSrc, &m.NegDst, dst, neg, pr)
		return m
	}
	if proto == 6 {
		m := &ir.TCP{}
		setPorts(&m.SrcPorts, &m.DstPorts, &m.NegSrc, &m.NegDst, dst, neg, pr)
		return m
	}
	m := &ir.UDP{}
	setPorts(&m.SrcPorts, &m.DstPorts, &m.NegSrc, &m.NegDst, dst, neg, pr)
	return m
}

func setPorts(src, dstp **ir.PortRange, negSrc, negDst *bool, dst, neg bool, pr ir.PortRange) {
	if dst {
		*dstp, *negDst = &pr, neg
	} else {
		*src, *negSrc = &pr, neg
	}
}

var tcpFlagBits = map[string]uint8{"fin": 1, "syn": 2, "rst": 4, "psh": 8, "ack": 16, "urg": 32, "ecn": 64, "cwr": 128}

func flagBits(v any) (uint8, bool) {
	switch x := v.(type) {
	case string:
		b, ok := tcpFlagBits[x]
		return b, ok
	case json.Number:
		n, err := x.Int64()
		return uint8(n), err == nil && n >= 0 && n < 256
	case []any:
		var out uint8
		for _, e := range x {
			b, ok := flagBits(e)
			if !ok {
				return 0, false
			}
			out |= b
		}
		return out, true
	case obj:
		if or, ok := x["|"].([]any); ok {
			return flagBits(or)
		}
	}
	return 0, false
}

func (rc *ruleConv) tcpFlags(neg bool, mask, right any) {
	m, ok1 := flagBits(mask)
	v, ok2 := flagBits(right)
	if !ok1 || !ok2 {
		rc.fail("tcp flags %s", show("&", []any{mask, right}))
		return
	}
	if !rc.proto(6) {
		return
	}
	for _, x := range rc.ms {
		if t, ok := x.(*ir.TCP); ok && t.Flags == nil {
			t.Flags = &ir.TCPFlags{Neg: neg, Mask: m, Comp: v}
			return
		}
	}
	rc.add(&ir.TCP{Flags: &ir.TCPFlags{Neg: neg, Mask: m, Comp: v}})
}

var ctStates = map[string]ir.CtState{"invalid": ir.CtInvalid, "established": ir.CtEstablished, "related": ir.CtRelated, "new": ir.CtNew, "untracked": ir.CtUntracked}

func (rc *ruleConv) ctState(neg bool, right any) {
	var st ir.CtState
	list, ok := right.([]any)
	if !ok {
		list = []any{right}
	}
	if s, ok := right.(obj); ok {
		if l, ok := s["set"].([]any); ok {
			list = l
		}
	}
	for _, e := range list {
		b, ok := ctStates[str(e)]
		if !ok {
			rc.fail("ct state %s", show("right", e))
			return
		}
		st |= b
	}
	rc.add(&ir.State{Neg: neg, States: st})
}

func (rc *ruleConv) fib(f obj, neg bool, right any) {
	flags, _ := f["flags"].([]any)
	if str(f["result"]) == "oif" {
		rc.fibOif(f, flags, neg, right)
		return
	}
	if str(f["result"]) != "type" || len(flags) != 1 || (flags[0] != "daddr" && flags[0] != "saddr") {
		rc.fail("cannot read the fib expression %s", show("fib", f))
		return
	}
	var types ir.AddrTypes
	list, ok := right.([]any)
	if !ok {
		list = []any{right}
	}
	if s, ok := right.(obj); ok {
		list, _ = s["set"].([]any)
	}
	for _, e := range list {
		i := -1
		for j, n := range ir.AddrTypeNames {
			if strings.EqualFold(n, str(e)) {
				i = j
			}
		}
		if i < 0 {
			rc.fail("fib type %s", show("right", e))
			return
		}
		types |= 1 << i
	}
	m := &ir.AddrType{}
	if flags[0] == "daddr" {
		m.Dst, m.NegDst = types, neg
	} else {
		m.Src, m.NegSrc = types, neg
	}
	rc.add(m)
}
