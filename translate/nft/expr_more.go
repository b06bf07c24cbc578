package nft

import (
	"encoding/json"

	"github.com/ruleshift/ruleshift/translate/ir"
)

func (rc *ruleConv) hopLimit(proto, op string, right any) {
	v, ok := byName(right, nil)
	if !ok {
		rc.fail("%s %s", proto, show("right", right))
		return
	}
	m := &ir.HopLimit{V6: proto == "ip6", Op: ir.CmpEq, Value: uint8(v)}
	switch op {
	case "!=":
		m.Neg = true
	case "<":
		m.Op = ir.CmpLt
	case ">":
		m.Op = ir.CmpGt
	}
	if m.V6 {
		rc.need(ir.IPv6)
	} else {
		rc.need(ir.IPv4)
	}
	rc.add(m)
}

var ctStatus = map[string]ir.CtStatus{"expected": ir.CtExpected, "seen-reply": ir.CtSeenReply, "assured": ir.CtAssured, "confirmed": ir.CtConfirmed}

// ctStatus reads ct status: the status bits of --ctstatus, and snat/dnat,
// which iptables writes as the conntrack states SNAT and DNAT.
func (rc *ruleConv) ctStatus(neg bool, right any) {
	list, ok := right.([]any)
	if !ok {
		list = []any{right}
	}
	var st ir.CtStatus
	var nat ir.CtState
	for _, e := range list {
		switch str(e) {
		case "snat":
			nat |= ir.CtSNAT
		case "dnat":
			nat |= ir.CtDNAT
		default:
			b, ok := ctStatus[str(e)]
			if !ok {
				rc.fail("ct status %s", show("right", e))
				return
			}
			st |= b
		}
	}
	switch {
	case nat != 0 && st == 0:
		rc.add(&ir.Conntrack{State: &ir.State{Neg: neg, States: nat}})
	case nat == 0 && st != 0:
		rc.add(&ir.Conntrack{Status: st, StatusSet: true, NegStatus: neg})
	default:
		rc.fail("ct status %s", show("right", right))
	}
}

func u32(v any) (uint32, bool) {
	n, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	i, err := n.Int64()
	return uint32(i), err == nil && i >= 0 && i <= 0xffffffff
}

func codeRange(v any) (uint8, uint8, bool) {
	if o, ok := v.(obj); ok {
		r, _ := o["range"].([]any)
		if len(r) != 2 {
			return 0, 0, false
		}
		a, ok1 := byName(r[0], nil)
		b, ok2 := byName(r[1], nil)
		return uint8(a), uint8(b), ok1 && ok2 && a <= b
	}
	n, ok := byName(v, icmpCodes)
	return uint8(n), uint8(n), ok
}

// icmpCodes are the code names nft prints (destination unreachable's).
var icmpCodes = map[string]int{
	"net-unreachable": 0, "host-unreachable": 1, "prot-unreachable": 2, "port-unreachable": 3,
	"frag-needed": 4, "net-prohibited": 9, "host-prohibited": 10, "admin-prohibited": 13,
	"no-route": 0, "addr-unreachable": 3, "policy-fail": 5, "reject-route": 6,
}

// tcpFlagsAlone reads a test of the flags byte without a mask: "==" the
// exact byte, "in" one flag set, "!" none of the flags set.
func (rc *ruleConv) tcpFlagsAlone(op string, right any) {
	v, ok := flagBits(right)
	if !ok || !rc.proto(6) {
		rc.fail("tcp flags %s %s", op, show("right", right))
		return
	}
	f := &ir.TCPFlags{}
	switch {
	case op == "==" || op == "!=":
		f.Mask, f.Comp, f.Neg = 0xff, v, op == "!="
	case op == "in" && v&(v-1) == 0 && v != 0:
		f.Mask, f.Comp = v, v
	case op == "!":
		f.Mask = v
	default:
		rc.fail("tcp flags %s %s (iptables tests flags under a mask)", op, show("right", right))
		return
	}
	for _, x := range rc.ms {
		if t, ok := x.(*ir.TCP); ok && t.Flags == nil {
			t.Flags = f
			return
		}
	}
	rc.add(&ir.TCP{Flags: f})
}

// mangle reads "meta mark set …" as the MARK target, whose kernel form is
// mark = (mark & ~Mask) ^ Value.
func (rc *ruleConv) mangle(b obj) {
	key, _ := b["key"].(obj)
	if o, ok := key["tcp option"].(obj); ok && str(o["name"]) == "maxseg" && str(o["field"]) == "size" {
		rc.mss(b["value"])
		return
	}
	if m, ok := key["meta"].(obj); !ok || str(m["key"]) != "mark" {
		rc.fail("cannot read the nftables statement %s", show("mangle", b))
		return
	}
	isMark := func(v any) bool {
		o, _ := v.(obj)
		m, ok := o["meta"].(obj)
		return ok && str(m["key"]) == "mark"
	}
	val, mask, ok := uint32(0), uint32(0xffffffff), false
	switch x := b["value"].(type) {
	case json.Number:
		val, ok = u32(x)
	case obj:
		for op, args := range x {
			a, _ := args.([]any)
			if len(a) != 2 {
				break
			}
			v, good := u32(a[1])
			if !good {
				break
			}
			switch {
			case op == "&" && isMark(a[0]):
				val, mask, ok = 0, ^v, true
			case op == "|" && isMark(a[0]):
				val, mask, ok = v, v, true
			case op == "^" && isMark(a[0]):
				val, mask, ok = v, 0, true
			case op == "^":
				in, _ := a[0].(obj)
				ia, _ := in["&"].([]any)
				if len(ia) == 2 && isMark(ia[0]) {
					if m, good := u32(ia[1]); good {
						val, mask, ok = v, ^m, true
					}
				}
			}
		}
	}
	if !ok {
		rc.fail("cannot read the nftables statement %s", show("mangle", b))
		return
	}
	rc.setTarget(&ir.MarkTarget{Op: ir.MarkSetX, Value: val, Mask: mask})
}

// mss reads "tcp option maxseg size set rt mtu" (TCPMSS --clamp-mss-to-pmtu)
// and "… set N" (--set-mss N).
func (rc *ruleConv) mss(v any) {
	if o, ok := v.(obj); ok {
		if r, ok := o["rt"].(obj); ok && str(r["key"]) == "mtu" {
			rc.setTarget(&ir.TCPMSS{ClampPMTU: true})
			return
		}
	}
	if n, ok := u32(v); ok && n <= 0xffff {
		rc.setTarget(&ir.TCPMSS{MSS: uint16(n)})
		return
	}
	rc.fail("tcp option maxseg size set %s", show("value", v))
}

// concat reads the two concatenations the nftables backend writes:
// "sport . dport" against pairs where one side is any port (multiport
// --ports, either side) and a negated "type . code" (! --icmp-type T/C).
func (rc *ruleConv) concat(cc []any, neg bool, right any) {
	a, _ := cc[0].(obj)
	b, _ := cc[1].(obj)
	pa, _ := a["payload"].(obj)
	pb, _ := b["payload"].(obj)
	proto := str(pa["protocol"])
	elems, isSet := rc.elems(right)
	if !isSet || proto != str(pb["protocol"]) {
		rc.fail("cannot read the concatenation %s", show("concat", cc))
		return
	}
	pairs := make([][2]any, 0, len(elems))
	for _, e := range elems {
		eo, _ := e.(obj)
		c, _ := eo["concat"].([]any)
		if len(c) != 2 {
			rc.fail("cannot read the concatenation %s", show("concat", cc))
			return
		}
		pairs = append(pairs, [2]any{c[0], c[1]})
	}
	full := ir.PortRange{Lo: 0, Hi: 65535}
	switch f := str(pa["field"]) + " " + str(pb["field"]); {
	case f == "sport dport" && (proto == "tcp" || proto == "udp" || proto == "sctp"):
		n := map[string]uint8{"tcp": 6, "udp": 17, "sctp": 132}[proto]
		if !rc.proto(n) {
			return
		}
		mp := &ir.Multiport{Dir: ir.Both, Neg: neg}
		seen := map[ir.PortRange]bool{}
		for _, p := range pairs {
			s, ok1 := portRange(p[0])
			d, ok2 := portRange(p[1])
			if !ok1 || !ok2 || (s != full && d != full) {
				rc.fail("cannot read the concatenation %s (iptables matches a port on either side, the other any)", show("concat", cc))
				return
			}
			port := s
			if s == full {
				port = d
			}
			if !seen[port] {
				seen[port] = true
				mp.Ports = append(mp.Ports, port)
			}
		}
		rc.add(mp)
	case f == "type code" && (proto == "icmp" || proto == "icmpv6") && neg && len(pairs) == 1:
		fam, n, names := ir.IPv4, uint8(1), icmpTypes
		if proto == "icmpv6" {
			fam, n, names = ir.IPv6, 58, icmp6Types
		}
		rc.need(fam)
		ty, ok1 := byName(pairs[0][0], names)
		lo, hi, ok2 := codeRange(pairs[0][1])
		if !ok1 || !ok2 || !rc.proto(n) {
			rc.fail("cannot read the concatenation %s", show("concat", cc))
			return
		}
		rc.add(&ir.ICMP{V6: fam == ir.IPv6, Neg: true, Type: uint8(ty), CodeMin: lo, CodeMax: hi})
	default:
		rc.fail("cannot read the concatenation %s", show("concat", cc))
	}
}

// fibOif reads a reverse path test, "fib saddr [. mark] [. iif] oif"
// compared with 0 or tested with exists/missing (firewalld's IPv6_rpfilter
// writes "fib saddr . mark . iif oif missing drop"): the inverse of how
// the nftables backend writes -m rpfilter. A route back found is the
// match; without iif the lookup is rpfilter's --loose, with mark its
// --validmark.
func (rc *ruleConv) fibOif(f obj, flags []any, neg bool, right any) {
	m := &ir.RPFilter{Loose: true}
	ok, saddr := true, false
	for _, fl := range flags {
		switch str(fl) {
		case "saddr":
			saddr = true
		case "mark":
			m.ValidMark = true
		case "iif":
			m.Loose = false
		default:
			ok = false
		}
	}
	// found: the comparison holds when the lookup found a route.
	found := neg // oif != 0
	switch v := right.(type) {
	case bool: // exists, missing
		found = v != neg
	case string: // nft lists an interface index as a string
		ok = ok && v == "0"
	default:
		n, isNum := u32(v)
		ok = ok && isNum && n == 0
	}
	if !ok || !saddr {
		rc.fail("cannot read the fib expression %s", show("fib", f))
		return
	}
	m.Invert = !found
	rc.add(m)
}
