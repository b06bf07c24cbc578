package passes

import (
	"fmt"

	"github.com/ruleshift/ruleshift/translate/diag"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// The conntrack-helper mirror of a raw table.
//
// xt_CT attaches a conntrack template in the raw table (priority -300),
// and the entry conntrack makes from it at -200 inherits the template's
// helper and event mask. nftables has no such template: "ct helper set"
// and "ct event set" change the entry itself, so they work only after
// conntrack. For a backend on nftables, CtMirror therefore gives each raw
// base chain whose rules, or the user chains they reach, hold CT --helper
// or --ctevents a mirror: a base chain on the same hook at MirrorPriority,
// just after conntrack. It repeats the raw chain's control flow (the rules
// that decide whether a CT rule is reached, with the same matches, jumps,
// returns and verdicts) and, where the raw chain hits its first CT rule,
// assigns the helper or the event mask and accepts: xt_CT's first template
// wins, so nothing after it matters. Other statements (LOG, MARK, NOTRACK,
// zones) already ran in the raw chain and are left out. A packet the raw
// chain dropped never reaches the mirror.
//
// The mirror is exact only if every match it repeats gives the same answer
// at -199 as at -300. Conntrack matches do not (before conntrack there is
// no connection), nor do matches that keep state per rule (a second limit
// or quota is a second bucket), nor a mark match once a raw rule may have
// changed the mark: such a match on the path to a CT rule is refused.
//
// iptables backends must not run the pass: xt_CT does the job in the raw
// table itself.

// MirrorPriority is the mirror base chains' priority: after conntrack
// (-200) and before mangle (-150), so that mangle and later tables see
// the helper.
const MirrorPriority = -199

// mirrorSuffix ends a mirror chain's name.
const mirrorSuffix = "_ct"

// CtMirror returns t with the mirror chains of its raw base chains that
// reach a CT --helper or --ctevents rule appended after its own chains,
// or t itself when it needs none (it is not a raw table, or holds no such
// rule). The rest is shared with t, which is left alone.
//
// names maps t's chain names to the names the backend writes (nil: as
// they are); a mirror chain is named after its raw chain's written name
// with "_ct", avoiding every name of the table in either form, so that
// the backend can write the mirror chains' names as they are. Errors name
// the matches and targets on the path to a CT rule that the mirror cannot
// repeat exactly; their rules are left out of the mirror.
func CtMirror(t *ir.Table, names map[string]string) (*ir.Table, *diag.List) {
	diags := &diag.List{}
	if t.Name != "raw" {
		return t, diags
	}
	m := newMirror(t)
	order := m.plan()
	if len(order) == 0 {
		return t, diags
	}
	mn := mirrorNames(t, order, names)
	out := *t
	out.Chains = append(make([]*ir.Chain, 0, len(t.Chains)+len(order)), t.Chains...)
	for _, c := range order {
		out.Chains = append(out.Chains, m.chain(c, mn, diags))
	}
	return &out, diags
}

// CtAssigns reports whether t is a CT target that assigns a helper or an
// event mask, which nftables can do only after conntrack.
func CtAssigns(t ir.Target) (*ir.CtTarget, bool) {
	ct, ok := t.(*ir.CtTarget)
	if !ok || ct.NoTrack {
		return nil, false
	}
	return ct, ct.Helper != "" || ct.CtEvents != 0
}

// mirror is what CtMirror knows of one raw table.
type mirror struct {
	g *ChainGraph
	// effect holds the chains that hold or reach a CT rule that assigns;
	// ends those that hold or reach a rule that may end the raw table's
	// evaluation instead of returning.
	effect, ends map[string]bool
	// reached holds the chains the mirrored base chains reach.
	reached map[string]bool
	cont    map[string]int8 // memo of contAfter: 1 true, 2 false, 3 deciding
	marks   bool            // some reached rule sets the packet mark
	mssSet  bool            // some reached rule changes the TCP MSS
}

func newMirror(t *ir.Table) *mirror {
	g := Graph(t)
	return &mirror{
		g: g,
		effect: g.Holding(func(r *ir.Rule) bool {
			_, eff := CtAssigns(r.Target)
			return eff
		}),
		ends: g.Holding(func(r *ir.Rule) bool {
			f := ruleFlow(r.Target)
			return f == flowStop || f == flowDrop || f == flowBad
		}),
		reached: map[string]bool{},
		cont:    map[string]int8{},
	}
}

// plan returns the chains to mirror, in the order the mirror chains come:
// each base chain that leads to a CT rule, then, depth first, the chains
// its mirrored rules jump or go to.
func (m *mirror) plan() []*ir.Chain {
	var roots []*Node
	for _, n := range m.g.Nodes {
		if n.Chain.IsBase() && m.effect[n.Chain.Name] {
			roots = append(roots, n)
		}
	}
	// What the roots reach, and whether a rule there changes what a
	// repeated mark or tcpmss match would see.
	queue := append([]*Node(nil), roots...)
	for _, n := range roots {
		m.reached[n.Chain.Name] = true
	}
	for len(queue) > 0 {
		n := queue[0]
		queue = queue[1:]
		for _, r := range n.Chain.Rules {
			switch r.Target.(type) {
			case *ir.MarkTarget, *ir.ConnMarkTarget:
				m.marks = true
			case *ir.TCPMSS:
				m.mssSet = true
			}
		}
		for _, name := range n.Callees {
			if !m.reached[name] {
				m.reached[name] = true
				queue = append(queue, m.g.Node(name))
			}
		}
	}
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
			if d := jumpTo(r); d != "" && m.included(c, i) {
				if n := m.g.Node(d); n != nil {
					add(n.Chain)
				}
			}
		}
	}
	for _, n := range roots {
		add(n.Chain)
	}
	return order
}

// jumpTo is the chain a rule jumps or goes to, or "".
func jumpTo(r *ir.Rule) string {
	if j, ok := r.Target.(*ir.Jump); ok {
		return j.Chain
	}
	return ""
}

func (m *mirror) leadsToEffect(r *ir.Rule) bool {
	if _, eff := CtAssigns(r.Target); eff {
		return true
	}
	d := jumpTo(r)
	return d != "" && m.effect[d]
}

// effectAfter reports whether an effect can follow rule i of chain c: in
// a later rule of c, or after c returns.
func (m *mirror) effectAfter(c *ir.Chain, i int) bool {
	for _, r := range c.Rules[i+1:] {
		if m.leadsToEffect(r) {
			return true
		}
	}
	return m.contAfter(c)
}

// contAfter reports whether an effect can follow once chain c returns to
// the chain that jumped to it (a goto returns to that chain's caller).
// Only the jumps of reached chains count: the others are not mirrored.
func (m *mirror) contAfter(c *ir.Chain) bool {
	if c.IsBase() {
		return false
	}
	switch m.cont[c.Name] {
	case 1:
		return true
	case 2, 3:
		return false
	}
	m.cont[c.Name] = 3
	v := false
	if n := m.g.Node(c.Name); n != nil {
		for _, s := range n.Callers {
			if !m.reached[s.From] {
				continue
			}
			from := m.g.Node(s.From).Chain
			if s.Goto {
				v = m.contAfter(from)
			} else {
				v = m.effectAfter(from, s.Rule)
			}
			if v {
				break
			}
		}
	}
	m.cont[c.Name] = 2
	if v {
		m.cont[c.Name] = 1
	}
	return v
}

// flow is what a rule does to the control flow of the mirror.
type flow uint8

const (
	flowNone flow = iota // no effect on which rule runs next
	flowStop             // the raw table is done with the packet
	flowDrop             // the packet never reaches the mirror
	flowMove             // a return, jump or goto
	flowBad              // a target the mirror does not know
)

func ruleFlow(t ir.Target) flow {
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
func (m *mirror) included(c *ir.Chain, i int) bool {
	r := c.Rules[i]
	if ruleFlow(r.Target) == flowNone {
		return false
	}
	if m.leadsToEffect(r) {
		return true
	}
	// A jump to a chain that always returns changes nothing.
	if j, ok := r.Target.(*ir.Jump); ok && !j.Goto && !m.ends[j.Chain] {
		return false
	}
	return m.effectAfter(c, i)
}

// mirrorNames names each mirrored chain after its written name with
// mirrorSuffix, avoiding every name the table already uses.
func mirrorNames(t *ir.Table, order []*ir.Chain, names map[string]string) map[string]string {
	used := map[string]bool{}
	for _, c := range t.Chains {
		used[c.Name] = true
	}
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

// chain builds the mirror of chain c. A mirror base chain first accepts
// packets of confirmed connections: xt_CT's template applies only when
// conntrack creates the entry, and "ct event set" would also change an
// existing one.
func (m *mirror) chain(c *ir.Chain, mn map[string]string, diags *diag.List) *ir.Chain {
	out := &ir.Chain{Name: mn[c.Name], MirrorOf: c.Name, Src: c.Src}
	if c.IsBase() {
		out.Base = &ir.BaseChain{Type: ir.TypeFilter, Hook: c.Base.Hook, Priority: MirrorPriority, Policy: ir.PolicyAccept}
		out.Rules = append(out.Rules, &ir.Rule{
			Matches: []ir.Match{&ir.Conntrack{Status: ir.CtConfirmed, StatusSet: true}},
			Target:  &ir.Verdict{Kind: ir.Accept},
			Src:     c.Src,
		})
	}
	for i, r := range c.Rules {
		if !m.included(c, i) {
			continue
		}
		if nr := m.rule(r, mn, diags); nr != nil {
			out.Rules = append(out.Rules, nr)
		}
	}
	return out
}

// rule is rule r in the mirror: its matches but comments, and its flow;
// nil after an error.
func (m *mirror) rule(r *ir.Rule, mn map[string]string, diags *diag.List) *ir.Rule {
	for _, x := range r.Matches {
		if why := m.differs(x); why != "" {
			// Not the unsupported class: leaving one rule out of the
			// mirror alone would change which packets get the helper.
			diags.Errorf(ir.PosOf(x, r), "-m %s on the path to a CT --helper or --ctevents rule cannot be translated to nftables: %s", mirrorKind(x), why)
			return nil
		}
	}
	out := &ir.Rule{Src: r.Src}
	for _, x := range r.Matches {
		if _, ok := x.(*ir.Comment); !ok {
			out.Matches = append(out.Matches, x)
		}
	}
	switch ruleFlow(r.Target) {
	case flowStop:
		// The backend assigns the helper or events and accepts.
		out.Target = r.Target
		if _, eff := CtAssigns(r.Target); !eff {
			out.Target = &ir.Verdict{Kind: ir.Accept}
		}
	case flowDrop:
		out.Target = &ir.Verdict{Kind: ir.Drop}
	case flowMove:
		out.Target = r.Target
		if j, ok := r.Target.(*ir.Jump); ok {
			if n, ok := mn[j.Chain]; ok {
				j2 := *j
				j2.Chain = n
				out.Target = &j2
			}
		}
	default:
		diags.Errorf(r.Src, "target %s on the path to a CT --helper or --ctevents rule cannot be translated to nftables: ruleshift does not know how it ends the raw table's evaluation", r.Target.Name())
		return nil
	}
	return out
}

const (
	whyNoConn = "iptables' raw table evaluates it before conntrack (priority -300), where the packet has no connection, and nft can assign helpers and events only after conntrack (-199), where it has one"
	whyState  = "it keeps state per rule (a token bucket, a quota, a counter or a random draw), so evaluating it again after conntrack can give another answer"
)

// differs says why a match may answer differently after conntrack than in
// the raw table, or "".
func (m *mirror) differs(x ir.Match) string {
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
