package nftables

import (
	"fmt"
	"strings"
	"unicode"

	"github.com/google/nftables/expr"
	"github.com/ruleshift/ruleshift/backends/nftables/stmt"
	"github.com/ruleshift/ruleshift/translate/ir"
	"golang.org/x/sys/unix"
)

// portMatch writes "PROTO sport [!=] RANGE". A full range matches every
// packet and is left out, but a negated full range never matches and is
// kept: dropping it would turn a dead rule into one that always fires.
func (w *rw) portMatch(proto uint8, dst bool, r *ir.PortRange, neg bool) bool {
	if r == nil || (r.Full() && !neg) {
		return false
	}
	w.emit(portCmp(stmt.AnyPort(proto, dst), neg, *r))
	return true
}

// portCmp compares a port field with a port or a range.
func portCmp(f *stmt.Payload, neg bool, r ir.PortRange) *stmt.Cmp {
	c := &stmt.Cmp{Field: f, Neg: neg, Value: be16(r.Lo)}
	if !r.Single() {
		c.To = be16(r.Hi)
	}
	return c
}

// l4Only writes "meta l4proto X" when a protocol match ended up with nothing
// to say, so the protocol condition is not lost.
func (w *rw) l4Only(proto uint8) {
	w.emit(&stmt.Cmp{Field: stmt.MetaL4Proto, Value: []byte{proto}})
}

func (w *rw) tcp(m *ir.TCP) {
	n := 0
	if w.portMatch(protoTCP, false, m.SrcPorts, m.NegSrc) {
		n++
	}
	if w.portMatch(protoTCP, true, m.DstPorts, m.NegDst) {
		n++
	}
	if f := m.Flags; f != nil {
		// The compared value is kept whole: bits outside the mask make
		// the rule match nothing (iptables compares flags&mask with it
		// as given), and masking them away would make it match.
		w.emit(&stmt.Cmp{Field: stmt.TCPFlags, Neg: f.Neg, Mask: []byte{f.Mask}, Value: []byte{f.Comp}})
		n++
	}
	if m.Option != nil {
		w.emit(&stmt.Present{Text: fmt.Sprintf("tcp option %d", *m.Option), Op: expr.ExthdrOpTcpopt, Hdr: *m.Option, Missing: m.NegOption})
		n++
	}
	if n == 0 && w.l4Needed() {
		w.l4Only(protoTCP)
	}
}

func (w *rw) udp(m *ir.UDP) {
	a := w.portMatch(protoUDP, false, m.SrcPorts, m.NegSrc)
	b := w.portMatch(protoUDP, true, m.DstPorts, m.NegDst)
	if !a && !b && w.l4Needed() {
		w.l4Only(protoUDP)
	}
}

func (w *rw) sctp(m *ir.SCTP) {
	a := w.portMatch(protoSCTP, false, m.SrcPorts, m.NegSrc)
	b := w.portMatch(protoSCTP, true, m.DstPorts, m.NegDst)
	if m.ChunkMatch != "" {
		w.sctpChunks(m)
		return
	}
	if !a && !b && w.l4Needed() {
		w.l4Only(protoSCTP)
	}
}

// sctpChunkOrder is libxt_sctp's chunk table: its order is the order
// iptables-translate writes chunk tests in, and valid holds the flag
// letters from bit 7 down to bit 0 ('-' for none). An empty nft name is a
// chunk type nft 1.0.6 has no keyword for.
var sctpChunkOrder = []struct {
	name, nft, valid string
	num              uint8 // the chunk type
}{
	{"DATA", "data", "----IUBE", 0}, {"INIT", "init", "--------", 1}, {"INIT_ACK", "init-ack", "--------", 2},
	{"SACK", "sack", "--------", 3}, {"HEARTBEAT", "heartbeat", "--------", 4},
	{"HEARTBEAT_ACK", "heartbeat-ack", "--------", 5}, {"ABORT", "abort", "-------T", 6},
	{"SHUTDOWN", "shutdown", "--------", 7}, {"SHUTDOWN_ACK", "shutdown-ack", "--------", 8},
	{"ERROR", "error", "--------", 9}, {"COOKIE_ECHO", "cookie-echo", "--------", 10},
	{"COOKIE_ACK", "cookie-ack", "--------", 11}, {"ECN_ECNE", "ecne", "--------", 12},
	{"ECN_CWR", "cwr", "--------", 13}, {"SHUTDOWN_COMPLETE", "shutdown-complete", "-------T", 14},
	{"I_DATA", "", "----IUBE", 64}, {"RE_CONFIG", "", "--------", 130}, {"PAD", "", "--------", 132},
	{"ASCONF", "asconf", "--------", 193}, {"ASCONF_ACK", "asconf-ack", "--------", 128},
	{"FORWARD_TSN", "forward-tsn", "--------", 192}, {"I_FORWARD_TSN", "", "--------", 194},
}

// sctpChunkTest is "sctp chunk X exists", or a flags test when the chunk
// was given with flags (upper case: set, lower case: clear).
func sctpChunkTest(nft, valid string, num uint8, flags string) (stmt.Stmt, bool) {
	if flags == "" {
		return &stmt.Present{Text: "sctp chunk " + nft, Op: stmt.ExthdrOpSctp, Hdr: num}, true
	}
	var mask, val uint8
	for _, f := range flags {
		bit := strings.IndexRune(valid, unicode.ToUpper(f))
		if bit < 0 {
			return nil, false
		}
		b := uint8(1) << (7 - bit)
		mask |= b
		if f >= 'A' && f <= 'Z' {
			val |= b
		}
	}
	return &stmt.Cmp{Field: stmt.SCTPChunkFlags(nft, num), Mask: []byte{mask}, Value: []byte{val}}, true
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
	var parts []stmt.Stmt
	for _, c := range sctpChunkOrder {
		flags, ok := given[c.name]
		if c.nft == "" && (ok || m.ChunkMatch == "only") {
			w.unsupported("sctp --chunk-types "+string(m.ChunkMatch), "nft 1.0.6 cannot test chunk type "+c.name)
			return
		}
		switch {
		case ok:
			t, good := sctpChunkTest(c.nft, c.valid, c.num, flags)
			if !good {
				w.unsupported("sctp chunk flags "+flags, "not valid for chunk "+c.name)
				return
			}
			parts = append(parts, t)
		case m.ChunkMatch == "only":
			parts = append(parts, &stmt.Present{Text: "sctp chunk " + c.nft, Op: stmt.ExthdrOpSctp, Hdr: c.num, Missing: true})
		}
	}
	if m.ChunkMatch == "any" && len(parts) != 1 {
		w.unsupported("sctp --chunk-types any with several chunks", "nft cannot OR chunk tests in one rule")
		return
	}
	for _, p := range parts {
		w.emit(p)
	}
}

func (w *rw) icmp(m *ir.ICMP) {
	typ, code, proto := stmt.ICMPType, stmt.ICMPCode, &stmt.Cmp{Field: stmt.IPProtocol, Value: []byte{1}}
	if m.V6 {
		typ, code, proto = stmt.ICMPv6Type, stmt.ICMPv6Code, &stmt.Cmp{Field: stmt.MetaL4Proto, Value: []byte{58}}
	}
	if m.Any {
		if m.Neg {
			w.unsupported("\"! --icmp-type any\"", "it matches no packet; remove the rule")
			return
		}
		if w.l4Needed() {
			w.emit(proto)
		}
		return
	}
	switch {
	case m.AnyCode():
		w.emit(&stmt.Cmp{Field: typ, Neg: m.Neg, Value: []byte{m.Type}})
	case !m.Neg:
		w.emit(&stmt.Cmp{Field: typ, Value: []byte{m.Type}})
		c := &stmt.Cmp{Field: code, Value: []byte{m.CodeMin}}
		if m.CodeMax != m.CodeMin {
			c.To = []byte{m.CodeMax}
		}
		w.emit(c)
	default:
		// "not (type T and code C)" needs both fields at once: a
		// concatenation compared against one element.
		// nft 1.0.6 takes the negated pair only as a one-element set.
		typ := stmt.ICMPTypeNum
		if m.V6 {
			typ = stmt.ICMPv6TypeNum
		}
		c := stmt.Elem{From: []byte{m.CodeMin}}
		if m.CodeMax != m.CodeMin {
			c.To = []byte{m.CodeMax}
		}
		w.emit(&stmt.Concat{Fields: []stmt.Field{typ, code}, Neg: true, Elems: [][]stmt.Elem{{{From: []byte{m.Type}}, c}}})
	}
}

func (w *rw) multiport(m *ir.Multiport) {
	sp, dp := stmt.AnyPort(w.l4(), false), stmt.AnyPort(w.l4(), true)
	if sp == nil {
		w.errorf("multiport without a protocol")
		return
	}
	if m.Dir == ir.Both {
		full := stmt.Elem{From: be16(0), To: be16(65535)}
		c := &stmt.Concat{Fields: []stmt.Field{sp, dp}, Neg: m.Neg}
		for _, p := range m.Ports {
			e := stmt.Elem{From: be16(p.Lo)}
			if !p.Single() {
				e.To = be16(p.Hi)
			}
			c.Elems = append(c.Elems, []stmt.Elem{full, e}, []stmt.Elem{e, full})
		}
		w.emit(c)
		return
	}
	f := sp
	if m.Dir == ir.Dst {
		f = dp
	}
	if len(m.Ports) == 1 {
		w.emit(portCmp(f, m.Neg, m.Ports[0]))
		return
	}
	if s := w.ctx.ports.shared(m); s != nil {
		w.emit(&stmt.Cmp{Field: f, Neg: m.Neg, Set: s})
		return
	}
	set := &stmt.Set{Key: stmt.InetService, KeyLen: 2, Elems: make([]stmt.Elem, len(m.Ports))}
	for i, p := range m.Ports {
		set.Elems[i].From = be16(p.Lo)
		if !p.Single() {
			set.Elems[i].To = be16(p.Hi)
			set.Interval = true
		}
	}
	w.emit(&stmt.Cmp{Field: f, Neg: m.Neg, Set: set})
}

// rejectNft maps --reject-with to nft's reject: an ICMP code of either
// family, or a TCP reset.
var rejectNft = map[ir.RejectWith]stmt.Reject{
	"icmp-net-unreachable":   rejectCode(false, 0),
	"icmp-host-unreachable":  rejectCode(false, 1),
	"icmp-proto-unreachable": rejectCode(false, 2),
	"icmp-port-unreachable":  rejectCode(false, 3),
	"icmp-net-prohibited":    rejectCode(false, 9),
	"icmp-host-prohibited":   rejectCode(false, 10),
	"icmp-admin-prohibited":  rejectCode(false, 13),
	"tcp-reset":              {Reject: expr.Reject{Type: unix.NFT_REJECT_TCP_RST}},
	"icmp6-no-route":         rejectCode(true, 0),
	"icmp6-adm-prohibited":   rejectCode(true, 1),
	"icmp6-addr-unreachable": rejectCode(true, 3),
	"icmp6-port-unreachable": rejectCode(true, 4),
	"icmp6-policy-fail":      rejectCode(true, 5),
	"icmp6-reject-route":     rejectCode(true, 6),
}

func rejectCode(v6 bool, code uint8) stmt.Reject {
	return stmt.Reject{Reject: expr.Reject{Type: unix.NFT_REJECT_ICMP_UNREACH, Code: code}, V6: v6}
}

func (w *rw) reject(t *ir.Reject) {
	r, ok := rejectNft[t.With]
	if !ok {
		w.unsupported("REJECT --reject-with "+string(t.With), "nft has no such reject type")
		return
	}
	w.emit(&r)
}

func (w *rw) log(t *ir.Log) {
	l := &stmt.Log{}
	if t.Prefix != "" {
		w.logPrefix(l, t.Prefix)
	}
	if n := t.Level.Num(); n >= 0 && n < stmt.LogLevelAudit {
		l.Key |= 1 << unix.NFTA_LOG_LEVEL
		l.Level = expr.LogLevel(n)
	}
	for _, f := range []struct {
		on  bool
		bit expr.LogFlags
	}{{t.TCPSequence, stmt.LogTCPSeq}, {t.TCPOptions, stmt.LogTCPOpt}, {t.IPOptions, stmt.LogIPOpt}, {t.UID, stmt.LogUID}, {t.MACDecode, stmt.LogMACDecode}} {
		if f.on {
			l.Key |= 1 << unix.NFTA_LOG_FLAGS
			l.Flags |= f.bit
		}
	}
	w.emit(l)
}

func (w *rw) logPrefix(l *stmt.Log, p string) {
	if strings.Contains(p, `"`) {
		w.unsupported(fmt.Sprintf("log prefix %q", p), "nft strings cannot hold a double quote")
		return
	}
	l.Key |= 1 << unix.NFTA_LOG_PREFIX
	l.Data = []byte(p)
}

func (w *rw) nflog(t *ir.NFLog) {
	l := &stmt.Log{}
	if t.Prefix != "" {
		w.logPrefix(l, t.Prefix)
	}
	l.Key |= 1 << unix.NFTA_LOG_GROUP
	l.Group = t.Group
	if t.Range != 0 {
		l.Key |= 1 << unix.NFTA_LOG_SNAPLEN
		l.Snaplen = t.Range
	}
	if t.Threshold != 0 {
		l.Key |= 1 << unix.NFTA_LOG_QTHRESHOLD
		l.QThreshold = t.Threshold
	}
	w.emit(l)
}
