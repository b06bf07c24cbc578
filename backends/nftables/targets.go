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
	w.addf("%s %s prefix to %s", kw, w.ipKW(), t.To)
}

func (w *rw) tcpmss(t *ir.TCPMSS) {
	// Both iptables and nft only ever lower an existing MSS option.
	if t.ClampPMTU {
		w.add("tcp option maxseg size set rt mtu")
		return
	}
	w.addf("tcp option maxseg size set %d", t.MSS)
}

func (w *rw) tproxy(t *ir.TProxy) {
	addr := ""
	if t.Addr.IsValid() && !t.Addr.IsUnspecified() {
		addr = t.Addr.String()
		if w.v6() {
			addr = "[" + addr + "]"
		}
	}
	switch {
	case addr == "":
		w.addf("tproxy to :%d", t.Port)
	case t.Port == 0:
		w.addf("tproxy to %s", strings.Trim(addr, "[]"))
	default:
		w.addf("tproxy to %s:%d", addr, t.Port)
	}
	switch t.Mask {
	case 0:
	case 0xffffffff:
		w.addf("meta mark set 0x%x", t.Mark)
	default:
		w.addf("meta mark set meta mark & 0x%08x xor 0x%x", ^t.Mask, t.Mark)
	}
	// xt_TPROXY drops a packet for which no transparent socket is found;
	// the nft statement does not decide, and the rule goes on to "accept".
	w.diags.Report(diag.Semantics, ir.PosOf(w.node, w.rule), "TPROXY: iptables drops packets that find no transparent socket; nft's tproxy statement lets them go on to the next rule (iptables-translate writes it the same way)")
	w.emit(&stmt.Verdict{Kind: expr.VerdictAccept})
}

func (w *rw) hop(kw string, t ir.HopOp, v uint8, name string) {
	if t != ir.HopSet {
		w.unsupported(fmt.Sprintf("%s --%s-%s", name, strings.ToLower(name), t), "nft 1.0.6 cannot add to or subtract from a packet field")
		return
	}
	w.addf("%s set %d", kw, v)
}

func (w *rw) dscp(t *ir.DSCP) { w.addf("%s dscp set 0x%02x", w.ipKW(), t.Value) }

var ecnNames = []string{"not-ect", "ect1", "ect0", "ce"}

// tos writes TOS as a DSCP and an ECN assignment. nft 1.0.6 can only set
// these sub-byte fields to constants, so a mask that keeps some bits of a
// field and changes others cannot be written.
func (w *rw) tos(t *ir.TOS) {
	dmask, dval := t.Mask>>2, t.Value>>2
	emask, eval := t.Mask&3, t.Value&3
	what := fmt.Sprintf("TOS --set-tos 0x%02x/0x%02x", t.Value, t.Mask)
	var parts []string
	switch {
	case dmask == 0x3f:
		parts = append(parts, fmt.Sprintf("%s dscp set 0x%02x", w.ipKW(), dval))
	case dmask != 0 || dval != 0:
		w.unsupported(what, "nft 1.0.6 can only set the DSCP field to a constant, not combine it with its old value")
		return
	}
	switch {
	case emask == 3:
		parts = append(parts, fmt.Sprintf("%s ecn set %s", w.ipKW(), ecnNames[eval]))
	case emask != 0 || eval != 0:
		w.unsupported(what, "nft 1.0.6 can only set the ECN field to a constant, not combine it with its old value")
		return
	}
	w.add(parts...)
}

func (w *rw) classify(t *ir.Classify) { w.addf("meta priority set %x:%x", t.Major, t.Minor) }

func (w *rw) nfqueue(t *ir.NFQueue) {
	s := fmt.Sprintf("queue num %d", t.Num)
	if t.Balance {
		s = fmt.Sprintf("queue num %d-%d", t.Num, t.Last)
	}
	var fs []string
	if t.Bypass {
		fs = append(fs, "bypass")
	}
	if t.CPUFanout {
		fs = append(fs, "fanout")
	}
	if len(fs) > 0 {
		s += " " + strings.Join(fs, ",")
	}
	w.add(s)
}

func (w *rw) synproxy(t *ir.SynProxy) {
	w.add("synproxy")
	if t.MSS != nil {
		w.addf("mss %d", *t.MSS)
	}
	if t.WScale != nil {
		w.addf("wscale %d", *t.WScale)
	}
	if t.Timestamp {
		w.add("timestamp")
	}
	if t.SACKPerm {
		w.add("sack-perm")
	}
}

func (w *rw) tee(t *ir.Tee) {
	w.addf("dup to %s", t.Gateway)
	if t.OIF != "" {
		if strings.Contains(t.OIF, `"`) {
			w.unsupported(fmt.Sprintf("TEE --oif %q", t.OIF), "nft strings cannot hold a double quote")
			return
		}
		w.add("device", quote(t.OIF))
	}
}

// simpleTarget renders the targets that need no more than one statement
// and no context.
func (w *rw) simpleTarget(t ir.Target) {
	switch t := t.(type) {
	case *ir.TTL:
		w.hop("ip ttl", t.Op, t.Value, "TTL")
	case *ir.HL:
		w.hop("ip6 hoplimit", t.Op, t.Value, "HL")
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
		w.add("nftrace set 1")
	case *ir.Checksum:
		w.unsupported("CHECKSUM --checksum-fill", "nftables has no statement that fills in a checksum (it only ever served old DHCP clients on virtual NICs with checksum offload)")
	case *ir.SetTarget:
		w.unsupported("SET (ipset) target", "nftables cannot see ipset sets; turn the set into an nft set and use an \"update @set\" statement")
	default:
		w.errorf("internal error: no nftables rendering for target %T", t)
	}
}
