package nftables

import (
	"fmt"

	"github.com/google/nftables/expr"
	"github.com/ruleshift/ruleshift/backends/nftables/stmt"
)

// Netlink encoding of the conntrack and mark statements (stmt/ct.go).

func (e *encoder) ctStmt(s stmt.Stmt) {
	switch s := s.(type) {
	case *stmt.MarkSet:
		e.markSetStmt(s)
	case *stmt.CtMatch, *stmt.CtLabelSet:
		// Not sent over netlink yet: the rule goes through nft -f.
		e.err = fmt.Errorf("%s: %w", stmt.AppendRule(nil, &stmt.Rule{Stmts: []stmt.Stmt{s}}), errUnencodable)
	}
}

// markSetStmt loads the source, folds its steps into one bitwise (mask,
// then xor) as nft does, and stores the result.
func (e *encoder) markSetStmt(m *stmt.MarkSet) {
	if m.Shift != 0 {
		e.err = fmt.Errorf("a shifted mark: %w", errUnencodable)
		return
	}
	var store expr.Any = &expr.Meta{Key: expr.MetaKeyMARK, SourceRegister: true, Register: reg1}
	if m.Ct {
		store = &expr.Ct{Key: expr.CtKeyMARK, SourceRegister: true, Register: reg1}
	}
	var src expr.Any
	switch m.Src {
	case stmt.MarkImm:
		if len(m.Ops) == 0 {
			e.brk(&expr.Immediate{Register: reg1, Data: host32(m.Value)}, store)
			return
		}
		e.err = fmt.Errorf("a constant mark with operations: %w", errUnencodable)
		return
	case stmt.MarkMeta:
		src = &expr.Meta{Key: expr.MetaKeyMARK, Register: reg1}
	case stmt.MarkCt:
		src = &expr.Ct{Key: expr.CtKeyMARK, Register: reg1}
	}
	mask, xor := ^uint32(0), uint32(0)
	for _, o := range m.Ops {
		switch o.Op {
		case '&':
			mask, xor = mask&o.V, xor&o.V
		case '|':
			mask, xor = mask&^o.V, xor|o.V
		default:
			xor ^= o.V
		}
	}
	x := []any{src}
	if mask != ^uint32(0) || xor != 0 {
		x = append(x, &expr.Bitwise{SourceRegister: reg1, DestRegister: reg1, Len: 4, Mask: host32(mask), Xor: host32(xor)})
	}
	e.brk(append(x, store)...)
}
