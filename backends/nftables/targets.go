package nftables

import (
	"fmt"
	"strings"

	"github.com/google/nftables/expr"
	"github.com/ruleshift/ruleshift/backends/nftables/stmt"
	"github.com/ruleshift/ruleshift/translate/diag"
	"github.com/ruleshift/ruleshift/translate/ir"
	"golang.org/x/sys/unix"
)

// NAT and mangling targets, in the forms iptables-translate uses.

// natFlags are the NF_NAT_RANGE_* flags of the options given.
func natFlags(random, fully, persistent bool) uint32 {
	var f uint32
	if random {
		f |= stmt.NATRandom
	}
	if fully {
		f |= stmt.NATFullyRandom
	}
	if persistent {
		f |= stmt.NATPersistent
	}
	return f
}

func (w *rw) natStmt(kind stmt.NATKind, r ir.NATRange, flags uint32) {
	if r.BasePort != 0 {
		w.unsupported(fmt.Sprintf("DNAT port shift \"/%d\"", r.BasePort), "nft 1.0.6 has no port offset for dnat")
		return
	}
	if r.HasAddr() && r.MaxAddr.Less(r.MinAddr) {
		w.unsupported("a reversed NAT address range "+r.MinAddr.String()+"-"+r.MaxAddr.String(), "nft refuses it; write the range low to high")
		return
	}
	if r.Ports != nil && w.l4() == 1 {
		w.unsupported("NAT of ICMP ids", "nft maps ports only after a transport protocol match")
		return
	}
	n := &stmt.NAT{Kind: kind, Flags: flags}
	if r.HasAddr() {
		n.MinAddr, n.MaxAddr = r.MinAddr, r.MaxAddr
	}
	w.natPorts(n, r.Ports)
	w.emit(n)
}

func (w *rw) natPorts(n *stmt.NAT, p *ir.PortRange) {
	if p != nil {
		n.HasPorts, n.PortMin, n.PortMax = true, p.Lo, p.Hi
	}
}

func (w *rw) snat(t *ir.SNAT) {
	w.natStmt(stmt.SNAT, t.To, natFlags(t.Random, t.RandomFully, t.Persistent))
}

func (w *rw) dnat(t *ir.DNAT) {
	w.natStmt(stmt.DNAT, t.To, natFlags(t.Random, false, t.Persistent))
}

func (w *rw) masquerade(t *ir.Masquerade) {
	n := &stmt.NAT{Kind: stmt.Masquerade, Flags: natFlags(t.Random, t.RandomFully, false)}
	w.natPorts(n, t.Ports)
	w.emit(n)
}

func (w *rw) redirect(t *ir.Redirect) {
	n := &stmt.NAT{Kind: stmt.Redirect, Flags: natFlags(t.Random, false, false)}
	w.natPorts(n, t.Ports)
	w.emit(n)
}

// netmap uses nft's "prefix" NAT (NF_NAT_RANGE_NETMAP), which keeps the
// host bits as xt_NETMAP does. The direction follows the hook, so a NETMAP
// in a user chain, which iptables resolves per calling hook, is refused.
func (w *rw) netmap(t *ir.Netmap) {
	var kw string
	if b := w.ctx.Base; b != nil {
		switch b.Hook {
		case ir.HookPrerouting, ir.HookOutput:
			kw = "dnat"
		case ir.HookPostrouting, ir.HookInput:
			kw = "snat"
		}
	}
	if kw == "" {
		w.unsupported("NETMAP in user chain "+w.ctx.Chain, "it maps destinations or sources depending on the calling hook, and an nft rule must name one; move the rule into the built-in chain")
		return
	}
	w.emit(&stmt.Netmap{DNAT: kw == "dnat", V6: w.v6(), Net: t.To})
}

func (w *rw) tcpmss(t *ir.TCPMSS) {
	// Both iptables and nft only ever lower an existing MSS option.
	w.emit(&stmt.MSSSet{ClampPMTU: t.ClampPMTU, MSS: t.MSS})
}

func (w *rw) tproxy(t *ir.TProxy) {
	tp := &stmt.TProxy{Port: t.Port}
	if t.Addr.IsValid() && !t.Addr.IsUnspecified() {
		tp.Addr = t.Addr
	}
	w.emit(tp)
	if t.Mask != 0 {
		w.emit(&stmt.TProxyMark{Mark: t.Mark, Mask: t.Mask})
	}
	// xt_TPROXY drops a packet for which no transparent socket is found;
	// the nft statement does not decide, and the rule goes on to "accept".
	w.diags.Report(diag.Semantics, ir.PosOf(w.node, w.rule), "TPROXY: iptables drops packets that find no transparent socket; nft's tproxy statement lets them go on to the next rule (iptables-translate writes it the same way)")
	w.emit(&stmt.Verdict{Kind: expr.VerdictAccept})
}

func (w *rw) hop(f *stmt.PayloadSet, t ir.HopOp, v uint8, name string) {
	if t != ir.HopSet {
		w.unsupported(fmt.Sprintf("%s --%s-%s", name, strings.ToLower(name), t), "nft 1.0.6 cannot add to or subtract from a packet field")
		return
	}
	s := *f
	s.Value = uint32(v)
	w.emit(&s)
}

// The fields the mangling targets set; the IPv4 ones are under the header
// checksum.
var (
	setTTL      = stmt.PayloadSet{Text: "ip ttl", Base: expr.PayloadBaseNetworkHeader, BitOff: 64, BitLen: 8, Csum: true, Dt: stmt.Integer}
	setHopLimit = stmt.PayloadSet{Text: "ip6 hoplimit", Base: expr.PayloadBaseNetworkHeader, BitOff: 56, BitLen: 8, Dt: stmt.Integer}
	setDSCP     = stmt.PayloadSet{Text: "ip dscp", Base: expr.PayloadBaseNetworkHeader, BitOff: 8, BitLen: 6, Csum: true, Dt: stmt.Hex8}
	setECN      = stmt.PayloadSet{Text: "ip ecn", Base: expr.PayloadBaseNetworkHeader, BitOff: 14, BitLen: 2, Csum: true, Dt: stmt.ECNDt}
	setDSCP6    = stmt.PayloadSet{Text: "ip6 dscp", Base: expr.PayloadBaseNetworkHeader, BitOff: 4, BitLen: 6, Dt: stmt.Hex8}
	setECN6     = stmt.PayloadSet{Text: "ip6 ecn", Base: expr.PayloadBaseNetworkHeader, BitOff: 10, BitLen: 2, Dt: stmt.ECNDt}
)

// setField assigns v to the family's DSCP (ecn false) or ECN field.
func (w *rw) setField(ecn bool, v uint8) *stmt.PayloadSet {
	f := map[[2]bool]stmt.PayloadSet{{false, false}: setDSCP, {false, true}: setECN, {true, false}: setDSCP6, {true, true}: setECN6}[[2]bool{w.v6(), ecn}]
	f.Value = uint32(v)
	return &f
}

func (w *rw) dscp(t *ir.DSCP) { w.emit(w.setField(false, t.Value)) }

// tos writes TOS as a DSCP and an ECN assignment. nft 1.0.6 can only set
// these sub-byte fields to constants, so a mask that keeps some bits of a
// field and changes others cannot be written.
func (w *rw) tos(t *ir.TOS) {
	dmask, dval := t.Mask>>2, t.Value>>2
	emask, eval := t.Mask&3, t.Value&3
	what := fmt.Sprintf("TOS --set-tos 0x%02x/0x%02x", t.Value, t.Mask)
	var parts []stmt.Stmt
	switch {
	case dmask == 0x3f:
		parts = append(parts, w.setField(false, dval))
	case dmask != 0 || dval != 0:
		w.unsupported(what, "nft 1.0.6 can only set the DSCP field to a constant, not combine it with its old value")
		return
	}
	switch {
	case emask == 3:
		parts = append(parts, w.setField(true, eval))
	case emask != 0 || eval != 0:
		w.unsupported(what, "nft 1.0.6 can only set the ECN field to a constant, not combine it with its old value")
		return
	}
	for _, p := range parts {
		w.emit(p)
	}
}

func (w *rw) classify(t *ir.Classify) { w.emit(&stmt.Priority{Major: t.Major, Minor: t.Minor}) }

func (w *rw) nfqueue(t *ir.NFQueue) {
	q := &stmt.Queue{Num: t.Num, Last: t.Num, Bypass: t.Bypass, Fanout: t.CPUFanout}
	if t.Balance {
		q.Last = t.Last
	}
	w.emit(q)
}

func (w *rw) synproxy(t *ir.SynProxy) {
	w.emit(&stmt.Synproxy{MSS: t.MSS, WScale: t.WScale, Timestamp: t.Timestamp, SACKPerm: t.SACKPerm})
}

func (w *rw) tee(t *ir.Tee) {
	if strings.Contains(t.OIF, `"`) {
		w.emit(&stmt.Dup{Addr: t.Gateway})
		w.unsupported(fmt.Sprintf("TEE --oif %q", t.OIF), "nft strings cannot hold a double quote")
		return
	}
	w.emit(&stmt.Dup{Addr: t.Gateway, Dev: t.OIF})
}

// simpleTarget renders the targets that need no more than one statement
// and no context.
func (w *rw) simpleTarget(t ir.Target) {
	switch t := t.(type) {
	case *ir.TTL:
		w.hop(&setTTL, t.Op, t.Value, "TTL")
	case *ir.HL:
		w.hop(&setHopLimit, t.Op, t.Value, "HL")
	case *ir.DSCP:
		w.dscp(t)
	case *ir.TOS:
		w.tos(t)
	case *ir.Classify:
		w.classify(t)
	case *ir.Audit:
		// nft's audit log level records the event without AUDIT's type.
		w.emit(&stmt.Log{Log: expr.Log{Key: 1 << unix.NFTA_LOG_LEVEL, Level: stmt.LogLevelAudit}})
	case *ir.Trace:
		w.emit(&stmt.Nftrace{})
	case *ir.Checksum:
		w.unsupported("CHECKSUM --checksum-fill", "nftables has no statement that fills in a checksum (it only ever served old DHCP clients on virtual NICs with checksum offload)")
	case *ir.SetTarget:
		w.unsupported("SET (ipset) target", "nftables cannot see ipset sets; turn the set into an nft set and use an \"update @set\" statement")
	default:
		w.errorf("internal error: no nftables rendering for target %T", t)
	}
}
