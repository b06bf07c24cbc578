package nftables

import (
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
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
		m.u32(unix.NFTA_PAYLOAD_DREG, x.DestRegister)
		m.u32(unix.NFTA_PAYLOAD_BASE, uint32(x.Base))
		m.u32(unix.NFTA_PAYLOAD_OFFSET, x.Offset)
		m.u32(unix.NFTA_PAYLOAD_LEN, x.Len)
		m.nestEnd(d)
	case *expr.Cmp:
		d := m.exprHead("cmp")
		m.u32(unix.NFTA_CMP_SREG, x.Register)
		m.u32(unix.NFTA_CMP_OP, uint32(x.Op))
		m.data(unix.NFTA_CMP_DATA, x.Data)
		m.nestEnd(d)
	case *expr.Meta:
		d := m.exprHead("meta")
		m.u32(unix.NFTA_META_KEY, uint32(x.Key))
		if x.SourceRegister {
			m.u32(unix.NFTA_META_SREG, x.Register)
		} else {
			m.u32(unix.NFTA_META_DREG, x.Register)
		}
		m.nestEnd(d)
	case *expr.Counter:
		d := m.exprHead("counter")
		m.nestEnd(d)
	case *expr.Verdict:
		d := m.exprHead("immediate")
		m.u32(unix.NFTA_IMMEDIATE_DREG, 0) // NFT_REG_VERDICT
		n := m.nest(unix.NFTA_IMMEDIATE_DATA)
		v := m.nest(unix.NFTA_DATA_VERDICT)
		m.u32(unix.NFTA_VERDICT_CODE, uint32(int32(x.Kind)))
		if x.Chain != "" {
			m.str(unix.NFTA_VERDICT_CHAIN, x.Chain)
		}
		m.nestEnd(v)
		m.nestEnd(n)
		m.nestEnd(d)
	case *expr.Bitwise:
		d := m.exprHead("bitwise")
		m.u32(unix.NFTA_BITWISE_SREG, x.SourceRegister)
		m.u32(unix.NFTA_BITWISE_DREG, x.DestRegister)
		m.u32(unix.NFTA_BITWISE_LEN, x.Len)
		m.data(unix.NFTA_BITWISE_MASK, x.Mask)
		m.data(unix.NFTA_BITWISE_XOR, x.Xor)
		m.nestEnd(d)
	case *expr.Lookup:
		d := m.exprHead("lookup")
		m.u32(unix.NFTA_LOOKUP_SREG, x.SourceRegister)
		if x.Invert {
			m.u32(unix.NFTA_LOOKUP_FLAGS, 1) // NFT_LOOKUP_F_INV
		}
		m.str(unix.NFTA_LOOKUP_SET, x.SetName)
		if x.IsDestRegSet {
			// A verdict map's result, into the verdict register.
			m.u32(unix.NFTA_LOOKUP_DREG, x.DestRegister)
		}
		if x.SetID != 0 {
			// A named set of the table is found by its name.
			m.u32(unix.NFTA_LOOKUP_SET_ID, x.SetID)
		}
		m.nestEnd(d)
	case *expr.Range:
		d := m.exprHead("range")
		m.u32(unix.NFTA_RANGE_SREG, x.Register)
		m.u32(unix.NFTA_RANGE_OP, uint32(x.Op))
		m.data(unix.NFTA_RANGE_FROM_DATA, x.FromData)
		m.data(unix.NFTA_RANGE_TO_DATA, x.ToData)
		m.nestEnd(d)
	case *expr.Immediate:
		d := m.exprHead("immediate")
		m.u32(unix.NFTA_IMMEDIATE_DREG, x.Register)
		m.data(unix.NFTA_IMMEDIATE_DATA, x.Data)
		m.nestEnd(d)
	default:
		return false
	}
	return true
}

// exprHead writes NFTA_EXPR_NAME and opens NFTA_EXPR_DATA.
func (m *msgBuf) exprHead(name string) int {
	m.str(unix.NFTA_EXPR_NAME, name)
	return m.nest(unix.NFTA_EXPR_DATA)
}

// data writes a nested NFTA_DATA_VALUE.
func (m *msgBuf) data(typ uint16, v []byte) {
	n := m.nest(typ)
	m.attr(unix.NFTA_DATA_VALUE, v)
	m.nestEnd(n)
}
