package nftables

import (
	"fmt"
	"strings"
	"time"

	"github.com/google/nftables/expr"
	"github.com/ruleshift/ruleshift/backends/nftables/stmt"
	"github.com/ruleshift/ruleshift/translate/diag"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// The stateful group in nft 1.0.6 terms. Rate limits and meters follow
// iptables-translate; what nft cannot see (ipsets, bridge ports, payload
// searches, recent's hit lists) is refused with the reason.

var nftUnits = map[string]string{"sec": "second", "min": "minute", "hour": "hour", "day": "day"}

func (w *rw) limit(m *ir.Limit) {
	n, u := m.Rate()
	unit, ok := limitUnits[nftUnits[u.Name]]
	if !ok {
		w.errorf("internal error: limit unit %q", u.Name)
		return
	}
	w.emit(&stmt.Limit{Limit: expr.Limit{Type: expr.LimitTypePkts, Rate: n, Unit: unit, Burst: m.Burst}})
}

// hlBytesRate mirrors print_bytes_rate_xlate of libxt_hashlimit.c.
func hlBytesRate(m *ir.Hashlimit) string {
	units := []struct {
		name   string
		thresh uint64
	}{{"m", 1 << 20}, {"k", 1 << 10}, {"", 1}}
	cost2b := func(cost uint64) uint64 {
		r := uint64(0xFFFFFFFF)
		if cost != 0 {
			r = 0xFFFFFFFF / cost
		}
		return (r - 1) << 4
	}
	b2cost := func(b uint64) uint64 { return 0xFFFFFFFF / (uint64(uint32(b>>4)) + 1) }
	r := cost2b(m.Avg)
	i := 0
	for ; i < len(units)-1; i++ {
		if r >= units[i].thresh && b2cost(r&^(units[i].thresh-1)) == m.Avg {
			break
		}
	}
	s := fmt.Sprintf("%d %sbytes/second", r/units[i].thresh, units[i].name)
	if m.Burst > 0 {
		r *= m.Burst
		for i = 0; i < len(units)-1; i++ {
			if r >= units[i].thresh {
				break
			}
		}
		s += fmt.Sprintf(" burst %d %sbytes", r/units[i].thresh, units[i].name)
	}
	return s
}

func (w *rw) hashlimitKey(m *ir.Hashlimit) (string, bool) {
	full := uint8(32)
	if w.v6() {
		full = 128
	}
	var keys []string
	l4 := protoKeyword(w.l4())
	for _, x := range []struct {
		bit  ir.HashMode
		expr string
		mask uint8
	}{{ir.HashDstIP, w.ipKW() + " daddr", m.DstMask}, {ir.HashDstPort, "dport", 0}, {ir.HashSrcIP, w.ipKW() + " saddr", m.SrcMask}, {ir.HashSrcPort, "sport", 0}} {
		if m.Mode&x.bit == 0 {
			continue
		}
		e := x.expr
		if x.bit == ir.HashDstPort || x.bit == ir.HashSrcPort {
			if l := w.l4(); l != 6 && l != 17 && l != 132 && l != 33 && l != 136 {
				w.unsupported("hashlimit port mode", "nft needs the rule's protocol (-p tcp, udp, sctp, dccp or udplite) to read ports")
				return "", false
			}
			e = l4 + " " + x.expr
		} else if x.mask != full {
			e += " and " + maskString(x.mask, w.v6())
		}
		keys = append(keys, e)
	}
	if len(keys) == 0 {
		w.unsupported("hashlimit without --hashlimit-mode", "one shared bucket is a plain limit, but nft meters need a key; use -m limit instead")
		return "", false
	}
	return strings.Join(keys, " . "), true
}

func maskString(bits uint8, v6 bool) string {
	n := 4
	if v6 {
		n = 16
	}
	b := make([]byte, n)
	for i := 0; i < int(bits); i++ {
		b[i/8] |= 0x80 >> (i % 8)
	}
	if !v6 {
		return fmt.Sprintf("%d.%d.%d.%d", b[0], b[1], b[2], b[3])
	}
	var parts []string
	for i := 0; i < 16; i += 2 {
		parts = append(parts, fmt.Sprintf("%x", uint16(b[i])<<8|uint16(b[i+1])))
	}
	return strings.Join(parts, ":")
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
	key, ok := w.hashlimitKey(m)
	if !ok {
		return
	}
	timeout := ""
	if m.Expire != 1000 {
		// iptables-translate writes whole seconds, truncating 1500 ms
		// to 1s and 500 ms to 0s; nft takes milliseconds too.
		timeout = " timeout " + nftMillis(m.Expire)
	}
	s := "meter " + name + " { " + key + timeout + " limit rate "
	if shared {
		// The table declared the set (meterPlan.declare). What the meter compiles to: without a timeout the key is
		// added, with one it is updated.
		op := "add"
		if timeout != "" {
			op = "update"
		}
		s = op + " @" + name + " { " + key + timeout + " limit rate "
	}
	if m.Above {
		s += "over "
	}
	if m.Bytes {
		s += hlBytesRate(m)
	} else {
		n, u := ir.ScaledRate(m.Avg, ir.HashlimitScale)
		s += fmt.Sprintf("%d/%s burst %d packets", n, nftUnits[u.Name], m.Burst)
	}
	w.add(s + " }")
}

// nftMillis writes a duration in ms as nft 1.0.6 lists it: "60s",
// "1s500ms", "500ms".
func nftMillis(ms uint32) string {
	switch {
	case ms%1000 == 0:
		return fmt.Sprintf("%ds", ms/1000)
	case ms < 1000:
		return fmt.Sprintf("%dms", ms)
	}
	return fmt.Sprintf("%ds%dms", ms/1000, ms%1000)
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
		op := ""
		if neg {
			op = "!= "
		}
		v := fmt.Sprint(r.Min)
		switch {
		case r.Min != r.Max:
			v = fmt.Sprintf("%d-%d", r.Min, r.Max)
		case r.Name != "" && plainIdent.MatchString(r.Name) && !keywords[r.Name]:
			// nft resolves names when it loads the rule.
			v = r.Name
		}
		w.addf("meta %s %s%s", kw, op, v)
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
		f := func(v uint32) string { return time.Unix(int64(v), 0).UTC().Format("2006-01-02 15:04:05") }
		w.addf("meta time %s-%s", quote(f(m.DateStart)), quote(f(m.DateStop)))
	}
	if m.DaytimeStart != 0 || m.DaytimeStop != ir.TimeMaxDaytime {
		h := func(s uint32) string { return fmt.Sprintf("%02d:%02d:%02d", s/3600, s/60%60, s%60) }
		w.addf("meta hour %s-%s", quote(h(m.DaytimeStart)), quote(h(m.DaytimeStop)))
	}
	if m.Weekdays != ir.TimeAllWeekdays {
		var ds []string
		for i := 1; i <= 7; i++ {
			if m.Weekdays&(1<<i) != 0 {
				ds = append(ds, fmt.Sprint(i%7))
			}
		}
		switch len(ds) {
		case 0:
			w.unsupported("time with no weekday", "it matches no packet; remove the rule")
		case 1:
			w.add("meta day " + ds[0])
		default:
			w.add("meta day { " + strings.Join(ds, ", ") + " }")
		}
	}
}

func (w *rw) statistic(m *ir.Statistic) {
	if !m.Nth {
		op := "<"
		if m.Neg {
			op = ">="
		}
		w.addf("meta random & 2147483647 %s %d", op, m.Probability)
		return
	}
	op := ""
	if m.Neg {
		op = "!= "
	}
	w.addf("numgen inc mod %d %s%d", uint64(m.Every)+1, op, m.Packet)
}

func (w *rw) quota(m *ir.Quota) {
	if m.Neg {
		w.addf("quota over %d bytes", m.Bytes)
		return
	}
	w.addf("quota %d bytes", m.Bytes)
}

func (w *rw) policy(m *ir.IPsecPolicy) {
	if len(m.Elems) > 0 || m.Strict {
		w.unsupported("policy with SA conditions (--strict, --reqid, --spi, --proto, --mode, --tunnel-*)", policyWhy(m))
		return
	}
	state := "missing"
	if m.IPsec {
		state = "exists"
	}
	if m.Out {
		// The outbound policy is the route's xfrm bundle: "rt ipsec".
		w.add("rt ipsec " + state)
		return
	}
	w.add("meta secpath " + state)
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
