package nftables

import (
	"fmt"
	"strings"

	"github.com/google/nftables/expr"
	"github.com/ruleshift/ruleshift/backends/nftables/stmt"
	"github.com/ruleshift/ruleshift/translate/diag"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// The mirror of a raw chain: for each raw built-in chain whose rules, or
// the user chains they reach, hold CT --helper or --ctevents, a base chain
// on the same hook at mirrorPrio, just after conntrack. It repeats the raw
// chain's control flow (the rules that decide whether a CT rule is reached,
// with the same matches, jumps, returns and verdicts) and, where the raw
// chain hits its first CT rule, assigns the helper or the event mask and
// stops: xt_CT's first template wins, so nothing after it matters. Other
// statements (LOG, MARK, NOTRACK, zones) already ran in the raw chain and
// are left out. A packet the raw chain dropped never reaches the mirror.
//
// The mirror is exact only if every match it repeats gives the same answer
// at -199 as at -300. Conntrack matches do not (before conntrack there is
// no connection), nor do matches that keep state per rule (a second limit
// or quota is a second bucket), nor a mark match once a raw rule may have
// changed the mark: such a match on the path to a CT rule is refused.

// mirrorPrio is the mirror chains' priority: after conntrack (-200) and
// before mangle (-150), so that mangle and later tables see the helper.
const mirrorPrio = -199

// mirrorSuffix ends a mirror chain's name.
const mirrorSuffix = "_ct"

type ctMirror struct {
	t      *ir.Table
	chains map[string]*ir.Chain
	effIn  map[string]bool // memo of effectIn
	cont   map[string]bool // memo of contAfter
	ends   map[string]bool // memo of mayEnd
	busy   map[string]bool // cycle guard
	sites  map[string][]site
	marks  bool // some raw rule sets the packet mark
	mssSet bool // some raw rule changes the TCP MSS
}

// site is a jump or goto to a chain: rule i of chain c.
type site struct {
	c *ir.Chain
	i int
}

func newCtMirror(t *ir.Table) *ctMirror {
	m := &ctMirror{t: t, chains: map[string]*ir.Chain{}, effIn: map[string]bool{}, cont: map[string]bool{}, ends: map[string]bool{}, busy: map[string]bool{}, sites: map[string][]site{}}
	for _, c := range t.Chains {
		m.chains[c.Name] = c
	}
	return m
}

// needsCtMirror reports whether the table has a raw built-in chain that
// reaches a CT --helper or --ctevents rule.
func needsCtMirror(t *ir.Table) bool {
	if t.Name != "raw" {
		return false
	}
	m := newCtMirror(t)
	for _, c := range t.Chains {
		if c.IsBase() && m.effectIn(c.Name) {
			return true
		}
	}
	return false
}

func jumpTo(r *ir.Rule) (string, bool) {
	j, ok := r.Target.(*ir.Jump)
	if !ok {
		return "", false
	}
	return j.Chain, j.Goto
}

// effectIn reports whether chain name holds, directly or through the chains
// it jumps to, a CT rule that assigns a helper or an event mask.
func (m *ctMirror) effectIn(name string) bool {
	if v, ok := m.effIn[name]; ok {
		return v
	}
	c := m.chains[name]
	if c == nil || m.busy[name] {
		return false
	}
	m.busy[name] = true
	v := false
	for _, r := range c.Rules {
		if m.leadsToEffect(r) {
			v = true
			break
		}
	}
	delete(m.busy, name)
	m.effIn[name] = v
	return v
}

func (m *ctMirror) leadsToEffect(r *ir.Rule) bool {
	if _, eff := ctEffect(r.Target); eff {
		return true
	}
	d, _ := jumpTo(r)
	return d != "" && m.effectIn(d)
}

// effectAfter reports whether an effect can follow rule i of chain c: in
// a later rule of c, or after c returns.
func (m *ctMirror) effectAfter(c *ir.Chain, i int) bool {
	for _, r := range c.Rules[i+1:] {
		if m.leadsToEffect(r) {
			return true
		}
	}
	return m.contAfter(c)
}

// contAfter reports whether an effect can follow once chain c returns to
// the chain that jumped to it (a goto returns to that chain's caller).
func (m *ctMirror) contAfter(c *ir.Chain) bool {
	if c.IsBase() {
		return false
	}
	if v, ok := m.cont[c.Name]; ok {
		return v
	}
	if m.busy[c.Name] {
		return false
	}
	m.busy[c.Name] = true
	v := false
	for _, s := range m.sites[c.Name] {
		if _, isGoto := jumpTo(s.c.Rules[s.i]); isGoto {
			v = m.contAfter(s.c)
		} else {
			v = m.effectAfter(s.c, s.i)
		}
		if v {
			break
		}
	}
	delete(m.busy, c.Name)
	m.cont[c.Name] = v
	return v
}

// collect records the jump sites and the mark-changing targets of every
// chain reachable from the built-in chains that need a mirror.
func (m *ctMirror) collect() []*ir.Chain {
	var roots []*ir.Chain
	seen := map[string]bool{}
	var walk func(c *ir.Chain)
	walk = func(c *ir.Chain) {
		if c == nil || seen[c.Name] {
			return
		}
		seen[c.Name] = true
		for i, r := range c.Rules {
			switch r.Target.(type) {
			case *ir.MarkTarget, *ir.ConnMarkTarget:
				m.marks = true
			case *ir.TCPMSS:
				m.mssSet = true
			}
			if d, _ := jumpTo(r); d != "" {
				m.sites[d] = append(m.sites[d], site{c, i})
				walk(m.chains[d])
			}
		}
	}
	for _, c := range m.t.Chains {
		if c.IsBase() && m.effectIn(c.Name) {
			roots = append(roots, c)
			walk(c)
		}
	}
	return roots
}

// mirrorFlow is what a rule does to the control flow of the mirror.
type mirrorFlow uint8

const (
	flowNone mirrorFlow = iota // no effect on which rule runs next
	flowStop                   // the raw table is done with the packet
	flowDrop                   // the packet never reaches the mirror
	flowMove                   // a return, jump or goto
	flowBad                    // a target the mirror does not know
)

func ruleFlow(t ir.Target) mirrorFlow {
	switch t := t.(type) {
	case nil, *ir.Log, *ir.NFLog, *ir.MarkTarget, *ir.ConnMarkTarget, *ir.Trace, *ir.Audit,
		*ir.Classify, *ir.TCPMSS, *ir.Tee, *ir.SetTarget, *ir.Checksum, *ir.TTL, *ir.HL, *ir.DSCP, *ir.TOS:
		return flowNone
	case *ir.Verdict:
		switch t.Kind {
		case ir.Accept:
			return flowStop
		case ir.Drop:
			return flowDrop
		}
		return flowMove
	case *ir.Jump:
		return flowMove
	case *ir.CtTarget, *ir.NFQueue:
		// The first CT or NOTRACK target decides the template; NFQUEUE
		// ends the raw table, and a reinjected packet goes on after it.
		return flowStop
	case *ir.Reject:
		return flowDrop
	}
	return flowBad
}

// included reports whether rule i of c belongs in the mirror: it assigns
// a helper or events, reaches a chain that does, or changes the flow
// before one can be reached.
func (m *ctMirror) included(c *ir.Chain, i int) bool {
	r := c.Rules[i]
	f := ruleFlow(r.Target)
	if f == flowNone {
		return false
	}
	if m.leadsToEffect(r) {
		return true
	}
	// A jump to a chain that always returns changes nothing.
	if d, isGoto := jumpTo(r); d != "" && !isGoto && !m.mayEnd(d) {
		return false
	}
	return m.effectAfter(c, i)
}

// mayEnd reports whether chain name, or a chain it reaches, can end the raw
// table's evaluation instead of returning.
func (m *ctMirror) mayEnd(name string) bool {
	if v, ok := m.ends[name]; ok {
		return v
	}
	c := m.chains[name]
	if c == nil || m.busy[name] {
		return false
	}
	m.busy[name] = true
	v := false
	for _, r := range c.Rules {
		switch ruleFlow(r.Target) {
		case flowStop, flowDrop, flowBad:
			v = true
		case flowMove:
			d, _ := jumpTo(r)
			v = d != "" && m.mayEnd(d)
		}
		if v {
			break
		}
	}
	delete(m.busy, name)
	m.ends[name] = v
	return v
}

// mirrorPlan is the mirror chains of a table, in the order Render writes
// them, and their names.
type mirrorPlan struct {
	m     *ctMirror
	order []*ir.Chain
	names map[string]string
}

// planMirrors orders the mirrored chains: each chain that leads to a CT
// rule, then the user chains it jumps to. The renderer and the netlink
// loader both use it, so the two always agree.
func planMirrors(t *ir.Table, names map[string]string) *mirrorPlan {
	m := newCtMirror(t)
	var order []*ir.Chain
	in := map[string]bool{}
	var add func(c *ir.Chain)
	add = func(c *ir.Chain) {
		if c == nil || in[c.Name] {
			return
		}
		in[c.Name] = true
		order = append(order, c)
		for i, r := range c.Rules {
			if d, _ := jumpTo(r); d != "" && m.included(c, i) {
				add(m.chains[d])
			}
		}
	}
	for _, c := range m.collect() {
		add(c)
	}
	return &mirrorPlan{m: m, order: order, names: mirrorNames(order, names)}
}

// renderCtMirrors appends the mirror chains of a raw table to b. A match
// that would make a mirror inexact is an error at its rule.
func renderCtMirrors(b *strings.Builder, t *ir.Table, names map[string]string, decls *Decls, diags *diag.List) {
	if t.Name != "raw" || decls == nil {
		return
	}
	p := planMirrors(t, names)
	for _, c := range p.order {
		p.m.renderChain(b, c, p.names, decls, diags)
	}
}

// mirrorNames names each mirrored chain after its nft name with
// mirrorSuffix, avoiding every name the table already uses.
func mirrorNames(order []*ir.Chain, names map[string]string) map[string]string {
	used := map[string]bool{}
	for _, n := range names {
		used[n] = true
	}
	out := map[string]string{}
	for _, c := range order {
		base := c.Name
		if n, ok := names[c.Name]; ok {
			base = n
		}
		base += mirrorSuffix
		n := base
		for i := 2; used[n]; i++ {
			n = fmt.Sprintf("%s_%d", base, i)
		}
		used[n] = true
		out[c.Name] = n
	}
	return out
}

func (m *ctMirror) renderChain(b *strings.Builder, c *ir.Chain, mn map[string]string, decls *Decls, diags *diag.List) {
	fmt.Fprintf(b, "\tchain %s {\n", mn[c.Name])
	if c.IsBase() {
		fmt.Fprintf(b, "\t\ttype %s hook %s priority %d; policy accept;\n", c.Base.Type, c.Base.Hook, mirrorPrio)
	}
	fmt.Fprintf(b, "\t\tcomment %s;\n", quote("CT helpers and events of raw chain "+sanitizeComment(c.Name)+" after conntrack"))
	if c.IsBase() {
		// xt_CT's template applies only when conntrack creates the entry;
		// "ct event set" would also change an existing one.
		b.WriteString("\t\tct status confirmed accept\n")
	}
	ctx := RuleContext{Family: m.t.Family, Table: m.t.Name, Chain: c.Name, Base: c.Base, ChainNames: mn, NoCounter: true, Decls: decls}
	for i, r := range c.Rules {
		if !m.included(c, i) {
			continue
		}
		if text, ok := m.ruleText(r, ctx, diags); ok {
			fmt.Fprintf(b, "\t\t%s\n", text)
		}
	}
	b.WriteString("\t}\n")
}

// ruleText renders rule r of the mirror (see lowerRule).
func (m *ctMirror) ruleText(r *ir.Rule, ctx RuleContext, diags *diag.List) (string, bool) {
	sr, ok := m.lowerRule(r, ctx, diags)
	if !ok {
		return "", false
	}
	return string(stmt.AppendRule(nil, sr)), true
}

// lowerRule lowers rule r of the mirror: its matches and its flow. Render
// problems of the matches are already reported at the raw chain's rule.
func (m *ctMirror) lowerRule(r *ir.Rule, ctx RuleContext, diags *diag.List) (*stmt.Rule, bool) {
	for _, x := range r.Matches {
		if why := m.differs(x); why != "" {
			// Not the unsupported class: leaving one rule out of the
			// mirror alone would change which packets get the helper.
			diags.Errorf(ir.PosOf(x, r), "-m %s on the path to a CT --helper or --ctevents rule cannot be translated to nftables: %s", mirrorKind(x), why)
			return nil, false
		}
	}
	r2 := &ir.Rule{Src: r.Src}
	for _, x := range r.Matches {
		if _, ok := x.(*ir.Comment); !ok {
			r2.Matches = append(r2.Matches, x)
		}
	}
	ct, eff := ctEffect(r.Target)
	switch ruleFlow(r.Target) {
	case flowStop:
		if !eff {
			r2.Target = &ir.Verdict{Kind: ir.Accept}
		}
	case flowDrop:
		r2.Target = &ir.Verdict{Kind: ir.Drop}
	case flowMove:
		r2.Target = r.Target
	default:
		diags.Errorf(r.Src, "target %s on the path to a CT --helper or --ctevents rule cannot be translated to nftables: ruleshift does not know how it ends the raw table's evaluation", r.Target.Name())
		return nil, false
	}
	scratch := &diag.List{}
	w := &rw{ctx: ctx, rule: r2, diags: scratch, out: lowerRule(r2, ctx, scratch)}
	if scratch.HasErrors() {
		return nil, false
	}
	if eff {
		for _, x := range r2.Matches {
			if p, ok := x.(*ir.Protocol); ok {
				w.proto = p
			}
		}
		if !w.ctAssign(ct) {
			return nil, false
		}
		w.emit(&stmt.Verdict{Kind: expr.VerdictAccept})
	}
	return w.out, true
}

const (
	whyNoConn = "iptables' raw table evaluates it before conntrack (priority -300), where the packet has no connection, and nft can assign helpers and events only after conntrack (-199), where it has one"
	whyState  = "it keeps state per rule (a token bucket, a quota, a counter or a random draw), so evaluating it again after conntrack can give another answer"
)

// differs says why a match may answer differently after conntrack than in
// the raw table, or "".
// mirrorKind names, as the iptables module the user wrote, a match kind
// differs refuses.
func mirrorKind(x ir.Match) string {
	switch x.(type) {
	case *ir.State:
		return "state"
	case *ir.Conntrack:
		return "conntrack"
	case *ir.ConnMark:
		return "connmark"
	case *ir.Helper:
		return "helper"
	case *ir.ConnBytes:
		return "connbytes"
	case *ir.ConnLabel:
		return "connlabel"
	case *ir.ConnLimit:
		return "connlimit"
	case *ir.Limit:
		return "limit"
	case *ir.Hashlimit:
		return "hashlimit"
	case *ir.Quota:
		return "quota"
	case *ir.Statistic:
		return "statistic"
	case *ir.Recent:
		return "recent"
	case *ir.Mark:
		return "mark"
	case *ir.TCPMSSMatch:
		return "tcpmss"
	}
	return fmt.Sprintf("%T", x)
}

func (m *ctMirror) differs(x ir.Match) string {
	switch x.(type) {
	case *ir.State, *ir.Conntrack, *ir.ConnMark, *ir.Helper, *ir.ConnBytes, *ir.ConnLabel, *ir.ConnLimit:
		return whyNoConn
	case *ir.Limit, *ir.Hashlimit, *ir.Quota, *ir.Statistic, *ir.Recent:
		return whyState
	case *ir.Mark:
		if m.marks {
			return "a raw rule sets the packet mark, and after conntrack the match would see the mark the whole raw table left, not the mark at this rule"
		}
	case *ir.TCPMSSMatch:
		if m.mssSet {
			return "a raw rule changes the TCP MSS, and after conntrack the match would see the changed value"
		}
	}
	return ""
}
