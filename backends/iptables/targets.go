package iptables

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ruleshift/ruleshift/translate/ir"
)

// NAT and mangling targets, written as iptables-save prints them.

// natPorts formats a NAT port range with a dash, as iptables-save does.
func natPorts(r ir.PortRange) string {
	if r.Single() {
		return strconv.Itoa(int(r.Lo))
	}
	return fmt.Sprintf("%d-%d", r.Lo, r.Hi)
}

// natRange formats [addr[-addr]][:port[-port[/base]]], IPv6 addresses in
// brackets when ports follow.
func natRange(r ir.NATRange) string {
	var b strings.Builder
	addrs := ""
	if r.HasAddr() {
		addrs = r.MinAddr.String()
		if r.MaxAddr != r.MinAddr {
			addrs += "-" + r.MaxAddr.String()
		}
	}
	if r.Ports != nil && r.MinAddr.Is6() {
		addrs = "[" + addrs + "]"
	}
	b.WriteString(addrs)
	if r.Ports != nil {
		b.WriteString(":" + natPorts(*r.Ports))
		if r.BasePort != 0 {
			b.WriteString("/" + strconv.Itoa(int(r.BasePort)))
		}
	}
	return b.String()
}

// flag is an option without a value, written when on is set.
type flag struct {
	on   bool
	name string
}

func (w *writer) flags(fs ...flag) {
	for _, f := range fs {
		if f.on {
			w.add(f.name)
		}
	}
}

func (w *writer) snat(t *ir.SNAT) {
	w.add("-j", "SNAT", "--to-source", natRange(t.To))
	w.flags(flag{t.Random, "--random"}, flag{t.RandomFully, "--random-fully"}, flag{t.Persistent, "--persistent"})
}

func (w *writer) dnat(t *ir.DNAT) {
	w.add("-j", "DNAT", "--to-destination", natRange(t.To))
	w.flags(flag{t.Random, "--random"}, flag{t.Persistent, "--persistent"})
}

func (w *writer) masquerade(t *ir.Masquerade) {
	w.add("-j", "MASQUERADE")
	if t.Ports != nil {
		w.add("--to-ports", natPorts(*t.Ports))
	}
	w.flags(flag{t.Random, "--random"}, flag{t.RandomFully, "--random-fully"})
}

func (w *writer) redirect(t *ir.Redirect) {
	w.add("-j", "REDIRECT")
	if t.Ports != nil {
		w.add("--to-ports", natPorts(*t.Ports))
	}
	w.flags(flag{t.Random, "--random"})
}

func (w *writer) netmap(t *ir.Netmap) {
	w.add("-j", "NETMAP", "--to", t.To.String())
}

// hasSynMatch reports whether the rule has a tcp match that requires SYN,
// which iptables-legacy's kernel check for TCPMSS looks for.
func hasSynMatch(r *ir.Rule) bool {
	for _, m := range r.Matches {
		if t, ok := m.(*ir.TCP); ok && t.Flags != nil && !t.Flags.Neg && t.Flags.Comp&t.Flags.Mask&0x02 != 0 {
			return true
		}
	}
	return false
}

func (w *writer) tcpmss(t *ir.TCPMSS) {
	// The kernel's tcpmss_tg4_check refuses a rule without a SYN match,
	// except through nft_compat (iptables-nft), which skips that check.
	if w.v == Legacy && !hasSynMatch(w.rule) {
		w.unsupported("TCPMSS: iptables-legacy refuses it without a SYN match (add \"--tcp-flags SYN,RST SYN\"); iptables-nft accepts it")
		return
	}
	w.add("-j", "TCPMSS")
	if t.ClampPMTU {
		w.add("--clamp-mss-to-pmtu")
	} else {
		w.add("--set-mss", strconv.Itoa(int(t.MSS)))
	}
}

func (w *writer) tproxy(t *ir.TProxy) {
	addr := "0.0.0.0"
	if w.f == ir.IPv6 {
		addr = "::"
	}
	if t.Addr.IsValid() {
		addr = t.Addr.String()
	}
	w.add("-j", "TPROXY", "--on-port", strconv.Itoa(int(t.Port)), "--on-ip", addr,
		"--tproxy-mark", fmt.Sprintf("0x%x/0x%x", t.Mark, t.Mask))
}

func (w *writer) hop(name, pfx string, op ir.HopOp, v uint8) {
	w.add("-j", name, "--"+pfx+"-"+string(op), strconv.Itoa(int(v)))
}

func (w *writer) nfqueue(t *ir.NFQueue) {
	w.add("-j", "NFQUEUE")
	if t.Balance {
		w.add("--queue-balance", fmt.Sprintf("%d:%d", t.Num, t.Last))
	} else {
		w.add("--queue-num", strconv.Itoa(int(t.Num)))
	}
	w.flags(flag{t.Bypass, "--queue-bypass"}, flag{t.CPUFanout, "--queue-cpu-fanout"})
}

func (w *writer) synproxy(t *ir.SynProxy) {
	w.add("-j", "SYNPROXY")
	w.flags(flag{t.SACKPerm, "--sack-perm"}, flag{t.Timestamp, "--timestamp"})
	if t.WScale != nil {
		w.add("--wscale", strconv.Itoa(int(*t.WScale)))
	}
	if t.MSS != nil {
		w.add("--mss", strconv.Itoa(int(*t.MSS)))
	}
}

func (w *writer) tee(t *ir.Tee) {
	w.add("-j", "TEE", "--gateway", t.Gateway.String())
	if t.OIF != "" {
		w.add("--oif", Quote(t.OIF))
	}
}

func setRef(r *ir.SetTargetRef) []string {
	fs := make([]string, len(r.Flags))
	for i, f := range r.Flags {
		fs[i] = string(f)
	}
	return []string{Quote(r.Name), strings.Join(fs, ",")}
}

func (w *writer) setTarget(t *ir.SetTarget) {
	w.add("-j", "SET")
	if t.Add != nil {
		w.add("--add-set")
		w.add(setRef(t.Add)...)
	}
	if t.Del != nil {
		w.add("--del-set")
		w.add(setRef(t.Del)...)
	}
	w.flags(flag{t.Exist, "--exist"})
	if t.Timeout != nil {
		w.add("--timeout", strconv.FormatUint(uint64(*t.Timeout), 10))
	}
}

// simpleTarget renders the targets whose form is fixed by one or two
// values.
func (w *writer) simpleTarget(t ir.Target) {
	switch t := t.(type) {
	case *ir.Checksum:
		w.add("-j", "CHECKSUM", "--checksum-fill")
	case *ir.TTL:
		w.hop("TTL", "ttl", t.Op, t.Value)
	case *ir.HL:
		w.hop("HL", "hl", t.Op, t.Value)
	case *ir.DSCP:
		w.add("-j", "DSCP", "--set-dscp", fmt.Sprintf("0x%02x", t.Value))
	case *ir.TOS:
		w.add("-j", "TOS", "--set-tos", fmt.Sprintf("0x%02x/0x%02x", t.Value, t.Mask))
	case *ir.Classify:
		w.add("-j", "CLASSIFY", "--set-class", fmt.Sprintf("%04x:%04x", t.Major, t.Minor))
	case *ir.Audit:
		w.add("-j", "AUDIT", "--type", string(t.Type))
	case *ir.Trace:
		w.add("-j", "TRACE")
	default:
		w.errorf("internal error: no iptables rendering for target %T", t)
	}
}
