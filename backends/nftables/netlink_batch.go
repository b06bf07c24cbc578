package nftables

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/google/nftables/expr"
	"github.com/google/nftables/userdata"
	"github.com/ruleshift/ruleshift/translate/diag"
	"github.com/ruleshift/ruleshift/translate/ir"
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
	if f == ir.IPv6 {
		return 10 // NFPROTO_IPV6
	}
	return 2 // NFPROTO_IPV4
}

// compile renders and compiles every table of the families straight into
// the batch: a rule's expressions are garbage as soon as its message is
// written, which keeps a 100,000-rule apply small. Render problems come
// back as diagnostics; a rule the encoder does not cover comes back as its
// position and the reason, so that the caller can fall back to nft -f.
func (b *batch) compile(rs *ir.Ruleset, fams []ir.Family, noCounters bool) (*diag.List, *unencoded) {
	diags := &diag.List{}
	var first *unencoded
	var buf []byte
	// About 350 bytes per rule: growing the buffer by doubling from
	// nothing copied it a dozen times.
	b.m.b = make([]byte, 0, 4096+350*rs.RuleCount())
	for _, f := range fams {
		for _, t := range rs.Tables {
			if t.Family != f {
				continue
			}
			nt := &nlTable{fam: f, name: TableName(t.Name), src: t}
			b.tables = append(b.tables, nt)
			names := ChainNames(t, diags)
			b.addTable(nt)
			for _, c := range t.Chains {
				b.addChain(nt, c, names[c.Name])
			}
			decls := &Decls{}
			for _, c := range t.Chains {
				ctx := RuleContext{Family: f, Table: t.Name, Chain: c.Name, ChainNames: names, NoCounter: noCounters, Decls: decls}
				for i, r := range c.Rules {
					nd, nDecls := len(diags.Items), decls.Len()
					buf = appendRule(buf[:0], r, ctx, diags)
					if diags.HasErrorsSince(nd) || first != nil {
						continue
					}
					if decls.Len() > nDecls {
						first = &unencoded{pos: r.Src, why: "it needs a named set (" + strings.Join(decls.Lines()[nDecls:], "; ") + ")"}
						continue
					}
					nr, err := compileRule(string(buf), f)
					if err != nil {
						first = &unencoded{pos: r.Src, why: err.Error()}
						continue
					}
					b.addRule(nt, names[c.Name], origin{table: f.String() + " " + nt.name, chain: names[c.Name], rule: r, index: i + 1}, nr)
				}
			}
		}
	}
	return diags, first
}

// unencoded names the first rule the netlink encoder cannot load.
type unencoded struct {
	pos ir.Pos
	why string
}

// hookNums and prioNames turn render.go's hook table into numbers.
var hookNums = map[string]uint32{"prerouting": 0, "input": 1, "forward": 2, "output": 3, "postrouting": 4}

var prioNames = map[string]int32{"raw": -300, "mangle": -150, "dstnat": -100, "filter": 0, "security": 50, "srcnat": 100}

func hookPrio(s string) int32 {
	if p, ok := prioNames[s]; ok {
		return p
	}
	n, _ := strconv.Atoi(s)
	return int32(n)
}

// batch writes the messages of one transaction and the origin of each:
// the deletions of the old tables, then the new tables.
type batch struct {
	dels, m       msgBuf
	delO, origins []origin
	tables        []*nlTable
	setID         uint32
	// tableSets numbers the anonymous sets of the table being written.
	tableSets int
}

func (b *batch) begin(msg uint16, flags uint16, fam ir.Family, o origin) {
	b.m.begin(nfnlSubsysNftables<<8|msg, nlmFRequest|flags, nfproto(fam), 0)
	b.origins = append(b.origins, o)
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
	b.begin(msgNewTable, nlmFCreate, t.fam, origin{table: t.fam.String() + " " + t.name})
	b.m.str(1, t.name)
	b.m.u32(2, 0) // NFTA_TABLE_FLAGS
	b.m.end()
	b.tableSets = 0
}

func (b *batch) addChain(t *nlTable, c *ir.Chain, name string) {
	b.begin(msgNewChain, nlmFCreate, t.fam, origin{table: t.fam.String() + " " + t.name, chain: name})
	b.m.str(1, t.name) // NFTA_CHAIN_TABLE
	b.m.str(3, name)   // NFTA_CHAIN_NAME
	if c.Builtin {
		h := hooks[t.src.Name][c.Name]
		n := b.m.nest(4) // NFTA_CHAIN_HOOK
		b.m.u32(1, hookNums[h.hook])
		b.m.u32(2, uint32(hookPrio(h.prio)))
		b.m.nestEnd(n)
		pol := uint32(1) // NF_ACCEPT
		if c.Policy == ir.PolicyDrop {
			pol = 0
		}
		b.m.u32(5, pol) // NFTA_CHAIN_POLICY
		b.m.str(7, h.typ)
	}
	if name != c.Name {
		comment := "iptables chain " + sanitizeComment(c.Name)
		b.m.attr(12, userdata.AppendString(nil, 0, comment)) // NFTA_CHAIN_USERDATA
	}
	b.m.end()
}

func (b *batch) addRule(t *nlTable, chain string, o origin, r *nlRule) {
	fam := byte(nfproto(t.fam))
	for _, s := range r.sets {
		b.setID++
		s.lookup.SetID = b.setID
		// nft names anonymous sets "__set%d" and lets the kernel number
		// them, but the kernel then finds each set by scanning the whole
		// transaction for its id, which is quadratic. Naming them
		// __set0, __set1, … in order gives the same names directly.
		s.lookup.SetName = fmt.Sprintf("__set%d", b.tableSets)
		b.tableSets++
		b.addSet(t, s, o)
	}
	b.begin(msgNewRule, nlmFCreate|nlmFAppend, t.fam, o)
	b.m.str(1, t.name)
	b.m.str(2, chain)
	list := b.m.nest(4) // NFTA_RULE_EXPRESSIONS
	for _, x := range r.exprs {
		el := b.m.nest(1) // NFTA_LIST_ELEM
		switch x := x.(type) {
		case *rawExpr:
			b.m.str(1, x.name) // NFTA_EXPR_NAME
			d := b.m.nest(2)   // NFTA_EXPR_DATA
			b.m.raw(x.data)
			b.m.nestEnd(d)
		case expr.Any:
			if b.m.writeExpr(x) {
				break
			}
			data, err := expr.Marshal(fam, x)
			if err != nil {
				// Only malformed expressions fail; the encoder builds none.
				panic(fmt.Sprintf("internal error: marshal %T: %v", x, err))
			}
			b.m.raw(data)
		}
		b.m.nestEnd(el)
	}
	b.m.nestEnd(list)
	if r.udata != nil {
		b.m.attr(7, r.udata) // NFTA_RULE_USERDATA
	}
	b.m.end()
}

func (b *batch) addSet(t *nlTable, s *anonSet, o origin) {
	b.begin(msgNewSet, nlmFCreate, t.fam, o)
	b.m.str(1, t.name)
	b.m.str(2, s.lookup.SetName)
	b.m.u32(3, s.flags)
	b.m.u32(4, s.keyType)
	b.m.u32(5, s.keyLen)
	b.m.u32(10, b.setID) // NFTA_SET_ID
	d := b.m.nest(9)     // NFTA_SET_DESC
	b.m.u32(1, uint32(len(s.elems)))
	b.m.nestEnd(d)
	b.m.attr(13, s.udata)
	b.m.end()

	b.begin(msgNewSetElem, nlmFCreate, t.fam, o)
	b.m.str(1, t.name)
	b.m.str(2, s.lookup.SetName)
	b.m.u32(4, b.setID) // NFTA_SET_ELEM_LIST_SET_ID
	list := b.m.nest(3)
	for _, el := range s.elems {
		n := b.m.nest(1)
		if el.flags != 0 {
			b.m.u32(3, el.flags) // NFTA_SET_ELEM_FLAGS
		}
		k := b.m.nest(1) // NFTA_SET_ELEM_KEY
		b.m.attr(1, el.key)
		b.m.nestEnd(k)
		if el.udata != nil {
			b.m.attr(6, el.udata)
		}
		b.m.nestEnd(n)
	}
	b.m.nestEnd(list)
	b.m.end()
}
