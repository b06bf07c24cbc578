package nft

import (
	"net/netip"

	"github.com/ruleshift/ruleshift/translate/ir"
)

// rejects maps nft's reject types and codes to iptables' --reject-with.
var rejects = map[string]ir.RejectWith{
	"icmp net-unreachable": ir.RejectNetUnreach, "icmp host-unreachable": ir.RejectHostUnreach,
	"icmp prot-unreachable": ir.RejectProtoUnreach, "icmp port-unreachable": ir.RejectPortUnreach,
	"icmp net-prohibited": ir.RejectNetProhib, "icmp host-prohibited": ir.RejectHostProhib,
	"icmp admin-prohibited": ir.RejectAdminProhib,
	"icmpv6 no-route":       ir.Reject6NoRoute, "icmpv6 admin-prohibited": ir.Reject6AdmProhib,
	"icmpv6 addr-unreachable": ir.Reject6AddrUnreach, "icmpv6 port-unreachable": ir.Reject6PortUnreach,
	"icmpv6 policy-fail": ir.Reject6PolicyFail, "icmpv6 reject-route": ir.Reject6RejectRoute,
	// icmpx is read as its IPv4 form; the IPv6 half of an inet table
	// takes the IPv6 one (icmpxReject).
	"icmpx port-unreachable": ir.RejectPortUnreach, "icmpx admin-prohibited": ir.RejectAdminProhib,
	"icmpx host-unreachable": ir.RejectHostUnreach, "icmpx no-route": ir.RejectNetUnreach,
}

func (rc *ruleConv) reject(b obj) {
	typ, code := str(b["type"]), str(b["expr"])
	switch {
	case typ == "tcp reset":
		if !rc.proto(6) {
			return
		}
		rc.setTarget(&ir.Reject{With: ir.RejectTCPReset})
		return
	case typ == "" && code == "":
		typ, code = "icmpx", "port-unreachable"
	case code == "":
		code = "port-unreachable"
	}
	w, ok := rejects[typ+" "+code]
	if !ok {
		rc.fail("reject with %s %s", typ, code)
		return
	}
	switch {
	case typ == "icmp":
		rc.need(ir.IPv4)
	case typ == "icmpv6":
		rc.need(ir.IPv6)
	case rc.t.family == "ip6":
		w = icmpxReject[w]
	}
	rc.setTarget(&ir.Reject{With: w})
}

var logLevels = map[string]int{"emerg": 0, "alert": 1, "crit": 2, "err": 3, "warn": 4, "notice": 5, "info": 6, "debug": 7}

func (rc *ruleConv) log(b obj) {
	if _, ok := b["group"]; ok {
		rc.nflog(b)
		return
	}
	l := &ir.Log{Prefix: str(b["prefix"])}
	if lv, ok := b["level"]; ok {
		n, ok := logLevels[str(lv)]
		if !ok {
			rc.fail("log level %v", lv)
			return
		}
		l.Level = ir.LogLevelOf(n)
	}
	for k := range b {
		switch k {
		case "prefix", "level":
		case "flags":
			flags, _ := b["flags"].([]any)
			if f, ok := b["flags"].(string); ok {
				flags = []any{f}
			}
			for _, f := range flags {
				switch f {
				case "tcp sequence":
					l.TCPSequence = true
				case "tcp options":
					l.TCPOptions = true
				case "ip options":
					l.IPOptions = true
				case "skuid":
					l.UID = true
				case "ether":
					l.MACDecode = true
				case "all":
					l.TCPSequence, l.TCPOptions, l.IPOptions, l.UID, l.MACDecode = true, true, true, true, true
				default:
					rc.fail("log flag %v", f)
					return
				}
			}
		default:
			rc.fail("log %s (ruleshift reads the LOG target's prefix, level and flags)", k)
			return
		}
	}
	rc.setTarget(l)
}

var perSecs = map[string]uint64{"second": 1, "minute": 60, "hour": 3600, "day": 86400}

// limit reads a packet rate limit as the limit match: the kernel's average
// interval in 1/10000 s, as iptables stores it.
func (rc *ruleConv) limit(b obj) {
	rate, per := uint64(num(b["rate"])), perSecs[str(b["per"])]
	if rate == 0 || per == 0 || b["inv"] == true || (b["rate_unit"] != nil && b["rate_unit"] != "packets") || (b["burst_unit"] != nil && b["burst_unit"] != "packets") {
		rc.fail("cannot read the limit %s (iptables' limit counts packets, and only matches under the rate)", show("limit", b))
		return
	}
	burst := uint32(num(b["burst"]))
	if burst == 0 {
		burst = 5
	}
	avg := ir.LimitScale * per / rate
	if avg > 0xffffffff {
		rc.fail("limit rate %d/%s is too slow for iptables", rate, str(b["per"]))
		return
	}
	rc.add(&ir.Limit{Avg: uint32(avg), Burst: burst})
}

func (rc *ruleConv) nat(kind string, b obj) {
	var ports *ir.PortRange
	if p, ok := b["port"]; ok {
		pr, ok := portRange(p)
		if !ok {
			rc.fail("%s port %s", kind, show("port", p))
			return
		}
		ports = &pr
	}
	var random, fully, persistent bool
	flags, _ := b["flags"].([]any)
	if s, ok := b["flags"].(string); ok {
		flags = []any{s}
	}
	for _, f := range flags {
		switch f {
		case "random":
			random = true
		case "fully-random":
			fully = true
		case "persistent":
			persistent = true
		default:
			rc.fail("%s flag %v", kind, f)
			return
		}
	}
	for k := range b {
		switch k {
		case "addr", "port", "flags", "family":
		default:
			rc.fail("%s %s", kind, k)
			return
		}
	}
	var to ir.NATRange
	to.Ports = ports
	if a, ok := b["addr"]; ok {
		lo, hi, ok := addrRange(a)
		if !ok {
			rc.fail("%s address %s", kind, show("addr", a))
			return
		}
		to.MinAddr, to.MaxAddr = lo, hi
		if lo.Is4() {
			rc.need(ir.IPv4)
		} else {
			rc.need(ir.IPv6)
		}
	}
	switch kind {
	case "snat", "dnat":
		if !to.HasAddr() {
			rc.fail("%s without an address", kind)
			return
		}
		if kind == "snat" {
			rc.setTarget(&ir.SNAT{To: to, Random: random, RandomFully: fully, Persistent: persistent})
		} else if fully {
			rc.fail("dnat fully-random")
		} else {
			rc.setTarget(&ir.DNAT{To: to, Random: random, Persistent: persistent})
		}
	case "masquerade", "redirect":
		if to.HasAddr() || persistent || (fully && kind == "redirect") {
			rc.fail("cannot read %s", show(kind, b))
			return
		}
		if kind == "masquerade" {
			rc.setTarget(&ir.Masquerade{Ports: ports, Random: random, RandomFully: fully})
		} else {
			rc.setTarget(&ir.Redirect{Ports: ports, Random: random})
		}
	}
}

func addrRange(v any) (lo, hi netip.Addr, ok bool) {
	switch x := v.(type) {
	case string:
		a, err := netip.ParseAddr(x)
		return a, a, err == nil
	case obj:
		r, _ := x["range"].([]any)
		if len(r) != 2 {
			return lo, hi, false
		}
		a, err1 := netip.ParseAddr(str(r[0]))
		b, err2 := netip.ParseAddr(str(r[1]))
		return a, b, err1 == nil && err2 == nil && a.Is4() == b.Is4()
	}
	return lo, hi, false
}

// nflog reads "log group N" (NFLOG) with its prefix, snaplen and queue
// threshold.
func (rc *ruleConv) nflog(b obj) {
	l := &ir.NFLog{Prefix: str(b["prefix"])}
	for k, v := range b {
		n := num(v)
		switch k {
		case "prefix":
		case "group":
			if n < 0 || n > 0xffff {
				rc.fail("log group %v", v)
				return
			}
			l.Group = uint16(n)
		case "snaplen":
			l.Range = uint32(n)
		case "queue-threshold":
			l.Threshold = uint16(n)
		default:
			rc.fail("log %s with a group (ruleshift reads NFLOG's group, prefix, snaplen and queue-threshold)", k)
			return
		}
	}
	rc.setTarget(l)
}
