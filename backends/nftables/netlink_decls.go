package nftables

import (
	"fmt"

	"github.com/ruleshift/ruleshift/backends/nftables/stmt"
	"github.com/ruleshift/ruleshift/translate/ir"
	"golang.org/x/sys/unix"
)

// Rules and the declarations they make, in the batch: a ct helper object
// is a NEWOBJ of type NFT_OBJECT_CT_HELPER holding the helper's name, l3
// and l4 protocol ("ct helper set NAME" is an objref expression); a set of
// shared hashlimit names is a named set (netlink_meter.go).

const objCtHelper = 3 // NFT_OBJECT_CT_HELPER

// encode compiles one rendered rule and its new declarations into the
// batch, or records why it cannot as the batch's first unencoded rule.
func (b *batch) encode(nt *nlTable, fam ir.Family, shared bool, chain string, o origin, sr *stmt.Rule, decls *Decls, nDecls int, pos ir.Pos) {
	if b.first != nil {
		return
	}
	err := b.declare(nt, decls, nDecls, o)
	var nr *nlRule
	if err == nil {
		nr, err = encodeRule(sr, fam, shared)
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
