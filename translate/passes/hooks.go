package passes

import (
	"strings"

	"github.com/ruleshift/ruleshift/translate/diag"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// Hook restrictions. Some matches and targets work only from some hooks,
// and the kernel checks the hooks a rule is reached from when a table is
// loaded: for a rule in a user chain, every hook of the base chains that
// jump to it. One wrong hook fails the whole table (iptables-restore says
// "Invalid argument"; dmesg names the module and the hooks).
//
// The table below comes from the kernel's xt modules, and every entry is
// confirmed against the running kernel by TestHooksKernel: a user chain
// jumped to from each hook, loaded with iptables-legacy-restore and
// iptables-nft-restore.
//
// Two kinds of check exist. Most modules declare their hooks in the
// module's .hooks field, which both variants enforce for user chains.
// The rest (addrtype --limit-iface-*, devgroup, policy, physdev --physdev-out,
// TCPMSS --clamp-mss-to-pmtu) check the hooks in their checkentry function;
// iptables-legacy enforces that for user chains, but iptables-nft only for
// base chains (nft_compat does not know a user chain's hooks when it checks
// a rule). The pass refuses both kinds: the rule is wrong for the kernel
// whatever loads it, and a legacy load of the same ruleset fails.

// restriction is one condition of a rule that works only from some hooks.
type restriction struct {
	what    string  // "owner match", "target REJECT", …
	allowed HookSet // the hooks the kernel allows it from
	// checkentry is set when the kernel checks it in checkentry, not by
	// the .hooks field: iptables-nft lets it pass in a user chain.
	checkentry bool
}

var (
	hPre  = Hooks(ir.HookPrerouting)
	hIn   = Hooks(ir.HookInput)
	hFwd  = Hooks(ir.HookForward)
	hOut  = Hooks(ir.HookOutput)
	hPost = Hooks(ir.HookPostrouting)
	// inbound are the hooks with an input device, outbound those with an
	// output device.
	inbound  = hPre | hIn | hFwd
	outbound = hFwd | hOut | hPost
)

// restrictions appends the hook restrictions of a rule's matches and
// target to buf.
func restrictions(r *ir.Rule, buf []restriction) []restriction {
	for _, m := range r.Matches {
		switch m := m.(type) {
		case *ir.Owner:
			buf = append(buf, restriction{what: "owner match", allowed: hOut | hPost})
		case *ir.MAC:
			buf = append(buf, restriction{what: "mac match", allowed: inbound})
		case *ir.EUI64:
			buf = append(buf, restriction{what: "eui64 match", allowed: inbound})
		case *ir.Socket:
			buf = append(buf, restriction{what: "socket match", allowed: hPre | hIn})
		case *ir.Realm:
			buf = append(buf, restriction{what: "realm match", allowed: hIn | hFwd | hOut | hPost})
		case *ir.Cgroup:
			buf = append(buf, restriction{what: "cgroup match", allowed: hIn | hOut | hPost})
		case *ir.RPFilter:
			buf = append(buf, restriction{what: "rpfilter match", allowed: hPre})
		case *ir.AddrType:
			if m.LimitIfaceIn {
				buf = append(buf, restriction{what: "addrtype --limit-iface-in", allowed: inbound, checkentry: true})
			}
			if m.LimitIfaceOut {
				buf = append(buf, restriction{what: "addrtype --limit-iface-out", allowed: outbound, checkentry: true})
			}
		case *ir.DevGroup:
			if m.Src != nil {
				buf = append(buf, restriction{what: "devgroup --src-group", allowed: inbound, checkentry: true})
			}
			if m.Dst != nil {
				buf = append(buf, restriction{what: "devgroup --dst-group", allowed: outbound, checkentry: true})
			}
		case *ir.IPsecPolicy:
			if m.Out {
				buf = append(buf, restriction{what: "policy --dir out", allowed: outbound, checkentry: true})
			} else {
				buf = append(buf, restriction{what: "policy --dir in", allowed: inbound, checkentry: true})
			}
		case *ir.Physdev:
			// Bridged traffic has a bridge port on output paths; locally
			// generated traffic may not, unless the rule asks for bridged.
			if (m.Out != "" || m.IsOut) && (!m.IsBridged || m.NegIsBridged) {
				buf = append(buf, restriction{what: "physdev --physdev-out/--physdev-is-out without --physdev-is-bridged", allowed: hPre | hIn | hFwd | hPost, checkentry: true})
			}
		}
	}
	switch t := r.Target.(type) {
	case *ir.Reject:
		buf = append(buf, restriction{what: "target REJECT", allowed: hIn | hFwd | hOut})
	case *ir.SNAT:
		buf = append(buf, restriction{what: "target SNAT", allowed: hIn | hPost})
	case *ir.DNAT:
		buf = append(buf, restriction{what: "target DNAT", allowed: hPre | hOut})
	case *ir.Masquerade:
		buf = append(buf, restriction{what: "target MASQUERADE", allowed: hPost})
	case *ir.Redirect:
		buf = append(buf, restriction{what: "target REDIRECT", allowed: hPre | hOut})
	case *ir.TProxy:
		buf = append(buf, restriction{what: "target TPROXY", allowed: hPre})
	case *ir.Classify:
		buf = append(buf, restriction{what: "target CLASSIFY", allowed: hFwd | hOut | hPost})
	case *ir.SynProxy:
		buf = append(buf, restriction{what: "target SYNPROXY", allowed: hIn | hFwd})
	case *ir.TCPMSS:
		if t.ClampPMTU {
			buf = append(buf, restriction{what: "TCPMSS --clamp-mss-to-pmtu", allowed: outbound, checkentry: true})
		}
	}
	return buf
}

// CheckHooks reports every match and target used from a hook the kernel
// refuses it in, at the rule, with the chain path from that hook.
func CheckHooks(rs *ir.Ruleset) *diag.List {
	diags := &diag.List{}
	for _, t := range rs.Tables {
		checkHooks(Graph(t), diags)
	}
	return diags
}

func checkHooks(g *ChainGraph, diags *diag.List) {
	var buf []restriction
	for _, n := range g.Nodes {
		if n.Hooks == 0 {
			continue
		}
		for _, r := range n.Chain.Rules {
			buf = restrictions(r, buf[:0])
			for _, x := range buf {
				bad := n.Hooks &^ x.allowed
				if bad == 0 {
					continue
				}
				h := bad.List()[0]
				diags.Report(diag.KernelCheck, r.Src, "%s is valid only from %s, but %s (the kernel refuses the table)", x.what, x.allowed, reached(g, n, h))
			}
			checkIfaces(g, n, r, diags)
		}
	}
}

// reached says how hook h reaches chain n: "chain X is reached from INPUT
// (INPUT -> A -> X)", or "it is in INPUT" for the base chain itself.
func reached(g *ChainGraph, n *Node, h ir.Hook) string {
	path := g.PathFrom(n.Chain.Name, h)
	if len(path) <= 1 {
		return "it is in " + HookName(h)
	}
	return "chain " + n.Chain.Name + " is reached from " + HookName(h) + " (" + strings.Join(path, " -> ") + ")"
}

// checkIfaces warns of -i in a chain only output paths reach and -o in one
// only input paths reach. The kernel accepts both in a user chain (iptables
// refuses them in the built-in chains by name), but the packet has no such
// device there: the condition never holds, or always when negated.
func checkIfaces(g *ChainGraph, n *Node, r *ir.Rule, diags *diag.List) {
	for _, m := range r.Matches {
		i, ok := m.(*ir.Iface)
		if !ok || i.Name == "+" {
			continue
		}
		opt, dev, ok := "-i", "input", n.Hooks&inbound == 0
		if i.Dir == ir.Dst {
			opt, dev, ok = "-o", "output", n.Hooks&outbound == 0
		}
		if !ok {
			continue
		}
		what := "never matches"
		if i.Neg {
			what = "always matches"
		}
		diags.Warnf(r.Src, "%s %s %s: packets from %s have no %s device, and %s", opt, i.Name, what, n.Hooks, dev, reached(g, n, n.Hooks.List()[0]))
	}
}
