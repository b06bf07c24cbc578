package nftables

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/google/nftables/expr"
	"github.com/google/nftables/userdata"
	"github.com/ruleshift/ruleshift/backends/nftables/stmt"
	"github.com/ruleshift/ruleshift/translate/diag"
	"github.com/ruleshift/ruleshift/translate/ir"
	"golang.org/x/sys/unix"
)

// The CT mirror chains of a raw table (ctmirror.go) and the ct helper
// objects their rules assign, as nft 1.0.6 loads what Render writes: the
// mirror chains are created after the table's other chains (base chains
// at mirrorPrio with a comment, and user chains), each base chain starting
// with "ct status confirmed accept"; a ct helper object is a NEWOBJ of
// type NFT_OBJECT_CT_HELPER holding the helper's name, l3 and l4 protocol,
// and "ct helper set NAME" an objref expression.

const objCtHelper = 3 // NFT_OBJECT_CT_HELPER

// addMirrorChains writes the chains of the plan.
func (b *batch) addMirrorChains(t *nlTable, p *mirrorPlan) {
	for _, c := range p.order {
		name := p.names[c.Name]
		h := &b.head
		h.begin(msgNewChain, nlmFCreate, t.fam, origin{table: t.fam.String() + " " + t.name, chain: name})
		h.m.str(unix.NFTA_CHAIN_TABLE, t.name)
		h.m.str(unix.NFTA_CHAIN_NAME, name)
		if c.IsBase() {
			hk := c.Base
			n := h.m.nest(unix.NFTA_CHAIN_HOOK)
			h.m.u32(unix.NFTA_HOOK_HOOKNUM, uint32(hk.Hook))
			prio := int32(mirrorPrio)
			h.m.u32(unix.NFTA_HOOK_PRIORITY, uint32(prio))
			h.m.nestEnd(n)
			h.m.u32(unix.NFTA_CHAIN_POLICY, 1) // NF_ACCEPT
			h.m.str(unix.NFTA_CHAIN_TYPE, hk.Type.String())
		}
		comment := "CT helpers and events of raw chain " + sanitizeComment(c.Name) + " after conntrack"
		h.m.attr(nftaChainUserdata, userdata.AppendString(nil, 0, comment))
		h.m.end()
		b.place.handle++
	}
}

// compileMirrors renders and compiles the rules of the mirror chains,
// reporting render errors as renderCtMirrors does.
func (b *batch) compileMirrors(nt *nlTable, p *mirrorPlan, decls *Decls, diags *diag.List) {
	tbl := nt.fam.String() + " " + nt.name
	for _, c := range p.order {
		name := p.names[c.Name]
		b.place.newChain()
		n := 0
		if c.IsBase() {
			n++
			b.encode(nt, name, origin{table: tbl, chain: name, index: n}, &stmt.Rule{Stmts: []stmt.Stmt{&stmt.Flags{Field: stmt.CtStatus, Bits: stmt.FlagBit(stmt.CtStatusDt, "confirmed")}, &stmt.Verdict{Kind: expr.VerdictAccept}}}, decls, decls.Len(), c.Src)
		}
		ctx := RuleContext{Family: nt.fam, Table: p.m.t.Name, Chain: c.Name, Base: c.Base, ChainNames: p.names, NoCounter: true, Decls: decls}
		for i, r := range c.Rules {
			if !p.m.included(c, i) {
				continue
			}
			nDecls := decls.Len()
			if sr, ok := p.m.lowerRule(r, ctx, diags); ok {
				n++
				b.encode(nt, name, origin{table: tbl, chain: name, rule: r, index: n}, sr, decls, nDecls, r.Src)
			}
		}
		b.endChain()
	}
}

// encode compiles one rendered rule and its new declarations into the
// batch, or records why it cannot as the batch's first unencoded rule.
func (b *batch) encode(nt *nlTable, chain string, o origin, sr *stmt.Rule, decls *Decls, nDecls int, pos ir.Pos) {
	if b.first != nil {
		return
	}
	err := b.declare(nt, decls, nDecls, o)
	var nr *nlRule
	if err == nil {
		nr, err = encodeRule(sr, nt.fam)
	}
	if err == nil {
		err = b.meterClash(nr)
	}
	if err == nil {
		err = b.bindNamed(nr)
	}
	if err != nil {
		b.first = &unencoded{pos: pos, why: err.Error()}
		return
	}
	b.addRule(nt, chain, o, nr)
}

// declare writes the declarations made since the first n: ct helper
// objects and the sets of shared hashlimit names; any other needs nft -f.
func (b *batch) declare(nt *nlTable, decls *Decls, n int, o origin) error {
	for _, x := range decls.items[n:] {
		if d, ok := parseMeterSet(x.kind, x.body); ok {
			b.addNamedMeterSet(nt, x.name, d, o)
			continue
		}
		h, ok := parseCtHelper(x.kind, x.body)
		if !ok {
			return fmt.Errorf("it needs a named %s (%s %s %s): %w", x.kind, x.kind, x.name, x.body, errUnencodable)
		}
		w := &b.head
		w.begin(msgNewObj, nlmFCreate, nt.fam, o)
		w.m.str(unix.NFTA_OBJ_TABLE, nt.name)
		w.m.str(unix.NFTA_OBJ_NAME, x.name)
		w.m.u32(unix.NFTA_OBJ_TYPE, objCtHelper)
		d := w.m.nest(unix.NFTA_OBJ_DATA)
		w.m.str(unix.NFTA_CT_HELPER_NAME, h.typ)
		w.m.attr(unix.NFTA_CT_HELPER_L3PROTO, be16(h.l3))
		w.m.attr(unix.NFTA_CT_HELPER_L4PROTO, []byte{h.l4})
		w.m.nestEnd(d)
		w.m.end()
		b.place.handle++
	}
	return nil
}

// ctHelperDecl is a parsed "{ type "NAME" protocol P; l3proto F; }".
type ctHelperDecl struct {
	typ string
	l3  uint16
	l4  uint8
}

// parseCtHelper reads the body cthelper.go declares.
func parseCtHelper(kind, body string) (ctHelperDecl, bool) {
	var h ctHelperDecl
	if kind != "ct helper" {
		return h, false
	}
	f := strings.Fields(strings.NewReplacer(";", " ; ").Replace(body))
	if len(f) != 10 || f[0] != "{" || f[1] != "type" || f[3] != "protocol" || f[5] != ";" || f[6] != "l3proto" || f[8] != ";" || f[9] != "}" {
		return h, false
	}
	t := f[2]
	if len(t) < 3 || t[0] != '"' || t[len(t)-1] != '"' {
		return h, false
	}
	h.typ = t[1 : len(t)-1]
	l4 := map[string]uint8{"tcp": protoTCP, "udp": protoUDP}
	l3 := map[string]uint16{"ip": 2, "ip6": 10}
	var ok1, ok2 bool
	h.l4, ok1 = l4[f[4]]
	h.l3, ok2 = l3[f[7]]
	return h, ok1 && ok2
}

// ctHelperSet compiles what follows "ct helper": "set "NAME"".
func (e *encoder) ctHelperSet() {
	if e.next() != "set" {
		e.unencodable("ct helper form")
		return
	}
	name, ok := e.quoted()
	if ok {
		e.brk(&expr.Objref{Type: objCtHelper, Name: name})
	}
}

// ctZoneSet compiles what follows "ct zone": "set N", the zone (a host
// order 16-bit value) in reg 1 stored by a ct expression.
func (e *encoder) ctZoneSet() {
	if e.next() != "set" {
		e.unencodable("ct zone form")
		return
	}
	t := e.next()
	n, err := strconv.ParseUint(t, 10, 16)
	if err != nil {
		e.unencodable("ct zone %q", t)
		return
	}
	e.brk(&expr.Immediate{Register: reg1, Data: host16(uint16(n))},
		&expr.Ct{Key: expr.CtKeyZONE, Register: reg1, SourceRegister: true})
}
