package nftables

import (
	"fmt"
	"math"
	"strings"

	"github.com/google/nftables/expr"
	"github.com/ruleshift/ruleshift/backends/nftables/stmt"
	"github.com/ruleshift/ruleshift/translate/diag"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// The stateful group in nft 1.0.6 terms. Rate limits and meters follow
// iptables-translate; what nft cannot see (ipsets, bridge ports, payload
// searches, recent's hit lists) is refused with the reason.

var nftUnits = map[string]string{"sec": "second", "min": "minute", "hour": "hour", "day": "day"}

var limitUnits = map[string]expr.LimitTime{
	"second": expr.LimitTimeSecond, "minute": expr.LimitTimeMinute, "hour": expr.LimitTimeHour,
	"day": expr.LimitTimeDay, "week": expr.LimitTimeWeek,
}

func (w *rw) limit(m *ir.Limit) {
	n, u := m.Rate()
	unit, ok := limitUnits[nftUnits[u.Name]]
	if !ok {
		w.errorf("internal error: limit unit %q", u.Name)
		return
	}
	w.emit(&stmt.Limit{Limit: expr.Limit{Type: expr.LimitTypePkts, Rate: n, Unit: unit, Burst: m.Burst}})
}

func (w *rw) hashlimitKey(m *ir.Hashlimit) ([]stmt.MeterKey, bool) {
	full := uint8(32)
	if w.v6() {
		full = 128
	}
	var keys []stmt.MeterKey
	for _, x := range []struct {
		bit  ir.HashMode
		dst  bool
		mask uint8
	}{{ir.HashDstIP, true, m.DstMask}, {ir.HashDstPort, true, 0}, {ir.HashSrcIP, false, m.SrcMask}, {ir.HashSrcPort, false, 0}} {
		if m.Mode&x.bit == 0 {
			continue
		}
		k := stmt.MeterKey{Dst: x.dst, V6: w.v6(), Bits: x.mask}
		if x.bit == ir.HashDstPort || x.bit == ir.HashSrcPort {
			if l := w.l4(); l != 6 && l != 17 && l != 132 && l != 33 && l != 136 {
				w.unsupported("hashlimit port mode", "nft needs the rule's protocol (-p tcp, udp, sctp, dccp or udplite) to read ports")
				return nil, false
			}
			k.Proto, k.Bits = w.l4(), full
		}
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		w.unsupported("hashlimit without --hashlimit-mode", "one shared bucket is a plain limit, but nft meters need a key; use -m limit instead")
		return nil, false
	}
	return keys, true
}

func (w *rw) hashlimit(m *ir.Hashlimit) {
	if m.RateMatch {
		w.unsupported("hashlimit --hashlimit-rate-match", "nft limits have no rate-measuring mode")
		return
	}
	name := w.meterNFT(m)
	if name != m.Name {
		w.diags.Report(diag.Rewritten, ir.PosOf(w.node, w.rule), "hashlimit name %q is named %q in the nftables output: nft 1.0.6 cannot load that name as a set", m.Name, name)
	}
	shared, ok := w.sharedMeter(m)
	if !ok {
		return
	}
	keys, ok := w.hashlimitKey(m)
	if !ok {
		return
	}
	mt := &stmt.Meter{Name: name, Shared: shared, Keys: keys, Limit: expr.Limit{Type: expr.LimitTypePkts, Over: m.Above}}
	if m.Expire != 1000 {
		// iptables-translate writes whole seconds, truncating 1500 ms
		// to 1s and 500 ms to 0s; nft takes milliseconds too.
		mt.Timeout = m.Expire
	}
	if m.Bytes {
		mt.Cost, mt.Limit.Type, mt.Burst = m.Avg, expr.LimitTypePktBytes, m.Burst
		if _, b := stmt.BytesRate(m.Avg, m.Burst); b > math.MaxUint32 {
			// nft 1.0.6 would load the burst modulo 2^32.
			w.unsupported("--hashlimit-burst", fmt.Sprintf("a burst of %d bytes: nft keeps a byte burst in 32 bits (at most 4 gbytes)", b))
			return
		}
	} else {
		n, u := ir.ScaledRate(m.Avg, ir.HashlimitScale)
		unit, ok := limitUnits[nftUnits[u.Name]]
		if !ok {
			w.errorf("internal error: hashlimit unit %q", u.Name)
			return
		}
		mt.Limit.Rate, mt.Limit.Unit, mt.Burst = n, unit, m.Burst
	}
	w.emit(mt)
}

func (w *rw) owner(m *ir.Owner) {
	if m.SocketExists {
		w.unsupported("owner --socket-exists", "nft 1.0.6 has no test for a socket without an owner")
		return
	}
	if m.SupplGroups {
		w.unsupported("owner --suppl-groups", "nft's skgid sees only the primary group")
		return
	}
	id := func(kw string, r *ir.IDRange, neg bool) {
		if r == nil {
			return
		}
		s := &stmt.SkID{Gid: kw == "skgid", Neg: neg, Min: r.Min, Max: r.Max}
		if r.Min == r.Max && r.Name != "" && plainIdent.MatchString(r.Name) && !keywords[r.Name] {
			// nft resolves names when it loads the rule.
			s.Name = r.Name
		}
		w.emit(s)
	}
	id("skuid", m.UID, m.NegUID)
	id("skgid", m.GID, m.NegGID)
}

func (w *rw) timeMatch(m *ir.Time) {
	if m.Monthdays != ir.TimeAllMonthdays {
		w.unsupported("time --monthdays", "nft 1.0.6 has no day-of-month expression")
		return
	}
	if m.KernelTZ {
		w.unsupported("time --kerneltz", "nft compares in the timezone nft runs in, not the kernel's")
		return
	}
	if m.Contiguous || m.DaytimeStart > m.DaytimeStop {
		w.unsupported("time window across midnight", "nft 1.0.6 takes \"meta hour\" ranges within one day")
		return
	}
	if m.DateStart != 0 || m.DateStop != ir.TimeMaxDate || m.DaytimeStart != 0 || m.DaytimeStop != ir.TimeMaxDaytime {
		// Seen on nft 1.0.6: "08:00" loaded under TZ=America/New_York
		// lists as "13:00" under TZ=UTC. iptables compares in UTC.
		w.diags.Report(diag.Semantics, ir.PosOf(w.node, w.rule), "time: nft converts these times with the time zone of the process that loads the script, while iptables compares in UTC: load it with TZ=UTC")
	}
	if m.DateStart != 0 || m.DateStop != ir.TimeMaxDate {
		w.emit(&stmt.MetaTime{From: m.DateStart, To: m.DateStop})
	}
	if m.DaytimeStart != 0 || m.DaytimeStop != ir.TimeMaxDaytime {
		w.emit(&stmt.MetaHour{From: m.DaytimeStart, To: m.DaytimeStop})
	}
	if m.Weekdays != ir.TimeAllWeekdays {
		var ds []uint8
		for i := 1; i <= 7; i++ {
			if m.Weekdays&(1<<i) != 0 {
				ds = append(ds, uint8(i%7))
			}
		}
		if len(ds) == 0 {
			w.unsupported("time with no weekday", "it matches no packet; remove the rule")
			return
		}
		w.emit(&stmt.MetaDay{Days: ds})
	}
}

func (w *rw) statistic(m *ir.Statistic) {
	if !m.Nth {
		w.emit(&stmt.Random{Prob: m.Probability, Neg: m.Neg})
		return
	}
	if m.Every == math.MaxUint32 {
		w.unsupported("statistic --every 4294967296", "nft's numgen modulus is a 32-bit number, at most 4294967295")
		return
	}
	w.emit(&stmt.Numgen{Mod: uint64(m.Every) + 1, Packet: m.Packet, Neg: m.Neg})
}

func (w *rw) quota(m *ir.Quota) {
	w.emit(&stmt.Quota{Bytes: m.Bytes, Over: m.Neg})
}

func (w *rw) policy(m *ir.IPsecPolicy) {
	if len(m.Elems) > 0 || m.Strict {
		w.unsupported("policy with SA conditions (--strict, --reqid, --spi, --proto, --mode, --tunnel-*)", policyWhy(m))
		return
	}
	// The outbound policy is the route's xfrm bundle: "rt ipsec".
	w.emit(&stmt.Secpath{Out: m.Out, Exists: m.IPsec})
}

// policyWhy says why nft 1.0.6 cannot express an -m policy with SA
// conditions. Its "ipsec in|out [spnum N] reqid|spi|ip saddr|ip daddr|ip6
// saddr|ip6 daddr" loads one key of the SA at one position of the path,
// and a missing SA ends the rule (NFT_BREAK), with == and != alike.
func policyWhy(m *ir.IPsecPolicy) string {
	var why []string
	if m.Strict {
		why = append(why, fmt.Sprintf("with --strict iptables requires exactly %d SA(s) in the path; nft can test positions 0 to %d with spnum but has no test that no SA follows", len(m.Elems), len(m.Elems)-1))
		if !m.Out && len(m.Elems) > 1 {
			why = append(why, "for inbound packets the SA each element is compared with depends on the kernel (Linux commit 4b2b4d7d4e20 fixed xt_policy reading elements from outside its array)")
		}
	} else {
		why = append(why, "without --strict iptables matches when any SA of the path satisfies the element; nft reads one SA position per expression and one rule cannot OR positions")
	}
	var protoMode, tunnel bool
	for _, e := range m.Elems {
		protoMode = protoMode || e.Proto != nil || e.Mode != ""
		tunnel = tunnel || e.TunnelSrc != nil || e.TunnelDst != nil
	}
	if protoMode {
		why = append(why, "nft 1.0.6 has no ipsec key for the SA protocol (--proto) or mode (--mode)")
	}
	if tunnel {
		why = append(why, "nft reads an SA's addresses only for tunnel and BEET mode SAs, while xt_policy compares --tunnel-src/--tunnel-dst with transport mode SAs too")
	}
	return strings.Join(why, "; ")
}

func (w *rw) stateless(module, why string) { w.unsupported("-m "+module, why) }

// recent refuses -m recent, saying why for the command the rule has: a
// --set or --remove line has no --hitcount or --seconds of its own, but
// fills the list that --rcheck and --update rules read with the times of
// each address's hits.
func (w *rw) recent(m *ir.Recent) {
	switch m.Cmd {
	case ir.RecentSet, ir.RecentRemove:
		w.unsupported("-m recent --"+string(m.Cmd), fmt.Sprintf("the list %q it keeps holds the times of each address's hits, which --rcheck and --update read and nft sets do not keep; use a dynamic set with a meter instead", m.Name))
	default:
		w.stateless("recent", "nft sets have no per-address hit counts or timestamps lists (--hitcount, --seconds, --rttl); use a dynamic set with a meter instead")
	}
}
