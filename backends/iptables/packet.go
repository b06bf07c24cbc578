package iptables

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ruleshift/ruleshift/translate/ir"
)

// Packet and extension header matches, written the way iptables-save
// prints them so that a reload lists identically.

func (w *writer) mac(m *ir.MAC) {
	w.module("mac")
	w.opt(m.Neg, "--mac-source", m.Addr.String())
}

func (w *writer) iprange(m *ir.IPRange) {
	w.module("iprange")
	if m.Src != nil {
		w.opt(m.NegSrc, "--src-range", m.Src.From.String()+"-"+m.Src.To.String())
	}
	if m.Dst != nil {
		w.opt(m.NegDst, "--dst-range", m.Dst.From.String()+"-"+m.Dst.To.String())
	}
}

func addrTypeList(t ir.AddrTypes) string {
	var out []string
	for i, n := range ir.AddrTypeNames {
		if t&(1<<i) != 0 {
			out = append(out, n)
		}
	}
	return strings.Join(out, ",")
}

func (w *writer) addrtype(m *ir.AddrType) {
	w.module("addrtype")
	if m.Src != 0 {
		w.opt(m.NegSrc, "--src-type", addrTypeList(m.Src))
	}
	if m.Dst != 0 {
		w.opt(m.NegDst, "--dst-type", addrTypeList(m.Dst))
	}
	if m.LimitIfaceIn {
		w.add("--limit-iface-in")
	}
	if m.LimitIfaceOut {
		w.add("--limit-iface-out")
	}
}

func u16Range(lo, hi uint16) string {
	if lo == hi {
		return strconv.Itoa(int(lo))
	}
	return fmt.Sprintf("%d:%d", lo, hi)
}

func u32Range(r ir.U32Range) string {
	if r.Lo == r.Hi {
		return strconv.FormatUint(uint64(r.Lo), 10)
	}
	return fmt.Sprintf("%d:%d", r.Lo, r.Hi)
}

func (w *writer) hopLimit(m *ir.HopLimit) {
	mod := "ttl"
	if m.V6 {
		mod = "hl"
	}
	w.module(mod)
	w.opt(m.Neg, "--"+mod+"-"+string(m.Op), strconv.Itoa(int(m.Value)))
}

func (w *writer) ecn(m *ir.ECNMatch) {
	w.module("ecn")
	if m.ECE {
		w.opt(m.NegECE, "--ecn-tcp-ece")
	}
	if m.CWR {
		w.opt(m.NegCWR, "--ecn-tcp-cwr")
	}
	if m.IP {
		w.opt(m.NegIP, "--ecn-ip-ect", strconv.Itoa(int(m.ECT)))
	}
}

func groupText(g *ir.GroupMask) string {
	if g.Mask == 0xffffffff {
		return fmt.Sprintf("0x%x", g.Value)
	}
	return fmt.Sprintf("0x%x/0x%x", g.Value, g.Mask)
}

func (w *writer) devgroup(m *ir.DevGroup) {
	w.module("devgroup")
	if m.Src != nil {
		w.opt(m.NegSrc, "--src-group", groupText(m.Src))
	}
	if m.Dst != nil {
		w.opt(m.NegDst, "--dst-group", groupText(m.Dst))
	}
}

func (w *writer) cgroup(m *ir.Cgroup) {
	w.module("cgroup")
	if m.Path != "" {
		w.opt(m.NegPath, "--path", m.Path)
	}
	if m.ClassID != nil {
		w.opt(m.NegClassID, "--cgroup", strconv.FormatUint(uint64(*m.ClassID), 10))
	}
}

func (w *writer) pkFlags(mod string, fs ...struct {
	on   bool
	name string
}) {
	w.module(mod)
	for _, f := range fs {
		if f.on {
			w.add(f.name)
		}
	}
}

type pkFlag = struct {
	on   bool
	name string
}

func (w *writer) realm(m *ir.Realm) {
	w.module("realm")
	v := fmt.Sprintf("0x%x", m.ID)
	if m.Mask != 0xffffffff {
		v += fmt.Sprintf("/0x%x", m.Mask)
	}
	w.opt(m.Neg, "--realm", v)
}

func (w *writer) cluster(m *ir.Cluster) {
	w.module("cluster")
	w.opt(m.Neg, "--cluster-local-nodemask", fmt.Sprintf("0x%08x", m.NodeMask))
	w.add("--cluster-total-nodes", strconv.FormatUint(uint64(m.TotalNodes), 10))
	w.add("--cluster-hash-seed", fmt.Sprintf("0x%08x", m.HashSeed))
}

func (w *writer) dccp(m *ir.DCCP) {
	w.module("dccp")
	w.ports(m.NegSrc, "--sport", m.SrcPorts)
	w.ports(m.NegDst, "--dport", m.DstPorts)
	if m.Types != 0 {
		var ts []string
		for i, n := range ir.DCCPTypeNames {
			if m.Types&(1<<i) != 0 {
				ts = append(ts, n)
			}
		}
		w.opt(m.NegTypes, "--dccp-types", strings.Join(ts, ","))
	}
	if m.Option != nil {
		w.opt(m.NegOption, "--dccp-option", strconv.Itoa(int(*m.Option)))
	}
}

// spi writes an SPI-style range. iptables-save leaves out a full range
// even when negated, but the kernel keeps the negation (the rule then
// never matches), so a negated full range is written out.
func (w *writer) spi(name string, r ir.U32Range, neg bool) {
	if r.Full() && !neg {
		return
	}
	w.opt(neg, name, u32Range(r))
}

func (w *writer) ah(m *ir.AH) {
	w.module("ah")
	w.spi("--ahspi", m.SPI, m.NegSPI)
	if m.Len != 0 {
		w.opt(m.NegLen, "--ahlen", strconv.FormatUint(uint64(m.Len), 10))
	}
	if m.Res {
		w.add("--ahres")
	}
}

func (w *writer) ipcomp(m *ir.IPComp) {
	w.module("ipcomp")
	w.spi("--ipcompspi", m.SPI, m.NegSPI)
	if m.Res {
		w.add("--compres")
	}
}

func (w *writer) frag(m *ir.Frag) {
	w.module("frag")
	w.spi("--fragid", m.ID, m.NegID)
	if m.Len != 0 {
		w.opt(m.NegLen, "--fraglen", strconv.FormatUint(uint64(m.Len), 10))
	}
	for _, f := range []pkFlag{{m.Res, "--fragres"}, {m.First, "--fragfirst"}, {m.More, "--fragmore"}, {m.Last, "--fraglast"}} {
		if f.on {
			w.add(f.name)
		}
	}
}

func (w *writer) ipv6Opts(m *ir.IPv6Opts) {
	mod := "hbh"
	if m.Dst {
		mod = "dst"
	}
	w.module(mod)
	if m.Len != 0 {
		w.opt(m.NegLen, "--"+mod+"-len", strconv.FormatUint(uint64(m.Len), 10))
	}
	if len(m.Opts) > 0 {
		var os []string
		for _, o := range m.Opts {
			s := strconv.Itoa(int(o.Type))
			if o.Len != nil {
				s += ":" + strconv.Itoa(int(*o.Len))
			}
			os = append(os, s)
		}
		w.add("--"+mod+"-opts", strings.Join(os, ","))
	}
}

func (w *writer) rt(m *ir.RT) {
	w.module("rt")
	if m.Type != nil {
		w.opt(m.NegType, "--rt-type", strconv.Itoa(int(*m.Type)))
	}
	w.spi("--rt-segsleft", m.SegsLeft, m.NegSegsLeft)
	if m.Len != 0 {
		w.opt(m.NegLen, "--rt-len", strconv.FormatUint(uint64(m.Len), 10))
	}
	if m.Res {
		w.add("--rt-0-res")
	}
	if len(m.Addrs) > 0 {
		as := make([]string, len(m.Addrs))
		for i, a := range m.Addrs {
			as[i] = a.String()
		}
		w.add("--rt-0-addrs", strings.Join(as, ","))
	}
	if m.NotStrict {
		w.add("--rt-0-not-strict")
	}
}

func (w *writer) mh(m *ir.MH) {
	w.module("mh")
	if m.Lo == 0 && m.Hi == 255 && !m.Neg {
		return
	}
	w.opt(m.Neg, "--mh-type", u16Range(uint16(m.Lo), uint16(m.Hi)))
}

func (w *writer) ipv6Header(m *ir.IPv6Header) {
	w.module("ipv6header")
	var hs []string
	for _, h := range ir.IPv6HeaderNames {
		if m.Headers&h.Bit != 0 {
			hs = append(hs, h.Name)
		}
	}
	w.opt(m.Neg, "--header", strings.Join(hs, ","))
	if m.Soft {
		w.add("--soft")
	}
}

// packetMatch renders the packet matches whose text is one option; it
// reports whether m was one of them.
func (w *writer) packetMatch(m ir.Match) bool {
	switch m := m.(type) {
	case *ir.PktTypeMatch:
		w.module("pkttype")
		w.opt(m.Neg, "--pkt-type", string(m.Type))
	case *ir.Length:
		w.module("length")
		w.opt(m.Neg, "--length", u16Range(m.Min, m.Max))
	case *ir.TOSMatch:
		w.module("tos")
		w.opt(m.Neg, "--tos", fmt.Sprintf("0x%02x/0x%02x", m.Value, m.Mask))
	case *ir.DSCPMatch:
		w.module("dscp")
		w.opt(m.Neg, "--dscp", fmt.Sprintf("0x%02x", m.Value))
	case *ir.CPU:
		w.module("cpu")
		w.opt(m.Neg, "--cpu", strconv.FormatUint(uint64(m.CPU), 10))
	case *ir.Socket:
		w.pkFlags("socket", pkFlag{m.Transparent, "--transparent"}, pkFlag{m.NoWildcard, "--nowildcard"}, pkFlag{m.RestoreSkMark, "--restore-skmark"})
	case *ir.RPFilter:
		w.pkFlags("rpfilter", pkFlag{m.Loose, "--loose"}, pkFlag{m.ValidMark, "--validmark"}, pkFlag{m.AcceptLocal, "--accept-local"}, pkFlag{m.Invert, "--invert"})
	case *ir.TCPMSSMatch:
		w.module("tcpmss")
		w.opt(m.Neg, "--mss", u16Range(m.Min, m.Max))
	case *ir.ESP:
		w.module("esp")
		w.spi("--espspi", m.SPI, m.NegSPI)
	case *ir.EUI64:
		w.module("eui64")
	default:
		return false
	}
	return true
}
