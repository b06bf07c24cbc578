package nftables

import (
	"sort"
	"strings"

	"github.com/google/nftables/expr"
	"github.com/ruleshift/ruleshift/backends/nftables/stmt"
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
	// ports are the table's shared port sets (portsets.go); nil writes
	// every list as an anonymous set.
	ports *portPlan
	// sets are the table's named sets (ir.Table.Sets).
	sets []*ir.Set
	// table is the table's family; in an inet table Family is the family
	// of the rule being lowered (ruleFamily).
	table ir.Family
	// scratch, when set, is reused for each rule lowered with this
	// context: a table's rules are printed or encoded one at a time, and
	// reusing one statement slice saves its growth per rule.
	scratch *stmt.Rule
	// mirror is set for the rules of a CT mirror chain (ir.Chain.MirrorOf):
	// a CT target assigns its helper or event mask and accepts.
	mirror bool
}

// forChain is the context of chain c's rules, given the table's. The rules
// of a CT mirror chain (passes.CtMirror) count nothing, as the raw chain's
// rules they repeat count the packets, and write their port lists inline
// and their hashlimits as meters of their own: the shared sets are planned
// from the rules the user wrote.
func (ctx RuleContext) forChain(c *ir.Chain) RuleContext {
	ctx.Chain, ctx.Base = c.Name, c.Base
	if c.MirrorOf != "" {
		ctx.NoCounter, ctx.mirror, ctx.ports, ctx.meters = true, true, nil, nil
	}
	return ctx
}

// rw lowers one rule into stmt statements. Expressions are written in the order iptables-translate
// uses, so that a listing of our output and of the reference translation
// compare equal: interfaces, fragment, protocol, addresses, then the
// matches in order, then counter, the target's statement(s) and the comment.
type rw struct {
	ctx   RuleContext
	rule  *ir.Rule
	out   *stmt.Rule
	diags *diag.List
	proto *ir.Protocol
	// protoDone is set once an expression implies the protocol.
	protoDone bool
	// node is the match or target being lowered, whose position errors
	// name.
	node interface{ Pos() ir.Pos }
}

// RuleText renders one rule as the text that follows "add rule FAMILY TABLE
// CHAIN". Errors name the rule's source position.
func RuleText(r *ir.Rule, ctx RuleContext) (string, *diag.List) {
	diags := &diag.List{}
	b := appendRule(nil, r, ctx, diags)
	return string(b), diags
}

// appendRule lowers a rule and appends its text to dst.
func appendRule(dst []byte, r *ir.Rule, ctx RuleContext, diags *diag.List) []byte {
	return stmt.AppendRule(dst, lowerRule(r, ctx, diags))
}

// lowerRule lowers a rule, reporting problems to diags.
func lowerRule(r *ir.Rule, ctx RuleContext, diags *diag.List) *stmt.Rule {
	out := ctx.scratch
	if out == nil {
		out = &stmt.Rule{Stmts: make([]stmt.Stmt, 0, 8)}
	}
	*out = stmt.Rule{Stmts: out.Stmts[:0], Src: r.Src}
	if ctx.Family == ir.Inet {
		ctx.table, ctx.Family = ir.Inet, ruleFamily(r)
	}
	w := &rw{ctx: ctx, rule: r, diags: diags, out: out}
	nd := len(diags.Items)
	ndecls := 0
	if ctx.Decls != nil {
		ndecls = ctx.Decls.Len()
	}
	w.lower()
	if diags.HasErrorsSince(nd) && ctx.Decls != nil {
		ctx.Decls.truncate(ndecls)
	}
	return w.out
}

// lower writes the rule's statements: header, matches, counter, target,
// comment.
func (w *rw) lower() {
	r := w.rule
	for _, m := range r.Matches {
		if p, ok := m.(*ir.Protocol); ok {
			w.proto = p
		}
	}
	// The family of a rule of an inet table comes first, as the
	// dependency nft puts before a match of one family.
	for _, m := range r.Matches {
		if nf, ok := m.(*ir.NFProto); ok {
			w.match(nf)
		}
	}
	w.header()
	for _, m := range r.Matches {
		switch m.(type) {
		case *ir.Protocol, *ir.Addr, *ir.Iface, *ir.Fragment, *ir.Comment, *ir.NFProto:
		default:
			w.match(m)
		}
	}
	unmergeNeq(w.out.Stmts)
	if !w.ctx.NoCounter {
		w.emit(&stmt.Counter{})
	}
	if r.Target != nil {
		w.target(r.Target)
	}
	if c := r.Comment(); c != "" {
		w.comment(c)
	}
}

func (w *rw) emit(s stmt.Stmt) { w.out.Stmts = append(w.out.Stmts, s) }

func (w *rw) errorf(format string, args ...any) {
	w.diags.Errorf(ir.PosOf(w.node, w.rule), format, args...)
}

// unsupported reports a construct nftables cannot express, naming it.
// With --warn unsupported the rule is left out.
func (w *rw) unsupported(what, why string) {
	w.diags.ReportRule(diag.Unsupported, w.rule, ir.PosOf(w.node, w.rule), "%s cannot be translated to nftables: %s", what, why)
}

func (w *rw) v6() bool { return w.ctx.Family == ir.IPv6 }

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
			// Not a first fragment: the offset is not zero.
			w.emit(&stmt.Cmp{Field: stmt.IPFragOff, Neg: !f.Neg, Mask: []byte{0x1f, 0xff}, Value: []byte{0, 0}})
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
	f := stmt.Field(stmt.IPProtocol)
	if w.v6() {
		f = stmt.MetaL4Proto
	}
	w.emit(&stmt.Cmp{Field: f, Neg: p.Neg, Value: []byte{p.Num}})
	w.protoDone = true
}

// l4 returns the rule's positive protocol number, 0 if none.
func (w *rw) l4() uint8 {
	if w.proto == nil || w.proto.Neg || w.proto.All {
		return 0
	}
	return w.proto.Num
}

// addrField is the family's source or destination address.
func (w *rw) addrField(dst bool) *stmt.Payload {
	switch {
	case w.v6() && dst:
		return stmt.IP6Daddr
	case w.v6():
		return stmt.IP6Saddr
	case dst:
		return stmt.IPDaddr
	}
	return stmt.IPSaddr
}

func (w *rw) addr(a *ir.Addr) {
	f := w.addrField(a.Dir == ir.Dst)
	if a.Mask.IsValid() {
		w.emit(&stmt.Cmp{Field: f, Neg: a.Neg, Mask: a.Mask.AsSlice(), Value: a.Net.Addr().AsSlice()})
		return
	}
	if a.Net.Bits() == 0 && !a.Neg {
		return
	}
	c := &stmt.Cmp{Field: f, Neg: a.Neg, Value: a.Net.Addr().AsSlice()}
	if !a.Net.IsSingleIP() {
		c.Prefix, c.Bits = true, a.Net.Bits()
	}
	w.emit(c)
}

func (w *rw) iface(i *ir.Iface) {
	f := stmt.IifName
	if i.Dir == ir.Dst {
		f = stmt.OifName
	}
	name := i.Name
	var val []byte
	switch {
	case name == "+":
		// Every interface matches; a negation matches none, which nft says
		// with a name no interface can have.
		if i.Neg {
			w.emit(&stmt.Cmp{Field: f, Value: padName("INVAL/D")})
		}
		return
	case strings.HasSuffix(name, "+"):
		val = []byte(name[:len(name)-1])
	default:
		val = padName(name)
	}
	w.emit(&stmt.Cmp{Field: f, Neg: i.Neg, Value: val})
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
		w.diags.Report(diag.Rewritten, w.rule.Src, "comment %q: nft strings cannot hold a double quote; written with ' instead", c)
		c = strings.ReplaceAll(c, `"`, "'")
	}
	if len(c) > maxComment {
		w.diags.Report(diag.Rewritten, w.rule.Src, "comment is %d bytes; nft keeps at most %d, so it is cut", len(c), maxComment)
		c = c[:maxComment]
	}
	w.out.Comment = c
}

// unmergeNeq keeps nft 1.0.6 from merging negated header comparisons.
// nft joins comparisons of adjacent header fields into one load and one
// compare (payload_do_merge: same base, total at most 4 bytes, or 16 in
// the link layer), and before nftables 1.0.10 it does so for "!=" as
// well: "tcp sport != 22 tcp dport != 23" loads as one 4-byte "!=",
// which matches when either port differs, where the rule means both
// (iptables' "! --sport 22 ! --dport 23"). Of each pair nft would join,
// the second is written as a one-value range ("tcp dport != 23-23"),
// which nft leaves alone; the netlink encoder sends the same range, so
// what translate prints and what apply loads stay one ruleset.
func unmergeNeq(ss []stmt.Stmt) {
	var cands []*stmt.Cmp
	for _, s := range ss {
		c, ok := s.(*stmt.Cmp)
		if !ok || !c.Neg || c.Mask != nil || c.Prefix || c.To != nil || c.Op != 0 || c.Set != nil {
			continue
		}
		if _, ok := c.Field.(*stmt.Payload); ok {
			cands = append(cands, c)
		}
	}
	if len(cands) < 2 {
		return
	}
	sort.SliceStable(cands, func(i, j int) bool {
		a, b := cands[i].Field.(*stmt.Payload), cands[j].Field.(*stmt.Payload)
		if a.Base != b.Base {
			return a.Base < b.Base
		}
		return a.Offset < b.Offset
	})
	last := cands[0].Field.(*stmt.Payload)
	for _, c := range cands[1:] {
		p := c.Field.(*stmt.Payload)
		limit := uint32(4)
		if p.Base == expr.PayloadBaseLLHeader {
			limit = 16
		}
		if p.Base == last.Base && last.Offset+last.Bytes == p.Offset && last.Bytes+p.Bytes <= limit {
			c.To = c.Value
			continue
		}
		last = p
	}
}

// ruleFamily is the family a rule of an inet table is lowered for: that
// of its leading NFProto match, or IPv4 for a rule both families share
// (SameInBoth: it lowers as its IPv6 twin does).
func ruleFamily(r *ir.Rule) ir.Family {
	if guarded(r) {
		return r.Matches[0].(*ir.NFProto).Family
	}
	return ir.IPv4
}

// SameInBoth reports whether r4 lowered for an ip table and r6 lowered
// for an ip6 table are the same nft statements, so that one rule of an
// inet table means for a packet of either family what that family's
// rule meant (passes.MergeInet shares only such rules). The text holds
// every family-bound part (ip saddr, ip protocol, icmp type, reject with
// icmp type …), so equal texts have none, but for a plain reject: in an
// inet table it sends the port unreachable of the packet's family, as
// each family's own plain reject does.
func SameInBoth(r4, r6 *ir.Rule) bool {
	var text [2][]byte
	for i, f := range []ir.Family{ir.IPv4, ir.IPv6} {
		r := r4
		if f == ir.IPv6 {
			r = r6
		}
		d := &diag.List{}
		sr := lowerRule(r, RuleContext{Family: f, Decls: &Decls{}}, d)
		if d.HasErrors() {
			return false
		}
		for _, s := range sr.Stmts {
			if _, ok := s.(*stmt.Cmp); ok && s.(*stmt.Cmp).Set != nil && s.(*stmt.Cmp).Set.Name != "" {
				return false // a named set is of one family
			}
		}
		text[i] = stmt.AppendRule(nil, sr)
		if i == 1 && string(text[0]) != string(text[1]) {
			return false
		}
	}
	return true
}

// guarded reports whether a rule starts with a family match.
func guarded(r *ir.Rule) bool {
	if len(r.Matches) > 0 {
		_, ok := r.Matches[0].(*ir.NFProto)
		return ok
	}
	return false
}
