package nftables

import (
	"fmt"
	"strings"

	"github.com/ruleshift/ruleshift/translate/diag"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// RuleContext is what rendering one rule needs to know about where it sits.
type RuleContext struct {
	Family ir.Family
	Table  string
	Chain  string
	// Base is the chain's hook, nil for a user chain.
	Base *ir.BaseChain
	// ChainNames maps iptables chain names to nft names (see ChainNames);
	// nil keeps names as they are.
	ChainNames map[string]string
	NoCounter  bool
	// Decls collects the sets the table must declare for the rule
	// (connlimit); nil makes such rules an error.
	Decls *Decls
	// meters lists the hashlimit names of the ruleset (meters.go); nil
	// renders every hashlimit as a meter of its own.
	meters *meterPlan
}

// rw renders one rule. Expressions are written in the order iptables-translate
// uses, so that a listing of our output and of the reference translation
// compare equal: interfaces, fragment, protocol, addresses, then the
// matches in order, then counter, the target's statement(s) and the comment.
type rw struct {
	ctx   RuleContext
	rule  *ir.Rule
	buf   []byte // the rule's text is appended here
	start int    // where this rule's text begins in buf
	diags *diag.List
	proto *ir.Protocol
	// protoDone is set once an expression implies the protocol.
	protoDone bool
}

// RuleText renders one rule as the text that follows "add rule FAMILY TABLE
// CHAIN". Errors name the rule's source position.
func RuleText(r *ir.Rule, ctx RuleContext) (string, *diag.List) {
	diags := &diag.List{}
	b := appendRule(nil, r, ctx, diags)
	return string(b), diags
}

// appendRule appends the rule's text to dst, reporting problems to diags.
// Rendering a table appends every rule to one buffer, which keeps large
// rulesets from allocating a string per expression.
func appendRule(dst []byte, r *ir.Rule, ctx RuleContext, diags *diag.List) []byte {
	w := &rw{ctx: ctx, rule: r, diags: diags, buf: dst, start: len(dst)}
	nd := len(diags.Items)
	ndecls := 0
	if ctx.Decls != nil {
		ndecls = ctx.Decls.Len()
	}
	for _, m := range r.Matches {
		if p, ok := m.(*ir.Protocol); ok {
			w.proto = p
		}
	}
	w.header()
	for _, m := range r.Matches {
		switch m.(type) {
		case *ir.Protocol, *ir.Addr, *ir.Iface, *ir.Fragment, *ir.Comment:
		default:
			w.match(m)
		}
	}
	if !ctx.NoCounter {
		w.add("counter")
	}
	if r.Target != nil {
		w.target(r.Target)
	}
	if c := r.Comment(); c != "" {
		w.comment(c)
	}
	if diags.HasErrorsSince(nd) && ctx.Decls != nil {
		ctx.Decls.truncate(ndecls)
	}
	return w.buf
}

func (w *rw) add(s ...string) {
	for _, x := range s {
		if len(w.buf) > w.start {
			w.buf = append(w.buf, ' ')
		}
		w.buf = append(w.buf, x...)
	}
}

func (w *rw) addf(format string, args ...any) {
	if len(w.buf) > w.start {
		w.buf = append(w.buf, ' ')
	}
	w.buf = fmt.Appendf(w.buf, format, args...)
}

func (w *rw) errorf(format string, args ...any) {
	w.diags.Errorf(w.rule.Src, format, args...)
}

// unsupported reports a construct nftables cannot express, naming it.
func (w *rw) unsupported(what, why string) {
	w.errorf("%s cannot be translated to nftables: %s", what, why)
}

func (w *rw) v6() bool { return w.ctx.Family == ir.IPv6 }

// ipKW is "ip" or "ip6", the payload keyword of the family.
func (w *rw) ipKW() string { return w.ctx.Family.String() }

// protoImplied reports whether a match module named after the protocol is
// present (the tcp match after -p tcp), in which case the match itself
// carries the protocol, as iptables-translate does.
func (w *rw) protoImplied() bool {
	if w.proto == nil || w.proto.Neg || w.proto.All {
		return false
	}
	for _, m := range w.rule.Matches {
		if moduleProto(m) == w.proto.Num {
			return true
		}
	}
	return false
}

// l4Needed reports whether no expression has written the rule's protocol
// yet, so a protocol match that writes nothing else must write it: for
// "-p tcp --sport 0:65535", and for "-m sctp" without -p (accepted in
// lenient mode), whose match alone carries the protocol.
func (w *rw) l4Needed() bool { return !w.protoDone }

func moduleProto(m ir.Match) uint8 {
	switch m := m.(type) {
	case *ir.TCP:
		return 6
	case *ir.UDP:
		return 17
	case *ir.SCTP:
		return 132
	case *ir.ICMP:
		if m.V6 {
			return 58
		}
		return 1
	case *ir.DCCP:
		return 33
	case *ir.ESP:
		return 50
	case *ir.IPComp:
		return 108
	case *ir.MH:
		return 135
	case *ir.AH:
		return 51
	}
	return 0
}

func (w *rw) header() {
	for _, d := range []ir.Dir{ir.Src, ir.Dst} {
		for _, m := range w.rule.Matches {
			if i, ok := m.(*ir.Iface); ok && i.Dir == d {
				w.iface(i)
			}
		}
	}
	for _, m := range w.rule.Matches {
		if f, ok := m.(*ir.Fragment); ok {
			if f.Neg {
				w.add("ip frag-off & 0x1fff == 0")
			} else {
				w.add("ip frag-off & 0x1fff != 0")
			}
		}
	}
	if w.proto != nil && !w.protoImplied() {
		w.protocol(w.proto)
	}
	for _, d := range []ir.Dir{ir.Src, ir.Dst} {
		for _, m := range w.rule.Matches {
			if a, ok := m.(*ir.Addr); ok && a.Dir == d {
				w.addr(a)
			}
		}
	}
}

func (w *rw) protocol(p *ir.Protocol) {
	if p.All {
		if p.Neg {
			w.unsupported("\"! -p all\"", "it matches no packet; remove the rule")
		}
		return
	}
	kw := "ip protocol"
	if w.v6() {
		kw = "meta l4proto"
	}
	op := ""
	if p.Neg {
		op = "!= "
	}
	w.addf("%s %s%s", kw, op, protoKeyword(p.Num))
	w.protoDone = true
}

// nftProtoNames are the protocol names nft 1.0.6 takes after
// "ip protocol" and "meta l4proto"; they differ from iptables' list (nft
// knows "comp", not "ipv6" or "mh").
var nftProtoNames = map[uint8]string{
	1: "icmp", 2: "igmp", 6: "tcp", 17: "udp", 33: "dccp", 47: "gre", 50: "esp",
	51: "ah", 58: "ipv6-icmp", 108: "comp", 132: "sctp", 136: "udplite",
}

// protoKeyword returns the nft name of a protocol, or its number.
func protoKeyword(n uint8) string {
	if s, ok := nftProtoNames[n]; ok {
		return s
	}
	return fmt.Sprint(n)
}

// l4 returns the rule's positive protocol number, 0 if none.
func (w *rw) l4() uint8 {
	if w.proto == nil || w.proto.Neg || w.proto.All {
		return 0
	}
	return w.proto.Num
}

func (w *rw) addr(a *ir.Addr) {
	dir := "saddr"
	if a.Dir == ir.Dst {
		dir = "daddr"
	}
	if a.Mask.IsValid() {
		op := "=="
		if a.Neg {
			op = "!="
		}
		w.addf("%s %s & %s %s %s", w.ipKW(), dir, a.Mask, op, a.Net.Addr())
		return
	}
	if a.Net.Bits() == 0 && !a.Neg {
		return
	}
	s := a.Net.String()
	if a.Net.IsSingleIP() {
		s = a.Net.Addr().String()
	}
	op := ""
	if a.Neg {
		op = "!= "
	}
	w.addf("%s %s %s%s", w.ipKW(), dir, op, s)
}

func (w *rw) iface(i *ir.Iface) {
	kw := "iifname"
	if i.Dir == ir.Dst {
		kw = "oifname"
	}
	name := i.Name
	switch {
	case name == "+":
		// Every interface matches; a negation matches none, which nft says
		// with a name no interface can have.
		if i.Neg {
			w.addf("%s %s", kw, quote("INVAL/D"))
		}
		return
	case strings.HasSuffix(name, "+"):
		name = name[:len(name)-1] + "*"
	case strings.HasSuffix(name, "*"):
		name = name[:len(name)-1] + `\*`
	}
	op := ""
	if i.Neg {
		op = "!= "
	}
	w.addf("%s %s%s", kw, op, quote(name))
}

// chain returns the nft name of a chain.
func (w *rw) chain(name string) string {
	if n, ok := w.ctx.ChainNames[name]; ok {
		return n
	}
	if plainIdent.MatchString(name) && !keywords[name] {
		return name
	}
	return SafeChainName(name)
}

// maxComment is NFT_USERDATA_MAXLEN's share for a comment in nft 1.0.6.
const maxComment = 128

func (w *rw) comment(c string) {
	// A comment never decides a verdict, so adjusting its text (with a
	// warning) is better than refusing the rule.
	if strings.Contains(c, `"`) {
		w.diags.Warnf(w.rule.Src, "comment %q: nft strings cannot hold a double quote; written with ' instead", c)
		c = strings.ReplaceAll(c, `"`, "'")
	}
	if len(c) > maxComment {
		w.diags.Warnf(w.rule.Src, "comment is %d bytes; nft keeps at most %d, so it is cut", len(c), maxComment)
		c = c[:maxComment]
	}
	w.add("comment", quote(c))
}
