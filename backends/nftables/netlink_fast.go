package nftables

import (
	"github.com/google/nftables/expr"
)

// writeExpr writes the expressions every rule has (payload loads,
// comparisons, meta, counter, verdicts, bitwise, lookups, ranges,
// immediates) straight into the batch with the attributes
// google/nftables' encoders send: its Marshal builds each expression
// through several small allocations, which showed as a third of the time
// of a 100,000-rule apply. Other kinds go through expr.Marshal. false
// means not handled here.
func (m *msgBuf) writeExpr(x expr.Any) bool {
	switch x := x.(type) {
	case *expr.Payload:
		if x.SourceRegister != 0 || x.OperationType != 0 {
			return false
		}
		d := m.exprHead("payload")
		m.u32(1, x.DestRegister)
		m.u32(2, uint32(x.Base))
		m.u32(3, x.Offset)
		m.u32(4, x.Len)
		m.nestEnd(d)
	case *expr.Cmp:
		d := m.exprHead("cmp")
		m.u32(1, x.Register)
		m.u32(2, uint32(x.Op))
		m.data(3, x.Data)
		m.nestEnd(d)
	case *expr.Meta:
		d := m.exprHead("meta")
		m.u32(2, uint32(x.Key))
		if x.SourceRegister {
			m.u32(3, x.Register)
		} else {
			m.u32(1, x.Register)
		}
		m.nestEnd(d)
	case *expr.Counter:
		d := m.exprHead("counter")
		m.nestEnd(d)
	case *expr.Verdict:
		d := m.exprHead("immediate")
		m.u32(1, 0) // NFT_REG_VERDICT
		n := m.nest(2)
		v := m.nest(2) // NFTA_DATA_VERDICT
		m.u32(1, uint32(int32(x.Kind)))
		if x.Chain != "" {
			m.str(2, x.Chain)
		}
		m.nestEnd(v)
		m.nestEnd(n)
		m.nestEnd(d)
	case *expr.Bitwise:
		d := m.exprHead("bitwise")
		m.u32(1, x.SourceRegister)
		m.u32(2, x.DestRegister)
		m.u32(3, x.Len)
		m.data(4, x.Mask)
		m.data(5, x.Xor)
		m.nestEnd(d)
	case *expr.Lookup:
		d := m.exprHead("lookup")
		m.u32(2, x.SourceRegister)
		if x.Invert {
			m.u32(5, 1) // NFT_LOOKUP_F_INV
		}
		m.str(1, x.SetName)
		m.u32(4, x.SetID)
		m.nestEnd(d)
	case *expr.Range:
		d := m.exprHead("range")
		m.u32(1, x.Register)
		m.u32(2, uint32(x.Op))
		m.data(3, x.FromData)
		m.data(4, x.ToData)
		m.nestEnd(d)
	case *expr.Immediate:
		d := m.exprHead("immediate")
		m.u32(1, x.Register)
		m.data(2, x.Data)
		m.nestEnd(d)
	default:
		return false
	}
	return true
}

// exprHead writes NFTA_EXPR_NAME and opens NFTA_EXPR_DATA.
func (m *msgBuf) exprHead(name string) int {
	m.str(1, name)
	return m.nest(2)
}

// data writes a nested NFTA_DATA_VALUE.
func (m *msgBuf) data(typ uint16, v []byte) {
	n := m.nest(typ)
	m.attr(1, v)
	m.nestEnd(n)
}
