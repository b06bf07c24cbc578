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

// The batch: ruleshift's tables of the replaced families are deleted and the
// new ones added, in one nf_tables transaction.

// nlTable is one table of the batch.
type nlTable struct {
	fam  ir.Family
	name string // nft name, ruleshift_<table>
	src  *ir.Table
}

// origin is what a batch message stands for, to name it in an error.
type origin struct {
	table string // "ip ruleshift_filter"
	chain string
	rule  *ir.Rule
	index int // 1-based rule number in its chain
}

// nfproto is the nfgenmsg family of an ir family.
func nfproto(f ir.Family) uint8 {
	switch f {
	case ir.IPv6:
		return 10 // NFPROTO_IPV6
	case ir.Inet:
		return 1 // NFPROTO_INET
	}
	return 2 // NFPROTO_IPV4
}

// compile renders and compiles every table of the families straight into
// the batch: a rule's expressions are garbage as soon as its message is
// written, which keeps a 100,000-rule apply small. Render problems come
// back as diagnostics; a rule the encoder cannot write (a bug: the
// lowering refuses what it cannot print) comes back as its position and
// the reason, which Apply reports as an internal error.
func (b *batch) compile(rs *ir.Ruleset, fams []ir.Family, noCounters bool) (*diag.List, *unencoded) {
	diags := &diag.List{}
	// About 350 bytes per rule: growing the buffer by doubling from
	// nothing copied it a dozen times.
	b.tail.m.b = make([]byte, 0, 4096+350*rs.RuleCount())
	meters := planMeters(rs)
	for _, f := range fams {
		for _, t := range rs.Tables {
			if t.Family == f {
				b.compileTable(t, f, noCounters, meters, diags)
			}
		}
	}
	return diags, b.first
}

// compileTable writes a table, its chains (the CT mirror chains of a raw
// table after the others, as Render writes them) and its rules.
func (b *batch) compileTable(t *ir.Table, f ir.Family, noCounters bool, meters *meterPlan, diags *diag.List) {
	nt := &nlTable{fam: f, name: TableName(t.Name), src: t}
	b.tables = append(b.tables, nt)
	names := ChainNames(t, diags)
	mt, names, mirrorDiags := withCtMirror(t, names)
	b.addTable(nt)
	for _, c := range mt.Chains {
		b.addChain(nt, lowerChain(c, names[c.Name]))
	}
	decls := &Decls{}
	meters.declare(decls, t)
	tbl := f.String() + " " + nt.name
	if err := b.declare(nt, decls, 0, origin{table: tbl}); err != nil && b.first == nil {
		b.first = &unencoded{pos: t.Src, why: err.Error()}
	}
	ports := planPortSets(t)
	b.predeclare(nt, t, RuleContext{Family: f, Table: t.Name, ChainNames: names, NoCounter: noCounters, meters: meters, ports: ports, sets: t.Sets}, decls, origin{table: tbl})
	b.addPortSets(nt, ports, origin{table: tbl})
	b.addNamedSets(nt, t.Sets, origin{table: tbl})
	ctx := RuleContext{Family: f, Table: t.Name, ChainNames: names, NoCounter: noCounters, Decls: decls, meters: meters, ports: ports, sets: t.Sets, scratch: &stmt.Rule{}}
	for _, c := range mt.Chains {
		b.place.newChain()
		cctx := ctx.forChain(c)
		// A mirror rule that does not render is left out quietly, as
		// Render does: its problems are the raw rule's.
		cdiags := diags
		if c.MirrorOf != "" {
			cdiags = &diag.List{}
		}
		for i, r := range c.Rules {
			if b.done++; b.progress != nil && b.done%progressEvery == 0 {
				b.progress("apply: rules compiled", b.done, b.total)
			}
			nd, nDecls := len(cdiags.Items), decls.Len()
			sr := lowerRule(r, cctx, cdiags)
			if cdiags.HasErrorsSince(nd) {
				continue
			}
			fam, shared := f, false
			if f == ir.Inet {
				fam, shared = ruleFamily(r), !guarded(r)
			}
			b.encode(nt, fam, shared, names[c.Name], origin{table: tbl, chain: names[c.Name], rule: r, index: i + 1}, sr, decls, nDecls, r.Src)
		}
		b.endChain()
	}
	diags.Add(mirrorDiags)
}

// unencoded names the first rule the netlink encoder cannot load.
type unencoded struct {
	pos ir.Pos
	why string
}

// batch writes the messages of one transaction and the origin of each:
// the deletions of the old tables, then the new tables in two streams (see
// netlink_order.go): head holds the tables, the chains and the rules that
// use anonymous sets with their sets, tail every other rule.
type batch struct {
	dels       msgBuf
	delO       []origin
	head, tail stream
	// laterFrom is the index in tail of the first rule without sets of
	// the chain being written: those rules go to tail as they come, and
	// are reordered there when the chain ends if a set-using rule came
	// after the first of them.
	laterFrom int
	tables    []*nlTable
	setID     uint32
	// tableSets numbers the anonymous sets of the table being written.
	tableSets int
	// tableMaps numbers its anonymous verdict maps.
	tableMaps int
	// meters are the meter names of the table being written, named the
	// ids of its declared sets of shared hashlimit names.
	meters map[string]bool
	named  map[string]uint32
	place  placement
	// first is the first rule the encoder cannot load.
	first *unencoded
	// ifindex looks a device's index up in the namespace loaded into;
	// devErr is the first rule whose device it does not find.
	ifindex func(name string) (uint32, error)
	devErr  error
	// progress hears every progressEvery rules compiled, of total.
	progress    func(stage string, done, total int)
	done, total int
}

// progressEvery is how often compile reports; a report costs a closure
// call, so per rule would show in the 100,000-rule benchmark.
const progressEvery = 2048

// stream is a run of batch messages and what each stands for.
type stream struct {
	m msgBuf
	o []origin
}

func (s *stream) begin(msg uint16, flags uint16, fam ir.Family, o origin) {
	s.m.begin(nfnlSubsysNftables<<8|msg, nlmFRequest|flags, nfproto(fam), 0)
	s.o = append(s.o, o)
}

// setDeletes replaces the deletions of old tables.
func (b *batch) setDeletes(old []tableRef) {
	b.dels, b.delO = msgBuf{}, nil
	for _, t := range old {
		b.dels.begin(nfnlSubsysNftables<<8|msgDelTable, nlmFRequest, nfproto(t.fam), 0)
		b.dels.str(1, t.name) // NFTA_TABLE_NAME
		b.dels.end()
		b.delO = append(b.delO, origin{table: t.fam.String() + " " + t.name})
	}
}

func (b *batch) addTable(t *nlTable) {
	h := &b.head
	h.begin(msgNewTable, nlmFCreate, t.fam, origin{table: t.fam.String() + " " + t.name})
	h.m.str(unix.NFTA_TABLE_NAME, t.name)
	h.m.u32(unix.NFTA_TABLE_FLAGS, 0)
	h.m.end()
	b.tableSets, b.tableMaps, b.meters, b.named = 0, 0, map[string]bool{}, map[string]uint32{}
	b.place.newTable()
}

func (b *batch) addChain(t *nlTable, c *stmt.Chain) {
	h := &b.head
	h.begin(msgNewChain, nlmFCreate, t.fam, origin{table: t.fam.String() + " " + t.name, chain: c.Name})
	h.m.str(unix.NFTA_CHAIN_TABLE, t.name)
	h.m.str(unix.NFTA_CHAIN_NAME, c.Name)
	if hk := c.Base; hk != nil {
		n := h.m.nest(unix.NFTA_CHAIN_HOOK)
		h.m.u32(unix.NFTA_HOOK_HOOKNUM, uint32(hk.Hook))
		h.m.u32(unix.NFTA_HOOK_PRIORITY, uint32(int32(hk.Priority)))
		h.m.nestEnd(n)
		pol := uint32(1) // NF_ACCEPT
		if hk.Policy == ir.PolicyDrop {
			pol = 0
		}
		h.m.u32(unix.NFTA_CHAIN_POLICY, pol)
		h.m.str(unix.NFTA_CHAIN_TYPE, hk.Type.String())
	}
	if c.Comment != "" {
		h.m.attr(nftaChainUserdata, userdata.AppendString(nil, 0, c.Comment))
	}
	h.m.end()
	b.place.handle++
}

// writeRule writes the table, chain, expressions and userdata of a rule
// whose message is open in m.
func writeRule(m *msgBuf, t *nlTable, chain string, r *nlRule) {
	fam := byte(nfproto(t.fam))
	m.str(unix.NFTA_RULE_TABLE, t.name)
	m.str(unix.NFTA_RULE_CHAIN, chain)
	list := m.nest(unix.NFTA_RULE_EXPRESSIONS)
	for _, x := range r.exprs {
		el := m.nest(unix.NFTA_LIST_ELEM)
		switch x := x.(type) {
		case *dynsetExpr:
			m.writeDynset(fam, x)
		case *rawExpr:
			m.str(unix.NFTA_EXPR_NAME, x.name)
			d := m.nest(unix.NFTA_EXPR_DATA)
			m.raw(x.data)
			m.nestEnd(d)
		case expr.Any:
			if m.writeExpr(x) {
				break
			}
			data, err := expr.Marshal(fam, x)
			if err != nil {
				// Only malformed expressions fail; the encoder builds none.
				panic(fmt.Sprintf("internal error: marshal %T: %v", x, err))
			}
			m.raw(data)
		}
		m.nestEnd(el)
	}
	m.nestEnd(list)
	if r.udata != nil {
		m.attr(unix.NFTA_RULE_USERDATA, r.udata)
	}
}

func (b *batch) addSet(t *nlTable, s *anonSet, o origin) {
	h := &b.head
	h.begin(msgNewSet, nlmFCreate, t.fam, o)
	h.m.str(unix.NFTA_SET_TABLE, t.name)
	h.m.str(unix.NFTA_SET_NAME, s.lookup.SetName)
	h.m.u32(unix.NFTA_SET_FLAGS, s.flags)
	h.m.u32(unix.NFTA_SET_KEY_TYPE, s.keyType)
	h.m.u32(unix.NFTA_SET_KEY_LEN, s.keyLen)
	if s.isMap {
		h.m.u32(unix.NFTA_SET_DATA_TYPE, nftDataVerdict)
	}
	if s.dataLen != 0 {
		h.m.u32(unix.NFTA_SET_DATA_TYPE, s.dataType)
		h.m.u32(unix.NFTA_SET_DATA_LEN, s.dataLen)
	}
	h.m.u32(unix.NFTA_SET_ID, b.setID)
	// nft gives an anonymous set its size; a named set declared without
	// "size" has none.
	if s.flags&setAnonymous != 0 {
		d := h.m.nest(unix.NFTA_SET_DESC)
		h.m.u32(unix.NFTA_SET_DESC_SIZE, uint32(len(s.elems)))
		if s.fieldLens != nil {
			c := h.m.nest(nftaSetDescConcat)
			for _, l := range s.fieldLens {
				f := h.m.nest(unix.NFTA_LIST_ELEM)
				h.m.u32(nftaSetFieldLen, l)
				h.m.nestEnd(f)
			}
			h.m.nestEnd(c)
		}
		h.m.nestEnd(d)
	}
	h.m.attr(unix.NFTA_SET_USERDATA, s.udata)
	h.m.end()
	if len(s.elems) == 0 {
		return // nft sends no element list for an empty set
	}

	h.begin(msgNewSetElem, nlmFCreate, t.fam, o)
	h.m.str(unix.NFTA_SET_ELEM_LIST_TABLE, t.name)
	h.m.str(unix.NFTA_SET_ELEM_LIST_SET, s.lookup.SetName)
	h.m.u32(unix.NFTA_SET_ELEM_LIST_SET_ID, b.setID)
	h.m.setElems(s.elems)
	h.m.end()
}

// setElems writes the element list of a NEWSETELEM message.
func (m *msgBuf) setElems(elems []setElem) {
	list := m.nest(unix.NFTA_SET_ELEM_LIST_ELEMENTS)
	for _, el := range elems {
		n := m.nest(unix.NFTA_LIST_ELEM)
		if el.flags != 0 {
			m.u32(unix.NFTA_SET_ELEM_FLAGS, el.flags)
		}
		k := m.nest(unix.NFTA_SET_ELEM_KEY)
		m.attr(unix.NFTA_DATA_VALUE, el.key)
		m.nestEnd(k)
		if el.keyEnd != nil {
			k := m.nest(nftaSetElemKeyEnd)
			m.attr(unix.NFTA_DATA_VALUE, el.keyEnd)
			m.nestEnd(k)
		}
		if el.hasData {
			m.appendVerdictData(el.verdict, el.chain)
		}
		if el.data != nil {
			d := m.nest(unix.NFTA_SET_ELEM_DATA)
			m.attr(unix.NFTA_DATA_VALUE, el.data)
			m.nestEnd(d)
		}
		if el.udata != nil {
			m.attr(unix.NFTA_SET_ELEM_USERDATA, el.udata)
		}
		m.nestEnd(n)
	}
	m.nestEnd(list)
}
