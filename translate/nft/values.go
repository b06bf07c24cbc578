package nft

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"

	"github.com/ruleshift/ruleshift/translate/ir"
)

// elems returns the elements of a set on the right-hand side (anonymous,
// or named "@name"); isSet is false for a single value.
func (rc *ruleConv) elems(right any) ([]any, bool) {
	switch x := right.(type) {
	case obj:
		if l, ok := x["set"].([]any); ok {
			return l, true
		}
	case string:
		if strings.HasPrefix(x, "@") {
			l, ok := rc.t.sets[x[1:]]
			if !ok {
				rc.fail("set %s is not defined", x)
			}
			return l, true
		}
	case []any:
		return x, true
	}
	return nil, false
}

// each adds the match mk makes of right: one match for a single value;
// for a set, every element's match, in one rule each (a choice) or, when
// negated, all in the one rule (not in the set = none of the elements).
func (rc *ruleConv) each(neg bool, right any, mk func(any) ir.Match) {
	elems, isSet := rc.elems(right)
	if !isSet {
		if m := mk(right); m != nil {
			rc.add(m)
		}
		return
	}
	var choice [][]ir.Match
	for _, e := range elems {
		if eo, ok := e.(obj); ok && eo["elem"] != nil {
			// An element with a comment or a timeout.
			el, _ := eo["elem"].(obj)
			e = el["val"]
		}
		m := mk(e)
		if m == nil {
			return
		}
		m.SetPos(rc.pos)
		if neg {
			rc.add(m)
		} else {
			choice = append(choice, []ir.Match{m})
		}
	}
	if !neg {
		if rc.target != nil {
			rc.fail("a match after the action %s", rc.target.Name())
			return
		}
		if len(choice) == 0 {
			rc.fail("an empty set matches nothing")
			return
		}
		rc.choices = append(rc.choices, choice)
	}
}

func prefix(v any) (netip.Prefix, bool) {
	switch x := v.(type) {
	case string:
		a, err := netip.ParseAddr(x)
		if err != nil {
			return netip.Prefix{}, false
		}
		return netip.PrefixFrom(a, a.BitLen()), true
	case obj:
		p, ok := x["prefix"].(obj)
		if !ok {
			return netip.Prefix{}, false
		}
		a, err := netip.ParseAddr(str(p["addr"]))
		if err != nil {
			return netip.Prefix{}, false
		}
		pp, err := a.Prefix(num(p["len"]))
		return pp, err == nil && pp.Addr() == a
	}
	return netip.Prefix{}, false
}

func portRange(v any) (ir.PortRange, bool) {
	switch x := v.(type) {
	case json.Number:
		n, err := x.Int64()
		if err != nil || n < 0 || n > 65535 {
			return ir.PortRange{}, false
		}
		return ir.PortRange{Lo: uint16(n), Hi: uint16(n)}, true
	case obj:
		r, ok := x["range"].([]any)
		if !ok || len(r) != 2 {
			return ir.PortRange{}, false
		}
		lo, ok1 := portRange(r[0])
		hi, ok2 := portRange(r[1])
		return ir.PortRange{Lo: lo.Lo, Hi: hi.Lo}, ok1 && ok2 && lo.Lo <= hi.Lo
	}
	return ir.PortRange{}, false
}

// byName reads a number or one of the names nft prints for it.
func byName(v any, names map[string]int) (int, bool) {
	switch x := v.(type) {
	case json.Number:
		n, err := x.Int64()
		return int(n), err == nil && n >= 0 && n < 256
	case string:
		n, ok := names[x]
		return n, ok
	}
	return 0, false
}

var protoNums = map[string]int{"icmp": 1, "igmp": 2, "tcp": 6, "udp": 17, "gre": 47, "esp": 50, "ah": 51, "ipv6-icmp": 58, "icmpv6": 58, "sctp": 132, "udplite": 136}

func protoName(n uint8) string {
	for k, v := range protoNums {
		if v == int(n) && k != "icmpv6" {
			return k
		}
	}
	return fmt.Sprint(n)
}

var icmpTypes = map[string]int{
	"echo-reply": 0, "destination-unreachable": 3, "source-quench": 4, "redirect": 5, "echo-request": 8,
	"router-advertisement": 9, "router-solicitation": 10, "time-exceeded": 11, "parameter-problem": 12,
	"timestamp-request": 13, "timestamp-reply": 14, "info-request": 15, "info-reply": 16,
	"address-mask-request": 17, "address-mask-reply": 18,
}

var icmp6Types = map[string]int{
	"destination-unreachable": 1, "packet-too-big": 2, "time-exceeded": 3, "parameter-problem": 4,
	"echo-request": 128, "echo-reply": 129, "mld-listener-query": 130, "mld-listener-report": 131,
	"mld-listener-done": 132, "mld-listener-reduction": 132, "nd-router-solicit": 133, "nd-router-advert": 134,
	"nd-neighbor-solicit": 135, "nd-neighbor-advert": 136, "nd-redirect": 137, "router-renumbering": 138,
	"ind-neighbor-solicit": 141, "ind-neighbor-advert": 142, "mld2-listener-report": 143,
}

// idRange reads a user or group id, or a range of them, as numbers (nft -j
// prints names for ids that have one on the listing machine, which say
// nothing on another: those are refused).
func idRange(v any) (uint32, uint32, bool) {
	switch x := v.(type) {
	case json.Number:
		n, err := x.Int64()
		return uint32(n), uint32(n), err == nil && n >= 0 && n <= 0xffffffff
	case obj:
		r, _ := x["range"].([]any)
		if len(r) != 2 {
			return 0, 0, false
		}
		lo, _, ok1 := idRange(r[0])
		hi, _, ok2 := idRange(r[1])
		return lo, hi, ok1 && ok2 && lo <= hi
	}
	return 0, 0, false
}
