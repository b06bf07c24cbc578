package iptables

import (
	"strconv"
	"strings"

	"github.com/ruleshift/ruleshift/internal/netfilter"
	"github.com/ruleshift/ruleshift/translate/ir"
)

func (w *writer) protocol(m *ir.Protocol) {
	if m.All {
		w.opt(m.Neg, "-p", "all")
		return
	}
	name := netfilter.ProtoName(m.Num)
	if name == "" {
		name = strconv.Itoa(int(m.Num))
	}
	w.opt(m.Neg, "-p", name)
}

func (w *writer) addr(m *ir.Addr) {
	flag := "-s"
	if m.Dir == ir.Dst {
		flag = "-d"
	}
	if m.Neg && m.Net.Bits() == 0 && !m.Mask.IsValid() && w.v.NoNegatedAny {
		w.unsupported("%s cannot load \"! %s %s\" (it matches no packet): remove the rule, or use iptables-legacy", w.v.Name, flag, m.Net)
		return
	}
	s := m.Net.String()
	if m.Mask.IsValid() {
		s = m.Net.Addr().String() + "/" + m.Mask.String()
	}
	w.opt(m.Neg, flag, s)
}

func (w *writer) iface(m *ir.Iface) {
	flag := "-i"
	if m.Dir == ir.Dst {
		flag = "-o"
	}
	w.opt(m.Neg, flag, m.Name)
}

// Ports formats a port range as iptables does (a:b).
func Ports(r ir.PortRange) string {
	if r.Single() {
		return strconv.Itoa(int(r.Lo))
	}
	return strconv.Itoa(int(r.Lo)) + ":" + strconv.Itoa(int(r.Hi))
}

func (w *writer) ports(neg bool, name string, r *ir.PortRange) {
	if r != nil {
		w.opt(neg, name, Ports(*r))
	}
}

func tcpFlags(v uint8) string {
	if v == 0 {
		return "NONE"
	}
	var out []string
	for i, n := range netfilter.TCPFlagOrder {
		if v&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return strings.Join(out, ",")
}

// negatedFullRange reports the ports iptables-nft 1.8.9 loses: it writes
// "-p tcp ! --sport 0:65535" as "meta l4proto tcp", a rule that matches
// every packet where iptables-legacy matches none (seen with nft list
// ruleset after iptables-nft-restore; sctp and dccp keep the negation).
func (w *writer) negatedFullRange(mod string, neg bool, r *ir.PortRange, name string) bool {
	if !w.v.NoNegatedAny || !neg || r == nil || !r.Full() {
		return false
	}
	w.unsupported("%s turns \"-m %s ! %s 0:65535\" (which matches no packet) into a rule that matches every %s packet: remove the rule, or use iptables-legacy", w.v.Name, mod, name, mod)
	return true
}

func (w *writer) tcp(m *ir.TCP) {
	if w.negatedFullRange("tcp", m.NegSrc, m.SrcPorts, "--sport") || w.negatedFullRange("tcp", m.NegDst, m.DstPorts, "--dport") {
		return
	}
	w.l4Ports("tcp", m.NegSrc, m.SrcPorts, m.NegDst, m.DstPorts)
	if m.Option != nil {
		w.opt(m.NegOption, "--tcp-option", strconv.Itoa(int(*m.Option)))
	}
	if f := m.Flags; f != nil {
		w.opt(f.Neg, "--tcp-flags", tcpFlags(f.Mask), tcpFlags(f.Comp))
	}
}

func (w *writer) udp(m *ir.UDP) {
	if w.negatedFullRange("udp", m.NegSrc, m.SrcPorts, "--sport") || w.negatedFullRange("udp", m.NegDst, m.DstPorts, "--dport") {
		return
	}
	w.l4Ports("udp", m.NegSrc, m.SrcPorts, m.NegDst, m.DstPorts)
}

// l4Ports writes "-m tcp|udp" and its ports. Two negated single ports go
// in two matches of the module where the variant would merge them into
// one comparison that means something else (Variant.MergesNegatedPorts);
// each match alone loads as its own "!=".
func (w *writer) l4Ports(mod string, negSrc bool, src *ir.PortRange, negDst bool, dst *ir.PortRange) {
	w.module(mod)
	w.ports(negSrc, "--sport", src)
	if w.v.MergesNegatedPorts && negSrc && negDst && src != nil && dst != nil && src.Single() && dst.Single() {
		w.module(mod)
	}
	w.ports(negDst, "--dport", dst)
}

func (w *writer) sctp(m *ir.SCTP) {
	w.module("sctp")
	w.ports(m.NegSrc, "--sport", m.SrcPorts)
	w.ports(m.NegDst, "--dport", m.DstPorts)
	if m.ChunkMatch != "" {
		var cs []string
		for _, c := range m.Chunks {
			s := string(c.Name)
			if c.Flags.Mask != 0 {
				s += ":" + c.FlagLetters()
			}
			cs = append(cs, s)
		}
		w.opt(m.NegChunks, "--chunk-types", string(m.ChunkMatch), strings.Join(cs, ","))
	}
}

func (w *writer) icmp(m *ir.ICMP) {
	mod, opt := "icmp", "--icmp-type"
	if m.V6 {
		mod, opt = "icmp6", "--icmpv6-type"
	}
	w.module(mod)
	var v string
	switch {
	case m.Any:
		v = "any"
	case m.AnyCode():
		v = strconv.Itoa(int(m.Type))
	case m.CodeMin == m.CodeMax:
		v = strconv.Itoa(int(m.Type)) + "/" + strconv.Itoa(int(m.CodeMin))
	default:
		w.unsupported("an ICMP code range %d-%d cannot be written for iptables", m.CodeMin, m.CodeMax)
		return
	}
	w.opt(m.Neg, opt, v)
}

func (w *writer) multiport(m *ir.Multiport) {
	w.module("multiport")
	name := map[ir.Dir]string{ir.Src: "--sports", ir.Dst: "--dports", ir.Both: "--ports"}[m.Dir]
	ps := make([]string, len(m.Ports))
	for i, p := range m.Ports {
		ps[i] = Ports(p)
	}
	w.opt(m.Neg, name, strings.Join(ps, ","))
}

func (w *writer) reject(t *ir.Reject) {
	w.add("-j", "REJECT", "--reject-with", string(t.With))
}

func (w *writer) log(t *ir.Log) {
	w.add("-j", "LOG")
	if t.Prefix != "" {
		w.add("--log-prefix", QuoteAlways(t.Prefix))
	}
	if t.Level.IsSet() {
		w.add("--log-level", strconv.Itoa(t.Level.Num()))
	}
	for _, f := range []struct {
		on   bool
		name string
	}{{t.TCPSequence, "--log-tcp-sequence"}, {t.TCPOptions, "--log-tcp-options"}, {t.IPOptions, "--log-ip-options"}, {t.UID, "--log-uid"}, {t.MACDecode, "--log-macdecode"}} {
		if f.on {
			w.add(f.name)
		}
	}
}

func (w *writer) nflog(t *ir.NFLog) {
	w.add("-j", "NFLOG")
	if t.Prefix != "" {
		w.add("--nflog-prefix", QuoteAlways(t.Prefix))
	}
	if t.Group != 0 {
		w.add("--nflog-group", strconv.Itoa(int(t.Group)))
	}
	if t.Range != 0 {
		if t.SizeSet {
			w.add("--nflog-size", strconv.FormatUint(uint64(t.Range), 10))
		} else {
			w.add("--nflog-range", strconv.FormatUint(uint64(t.Range), 10))
		}
	}
	if t.Threshold != 0 {
		w.add("--nflog-threshold", strconv.Itoa(int(t.Threshold)))
	}
}
