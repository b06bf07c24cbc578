package iptables

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/ruleshift/ruleshift/internal/netfilter"
	"github.com/ruleshift/ruleshift/translate/diag"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// Renderers for the stateful group, in iptables-save's option order.

func (w *writer) limit(m *ir.Limit) {
	n, u := m.Rate()
	w.module("limit", "--limit", fmt.Sprintf("%d/%s", n, u.Name))
	if m.Burst != 5 {
		w.add("--limit-burst", strconv.FormatUint(uint64(m.Burst), 10))
	}
}

// hlBytes mirrors print_bytes of libxt_hashlimit.c.
func hlBytes(m *ir.Hashlimit) (rate, burst string) {
	units := []struct {
		name   string
		thresh uint64
	}{{"m", 1 << 20}, {"k", 1 << 10}, {"", 1}}
	r := hlCostToBytes(m.Avg)
	i := 0
	for ; i < len(units)-1; i++ {
		if r >= units[i].thresh && hlBytesToCost(r&^(units[i].thresh-1)) == m.Avg {
			break
		}
	}
	rate = fmt.Sprintf("%d%sb/s", r/units[i].thresh, units[i].name)
	if m.Burst == 0 {
		return rate, ""
	}
	r *= m.Burst
	for i = 0; i < len(units)-1; i++ {
		if r >= units[i].thresh {
			break
		}
	}
	return rate, fmt.Sprintf("%d%sb", r/units[i].thresh, units[i].name)
}

func hlCostToBytes(cost uint64) uint64 {
	r := uint64(0xFFFFFFFF)
	if cost != 0 {
		r = 0xFFFFFFFF / cost
	}
	return (r - 1) << 4
}

func hlBytesToCost(b uint64) uint64 { return 0xFFFFFFFF / (uint64(uint32(b>>4)) + 1) }

// HashModeList names the mode bits in iptables-save's order.
func HashModeList(m ir.HashMode) []string {
	var out []string
	for _, x := range []struct {
		bit  ir.HashMode
		name string
	}{{ir.HashSrcIP, "srcip"}, {ir.HashSrcPort, "srcport"}, {ir.HashDstIP, "dstip"}, {ir.HashDstPort, "dstport"}} {
		if m&x.bit != 0 {
			out = append(out, x.name)
		}
	}
	return out
}

func (w *writer) hashlimit(m *ir.Hashlimit) {
	w.module("hashlimit")
	if m.Above {
		w.add("--hashlimit-above")
	} else {
		w.add("--hashlimit-upto")
	}
	var quantum uint32
	if m.Bytes {
		rate, burst := hlBytes(m)
		w.add(rate)
		quantum = 15000
		if burst != "" {
			w.add("--hashlimit-burst", burst)
			quantum = 60000
		}
	} else {
		n, u := ir.ScaledRate(m.Avg, ir.HashlimitScale)
		w.add(fmt.Sprintf("%d/%s", n, u.Name), "--hashlimit-burst", strconv.FormatUint(m.Burst, 10))
		quantum = uint32(u.Secs * 1000)
	}
	if modes := HashModeList(m.Mode); len(modes) > 0 {
		w.add("--hashlimit-mode", strings.Join(modes, ","))
	}
	w.opt(false, "--hashlimit-name", m.Name)
	u32s := []struct {
		on   bool
		name string
		v    uint32
	}{{m.Size != 0, "--hashlimit-htable-size", m.Size}, {m.Max != 0, "--hashlimit-htable-max", m.Max},
		{m.GCInterval != 1000, "--hashlimit-htable-gcinterval", m.GCInterval},
		{m.Expire != quantum, "--hashlimit-htable-expire", m.Expire}}
	for _, x := range u32s {
		if x.on {
			w.add(x.name, strconv.FormatUint(uint64(x.v), 10))
		}
	}
	full := uint8(32)
	if w.f == ir.IPv6 {
		full = 128
	}
	if m.SrcMask != full {
		w.add("--hashlimit-srcmask", strconv.Itoa(int(m.SrcMask)))
	}
	if m.DstMask != full {
		w.add("--hashlimit-dstmask", strconv.Itoa(int(m.DstMask)))
	}
	if m.RateMatch {
		w.add("--hashlimit-rate-match")
		if m.Interval != 1 {
			w.add("--hashlimit-rate-interval", strconv.FormatUint(uint64(m.Interval), 10))
		}
	}
}

func (w *writer) recent(m *ir.Recent) {
	w.module("recent")
	w.opt(m.Neg, "--"+string(m.Cmd))
	if m.Seconds != 0 {
		w.add("--seconds", strconv.FormatUint(uint64(m.Seconds), 10))
	}
	if m.Reap {
		w.add("--reap")
	}
	if m.HitCount != 0 {
		w.add("--hitcount", strconv.FormatUint(uint64(m.HitCount), 10))
	}
	if m.TTL {
		w.add("--rttl")
	}
	w.opt(false, "--name", m.Name)
	w.add("--mask", m.Mask.String())
	if m.Dest {
		w.add("--rdest")
	} else {
		w.add("--rsource")
	}
}

func idRange(r *ir.IDRange) string {
	if r.Min == r.Max {
		return strconv.FormatUint(uint64(r.Min), 10)
	}
	return fmt.Sprintf("%d-%d", r.Min, r.Max)
}

func (w *writer) owner(m *ir.Owner) {
	w.module("owner")
	if m.SocketExists {
		w.opt(m.NegSocket, "--socket-exists")
	}
	if m.UID != nil {
		w.nameWarning("user", m.UID)
		w.opt(m.NegUID, "--uid-owner", idRange(m.UID))
	}
	if m.GID != nil {
		w.nameWarning("group", m.GID)
		w.opt(m.NegGID, "--gid-owner", idRange(m.GID))
	}
	if m.SupplGroups {
		w.add("--suppl-groups")
	}
}

// nameWarning says that a user or group name became a number: the kernel
// keeps numbers, and this machine's user database made it, which may not
// be the target's. (nft output keeps the name: nft resolves it at load.)
func (w *writer) nameWarning(kind string, r *ir.IDRange) {
	if r.Name != "" {
		id := map[string]string{"user": "uid", "group": "gid"}[kind]
		w.diags.Report(diag.Semantics, w.rule.Src, "owner: %s %q written as %s %s, as this machine resolves it; check that the target machine agrees", kind, r.Name, id, idRange(r))
	}
}

func (w *writer) setMatch(m *ir.SetMatch) {
	dirs := make([]string, len(m.Dirs))
	for i, d := range m.Dirs {
		dirs[i] = map[ir.Dir]string{ir.Src: "src", ir.Dst: "dst"}[d]
	}
	w.module("set")
	w.opt(m.Neg, "--match-set", m.Name, strings.Join(dirs, ","))
	if m.ReturnNomatch {
		w.add("--return-nomatch")
	}
	if m.NoUpdateCounters {
		w.add("!", "--update-counters")
	}
	if m.NoUpdateSubCounters {
		w.add("!", "--update-subcounters")
	}
	if m.PacketsOp != "" {
		w.opt(m.NegPackets, "--packets-"+m.PacketsOp.String(), strconv.FormatUint(m.Packets, 10))
	}
	if m.BytesOp != "" {
		w.opt(m.NegBytes, "--bytes-"+m.BytesOp.String(), strconv.FormatUint(m.Bytes, 10))
	}
}

func printable(p []byte) bool {
	for _, b := range p {
		if b < 0x20 || b > 0x7e {
			return false
		}
	}
	return true
}

func (w *writer) stringMatch(m *ir.String) {
	w.module("string")
	if printable(m.Pattern) {
		w.opt(m.Neg, "--string")
		w.add(QuoteAlways(string(m.Pattern)))
	} else {
		w.opt(m.Neg, "--hex-string")
		w.add(fmt.Sprintf(`"|%x|"`, m.Pattern))
	}
	w.add("--algo", m.Algo.String())
	if m.From != 0 {
		w.add("--from", strconv.Itoa(int(m.From)))
	}
	if m.To != 65535 {
		w.add("--to", strconv.Itoa(int(m.To)))
	}
	if m.ICase {
		w.add("--icase")
	}
}

func (w *writer) u32(m *ir.U32) {
	w.module("u32")
	w.opt(m.Neg, "--u32")
	w.add(QuoteAlways(m.Expr))
}

func hms(s uint32) string { return fmt.Sprintf("%02d:%02d:%02d", s/3600, s/60%60, s%60) }

func (w *writer) timeMatch(m *ir.Time) {
	w.module("time")
	if m.DaytimeStart != 0 || m.DaytimeStop != ir.TimeMaxDaytime {
		w.add("--timestart", hms(m.DaytimeStart), "--timestop", hms(m.DaytimeStop))
	}
	if m.Monthdays != ir.TimeAllMonthdays {
		var ds []string
		for i := 1; i <= 31; i++ {
			if m.Monthdays&(1<<i) != 0 {
				ds = append(ds, strconv.Itoa(i))
			}
		}
		w.add("--monthdays", strings.Join(ds, ","))
	}
	if m.Weekdays != ir.TimeAllWeekdays {
		w.add("--weekdays", strings.Join(Weekdays(m.Weekdays), ","))
	}
	date := func(name string, v uint32) {
		if v != 0 {
			w.add(name, time.Unix(int64(v), 0).UTC().Format("2006-01-02T15:04:05"))
		}
	}
	date("--datestart", m.DateStart)
	date("--datestop", m.DateStop)
	if m.KernelTZ {
		w.add("--kerneltz")
	}
	if m.Contiguous {
		w.add("--contiguous")
	}
}

// Weekdays names the days of a weekday mask, Monday first.
func Weekdays(mask uint8) []string {
	names := []string{"", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}
	var out []string
	for i := 1; i <= 7; i++ {
		if mask&(1<<i) != 0 {
			out = append(out, names[i])
		}
	}
	return out
}

func (w *writer) statistic(m *ir.Statistic) {
	w.module("statistic")
	if !m.Nth {
		w.add("--mode", "random")
		w.opt(m.Neg, "--probability", fmt.Sprintf("%.11f", float64(m.Probability)/0x80000000))
		return
	}
	w.add("--mode", "nth")
	w.opt(m.Neg, "--every", strconv.FormatUint(uint64(m.Every)+1, 10))
	w.add("--packet", strconv.FormatUint(uint64(m.Packet), 10))
}

func (w *writer) quota(m *ir.Quota) {
	w.module("quota")
	w.opt(m.Neg, "--quota", strconv.FormatUint(m.Bytes, 10))
}

func (w *writer) policy(m *ir.IPsecPolicy) {
	w.module("policy", "--dir", map[bool]string{false: "in", true: "out"}[m.Out],
		"--pol", map[bool]string{false: "none", true: "ipsec"}[m.IPsec])
	if m.Strict {
		w.add("--strict")
	}
	for i, e := range m.Elems {
		if i > 0 {
			w.add("--next")
		}
		if e.ReqID != nil {
			w.opt(e.NegReqID, "--reqid", strconv.FormatUint(uint64(*e.ReqID), 10))
		}
		if e.SPI != nil {
			w.opt(e.NegSPI, "--spi", fmt.Sprintf("0x%x", *e.SPI))
		}
		if e.Proto != nil {
			name := netfilter.ProtoName(*e.Proto)
			if name == "" {
				name = strconv.Itoa(int(*e.Proto))
			}
			w.opt(e.NegProto, "--proto", name)
		}
		if e.Mode != "" {
			w.opt(e.NegMode, "--mode", e.Mode.String())
		}
		if e.TunnelDst != nil {
			w.opt(e.NegTunnelDst, "--tunnel-dst", e.TunnelDst.String())
		}
		if e.TunnelSrc != nil {
			w.opt(e.NegTunnelSrc, "--tunnel-src", e.TunnelSrc.String())
		}
	}
}

func (w *writer) physdev(m *ir.Physdev) {
	w.module("physdev")
	if m.IsIn {
		w.opt(m.NegIsIn, "--physdev-is-in")
	}
	if m.In != "" {
		w.opt(m.NegIn, "--physdev-in", m.In)
	}
	if m.IsOut {
		w.opt(m.NegIsOut, "--physdev-is-out")
	}
	if m.Out != "" {
		w.opt(m.NegOut, "--physdev-out", m.Out)
	}
	if m.IsBridged {
		w.opt(m.NegIsBridged, "--physdev-is-bridged")
	}
}
