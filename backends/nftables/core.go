package nftables

import (
	"fmt"
	"math/bits"
	"strings"
	"unicode"

	"github.com/ruleshift/ruleshift/translate/ir"
)

// ports formats a port range as nft does (a-b).
func ports(r ir.PortRange) string {
	if r.Single() {
		return fmt.Sprint(r.Lo)
	}
	return fmt.Sprintf("%d-%d", r.Lo, r.Hi)
}

// portMatch writes "PROTO sport [!=] RANGE". A full range matches every
// packet and is left out, but a negated full range never matches and is
// kept: dropping it would turn a dead rule into one that always fires.
func (w *rw) portMatch(proto, field string, r *ir.PortRange, neg bool) bool {
	if r == nil || (r.Full() && !neg) {
		return false
	}
	op := ""
	if neg {
		op = "!= "
	}
	w.addf("%s %s %s%s", proto, field, op, ports(*r))
	return true
}

// l4Only writes "meta l4proto X" when a protocol match ended up with nothing
// to say, so the protocol condition is not lost.
func (w *rw) l4Only(name string) {
	w.add("meta l4proto " + name)
}

func (w *rw) tcp(m *ir.TCP) {
	n := 0
	if w.portMatch("tcp", "sport", m.SrcPorts, m.NegSrc) {
		n++
	}
	if w.portMatch("tcp", "dport", m.DstPorts, m.NegDst) {
		n++
	}
	if f := m.Flags; f != nil {
		op := ""
		if f.Neg {
			op = "!= "
		}
		if bits.OnesCount8(f.Mask) == 1 {
			// nft 1.0.6 cannot parse "tcp flags syn / syn" (it wants a
			// list after "/"), though it lists that form; the & form
			// compiles to the same expressions. The compared value is
			// kept whole: bits outside the mask make the rule match
			// nothing (iptables compares flags&mask with it as given),
			// and masking them away would make it match.
			cmp := "=="
			if f.Neg {
				cmp = "!="
			}
			w.addf("tcp flags & %s %s %s", tcpFlagList(f.Mask), cmp, tcpFlagList(f.Comp))
		} else {
			w.addf("tcp flags %s%s / %s", op, tcpFlagList(f.Comp), tcpFlagList(f.Mask))
		}
		n++
	}
	if m.Option != nil {
		state := "exists"
		if m.NegOption {
			state = "missing"
		}
		w.addf("tcp option %d %s", *m.Option, state)
		n++
	}
	if n == 0 && w.l4Needed() {
		w.l4Only("tcp")
	}
}

var tcpFlagNames = []string{"fin", "syn", "rst", "psh", "ack", "urg"}

func tcpFlagList(v uint8) string {
	if v == 0 {
		return "0x0"
	}
	var out []string
	for i, n := range tcpFlagNames {
		if v&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return strings.Join(out, ",")
}

func (w *rw) udp(m *ir.UDP) {
	a := w.portMatch("udp", "sport", m.SrcPorts, m.NegSrc)
	b := w.portMatch("udp", "dport", m.DstPorts, m.NegDst)
	if !a && !b && w.l4Needed() {
		w.l4Only("udp")
	}
}

func (w *rw) sctp(m *ir.SCTP) {
	a := w.portMatch("sctp", "sport", m.SrcPorts, m.NegSrc)
	b := w.portMatch("sctp", "dport", m.DstPorts, m.NegDst)
	if m.ChunkMatch != "" {
		w.sctpChunks(m)
		return
	}
	if !a && !b && w.l4Needed() {
		w.l4Only("sctp")
	}
}

// sctpChunkOrder is libxt_sctp's chunk table: its order is the order
// iptables-translate writes chunk tests in, and valid holds the flag
// letters from bit 7 down to bit 0 ('-' for none). An empty nft name is a
// chunk type nft 1.0.6 has no keyword for.
var sctpChunkOrder = []struct{ name, nft, valid string }{
	{"DATA", "data", "----IUBE"}, {"INIT", "init", "--------"}, {"INIT_ACK", "init-ack", "--------"},
	{"SACK", "sack", "--------"}, {"HEARTBEAT", "heartbeat", "--------"},
	{"HEARTBEAT_ACK", "heartbeat-ack", "--------"}, {"ABORT", "abort", "-------T"},
	{"SHUTDOWN", "shutdown", "--------"}, {"SHUTDOWN_ACK", "shutdown-ack", "--------"},
	{"ERROR", "error", "--------"}, {"COOKIE_ECHO", "cookie-echo", "--------"},
	{"COOKIE_ACK", "cookie-ack", "--------"}, {"ECN_ECNE", "ecne", "--------"},
	{"ECN_CWR", "cwr", "--------"}, {"SHUTDOWN_COMPLETE", "shutdown-complete", "-------T"},
	{"I_DATA", "", "----IUBE"}, {"RE_CONFIG", "", "--------"}, {"PAD", "", "--------"},
	{"ASCONF", "asconf", "--------"}, {"ASCONF_ACK", "asconf-ack", "--------"},
	{"FORWARD_TSN", "forward-tsn", "--------"}, {"I_FORWARD_TSN", "", "--------"},
}

// sctpChunkTest is "sctp chunk X exists", or a flags test when the chunk
// was given with flags (upper case: set, lower case: clear).
func sctpChunkTest(nft, valid, flags string) (string, bool) {
	if flags == "" {
		return "sctp chunk " + nft + " exists", true
	}
	var mask, val uint8
	for _, f := range flags {
		bit := strings.IndexRune(valid, unicode.ToUpper(f))
		if bit < 0 {
			return "", false
		}
		b := uint8(1) << (7 - bit)
		mask |= b
		if f >= 'A' && f <= 'Z' {
			val |= b
		}
	}
	return fmt.Sprintf("sctp chunk %s flags & 0x%x == 0x%x", nft, mask, val), true
}

// sctpChunks writes --chunk-types as iptables-translate does: "all" as
// one test per listed chunk, "only" as those tests plus "missing" for
// every other chunk type, "any" only for one chunk (nft cannot OR).
func (w *rw) sctpChunks(m *ir.SCTP) {
	if m.NegChunks {
		w.unsupported("\"! --chunk-types\"", "nft cannot negate a combination of chunk tests")
		return
	}
	given := map[string]string{}
	for _, c := range m.Chunks {
		if c.Name == "ALL" || c.Name == "NONE" {
			w.unsupported("sctp chunk type "+string(c.Name), "nft has no test for it")
			return
		}
		given[string(c.Name)] = c.FlagLetters()
	}
	var parts []string
	for _, c := range sctpChunkOrder {
		flags, ok := given[c.name]
		if c.nft == "" && (ok || m.ChunkMatch == "only") {
			w.unsupported("sctp --chunk-types "+string(m.ChunkMatch), "nft 1.0.6 cannot test chunk type "+c.name)
			return
		}
		switch {
		case ok:
			t, good := sctpChunkTest(c.nft, c.valid, flags)
			if !good {
				w.unsupported("sctp chunk flags "+flags, "not valid for chunk "+c.name)
				return
			}
			parts = append(parts, t)
		case m.ChunkMatch == "only":
			parts = append(parts, "sctp chunk "+c.nft+" missing")
		}
	}
	if m.ChunkMatch == "any" && len(parts) != 1 {
		w.unsupported("sctp --chunk-types any with several chunks", "nft cannot OR chunk tests in one rule")
		return
	}
	w.add(parts...)
}

var icmpTypeNft = map[uint8]string{
	0: "echo-reply", 3: "destination-unreachable", 4: "source-quench", 5: "redirect", 8: "echo-request",
	9: "router-advertisement", 10: "router-solicitation", 11: "time-exceeded", 12: "parameter-problem",
	13: "timestamp-request", 14: "timestamp-reply", 15: "info-request", 16: "info-reply",
	17: "address-mask-request", 18: "address-mask-reply",
}

var icmp6TypeNft = map[uint8]string{
	1: "destination-unreachable", 2: "packet-too-big", 3: "time-exceeded", 4: "parameter-problem",
	128: "echo-request", 129: "echo-reply", 130: "mld-listener-query", 131: "mld-listener-report",
	132: "mld-listener-done", 133: "nd-router-solicit", 134: "nd-router-advert",
	135: "nd-neighbor-solicit", 136: "nd-neighbor-advert", 137: "nd-redirect",
	138: "router-renumbering", 141: "ind-neighbor-solicit", 142: "ind-neighbor-advert",
	143: "mld2-listener-report",
}

func (w *rw) icmp(m *ir.ICMP) {
	kw, names, proto := "icmp", icmpTypeNft, "ip protocol icmp"
	if m.V6 {
		kw, names, proto = "icmpv6", icmp6TypeNft, "meta l4proto ipv6-icmp"
	}
	if m.Any {
		if m.Neg {
			w.unsupported("\"! --icmp-type any\"", "it matches no packet; remove the rule")
			return
		}
		if w.l4Needed() {
			w.add(proto)
		}
		return
	}
	typ := fmt.Sprint(m.Type)
	if n, ok := names[m.Type]; ok {
		typ = n
	}
	op := ""
	if m.Neg {
		op = "!= "
	}
	switch {
	case m.AnyCode():
		w.addf("%s type %s%s", kw, op, typ)
	case !m.Neg:
		w.addf("%s type %s %s code %s", kw, typ, kw, codeRange(m))
	default:
		// "not (type T and code C)" needs both fields at once: a
		// concatenation compared against one element.
		// nft 1.0.6 takes the negated pair only as a one-element set.
		w.addf("%s type . %s code != { %d . %s }", kw, kw, m.Type, codeRange(m))
	}
}

func codeRange(m *ir.ICMP) string {
	if m.CodeMin == m.CodeMax {
		return fmt.Sprint(m.CodeMin)
	}
	return fmt.Sprintf("%d-%d", m.CodeMin, m.CodeMax)
}

func (w *rw) multiport(m *ir.Multiport) {
	proto := protoKeyword(w.l4())
	if w.l4() == 0 {
		w.errorf("multiport without a protocol")
		return
	}
	op := ""
	if m.Neg {
		op = "!= "
	}
	if m.Dir == ir.Both {
		var elems []string
		for _, p := range m.Ports {
			elems = append(elems, "0-65535 . "+ports(p), ports(p)+" . 0-65535")
		}
		w.addf("%s sport . %s dport %s{ %s }", proto, proto, op, strings.Join(elems, ", "))
		return
	}
	field := "sport"
	if m.Dir == ir.Dst {
		field = "dport"
	}
	if len(m.Ports) == 1 {
		w.addf("%s %s %s%s", proto, field, op, ports(m.Ports[0]))
		return
	}
	elems := make([]string, len(m.Ports))
	for i, p := range m.Ports {
		elems[i] = ports(p)
	}
	w.addf("%s %s %s{ %s }", proto, field, op, strings.Join(elems, ", "))
}

var rejectNft = map[string]string{
	"icmp-net-unreachable":   "reject with icmp type net-unreachable",
	"icmp-host-unreachable":  "reject with icmp type host-unreachable",
	"icmp-proto-unreachable": "reject with icmp type prot-unreachable",
	"icmp-port-unreachable":  "reject",
	"icmp-net-prohibited":    "reject with icmp type net-prohibited",
	"icmp-host-prohibited":   "reject with icmp type host-prohibited",
	"icmp-admin-prohibited":  "reject with icmp type admin-prohibited",
	"tcp-reset":              "reject with tcp reset",
	"icmp6-no-route":         "reject with icmpv6 type no-route",
	"icmp6-adm-prohibited":   "reject with icmpv6 type admin-prohibited",
	"icmp6-addr-unreachable": "reject with icmpv6 type addr-unreachable",
	"icmp6-port-unreachable": "reject",
	"icmp6-policy-fail":      "reject with icmpv6 type policy-fail",
	"icmp6-reject-route":     "reject with icmpv6 type reject-route",
}

func (w *rw) reject(t *ir.Reject) {
	s, ok := rejectNft[string(t.With)]
	if !ok {
		w.unsupported("REJECT --reject-with "+string(t.With), "nft has no such reject type")
		return
	}
	w.add(s)
}

var logLevelNft = []string{"emerg", "alert", "crit", "err", "warn", "notice", "info", "debug"}

func (w *rw) log(t *ir.Log) {
	w.add("log")
	if t.Prefix != "" {
		w.logPrefix(t.Prefix)
	}
	if n := t.Level.Num(); n >= 0 && n < len(logLevelNft) {
		w.add("level", logLevelNft[n])
	}
	var tcp []string
	if t.TCPSequence {
		tcp = append(tcp, "sequence")
	}
	if t.TCPOptions {
		tcp = append(tcp, "options")
	}
	if len(tcp) > 0 {
		w.add("flags tcp " + strings.Join(tcp, ","))
	}
	if t.IPOptions {
		w.add("flags ip options")
	}
	if t.UID {
		w.add("flags skuid")
	}
	if t.MACDecode {
		w.add("flags ether")
	}
}

func (w *rw) logPrefix(p string) {
	if strings.Contains(p, `"`) {
		w.unsupported(fmt.Sprintf("log prefix %q", p), "nft strings cannot hold a double quote")
		return
	}
	w.add("prefix", quote(p))
}

func (w *rw) nflog(t *ir.NFLog) {
	w.add("log")
	if t.Prefix != "" {
		w.logPrefix(t.Prefix)
	}
	w.addf("group %d", t.Group)
	if t.Range != 0 {
		w.addf("snaplen %d", t.Range)
	}
	if t.Threshold != 0 {
		w.addf("queue-threshold %d", t.Threshold)
	}
}
