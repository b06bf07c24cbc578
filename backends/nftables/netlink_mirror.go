package nftables

import (
	"fmt"

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
		if !declEncodable(x) {
			return fmt.Errorf("it needs a named %s (%s): %w", x.Kind(), stmt.AppendDeclBody([]byte(x.Kind()+" "+x.DeclName()+" "), x), errUnencodable)
		}
		h, ok := x.(*stmt.CtHelperObj)
		if !ok {
			b.addNamedMeterSet(nt, x.(*stmt.SetDecl), o)
			continue
		}
		l3 := uint16(unix.NFPROTO_IPV4)
		if h.V6 {
			l3 = unix.NFPROTO_IPV6
		}
		w := &b.head
		w.begin(msgNewObj, nlmFCreate, nt.fam, o)
		w.m.str(unix.NFTA_OBJ_TABLE, nt.name)
		w.m.str(unix.NFTA_OBJ_NAME, h.Name)
		w.m.u32(unix.NFTA_OBJ_TYPE, objCtHelper)
		d := w.m.nest(unix.NFTA_OBJ_DATA)
		w.m.str(unix.NFTA_CT_HELPER_NAME, h.Helper)
		w.m.attr(unix.NFTA_CT_HELPER_L3PROTO, be16(l3))
		w.m.attr(unix.NFTA_CT_HELPER_L4PROTO, []byte{h.L4})
		w.m.nestEnd(d)
		w.m.end()
		b.place.handle++
	}
	return nil
}

// declEncodable reports whether declare writes d: a ct helper object, or
// a set of addresses and ports (a shared hashlimit name's, connlimit's).
func declEncodable(d stmt.Decl) bool {
	switch d := d.(type) {
	case *stmt.CtHelperObj:
		return d.L4 == protoTCP || d.L4 == protoUDP
	case *stmt.SetDecl:
		for _, k := range d.Keys {
			if _, ok := setKeyTypes[k]; !ok {
				return false
			}
		}
		return len(d.Keys) > 0
	}
	return false
}
