package nftables

import (
	"encoding/binary"
	"fmt"

	"github.com/google/nftables/expr"
	"github.com/ruleshift/ruleshift/backends/nftables/stmt"
	"golang.org/x/sys/unix"
)

// Comparisons on packet fields whose encoding differs from a plain load
// and compare (checked with nft --debug=netlink): header bit fields, fib
// lookups, ranges of host-order meta keys.

// pktCmp encodes c when its field is one of those; false leaves it to cmp.
func (e *encoder) pktCmp(c *stmt.Cmp) bool {
	switch f := c.Field.(type) {
	case *stmt.Bits:
		if c.Mask != nil || c.To != nil || c.Set != nil || c.Prefix || c.Op != expr.CmpOpEq || len(c.Value) != 1 {
			e.err = fmt.Errorf("%s: this form of comparison: %w", f.Text, errUnencodable)
			return true
		}
		if f.Proto != 0 {
			e.l4dep(f.Proto)
		}
		n := f.Bytes
		e.add(load(f.Base, f.Offset, n),
			&expr.Bitwise{SourceRegister: reg1, DestRegister: reg1, Len: n, Mask: f.Mask, Xor: make([]byte, n)},
			&expr.Cmp{Op: cmpOp(c.Neg), Register: reg1, Data: f.ShiftedValue(c.Value)})
		return true
	case *stmt.Exthdr:
		e.exthdrCmp(f, c)
		return true
	case *stmt.Socket:
		if c.Mask != nil || c.To != nil || c.Set != nil || c.Prefix || len(c.Value) != 1 {
			e.err = fmt.Errorf("%s: this form of comparison: %w", f.Text, errUnencodable)
			return true
		}
		op := c.Op
		if op == expr.CmpOpEq {
			op = cmpOp(c.Neg)
		}
		e.add(&expr.Socket{Key: f.Key, Register: reg1}, &expr.Cmp{Op: op, Register: reg1, Data: c.Value})
		return true
	case *stmt.Fib:
		if c.Mask != nil || c.To != nil || c.Prefix || c.Op != expr.CmpOpEq || (c.Set == nil && len(c.Value) != 4) {
			e.err = fmt.Errorf("%s: this form of comparison: %w", f.Text, errUnencodable)
			return true
		}
		x := &expr.Fib{Register: reg1,
			FlagSADDR: f.Flags&unix.NFTA_FIB_F_SADDR != 0, FlagDADDR: f.Flags&unix.NFTA_FIB_F_DADDR != 0,
			FlagMARK: f.Flags&unix.NFTA_FIB_F_MARK != 0, FlagIIF: f.Flags&unix.NFTA_FIB_F_IIF != 0,
			FlagOIF:   f.Flags&unix.NFTA_FIB_F_OIF != 0,
			ResultOIF: f.Result == unix.NFT_FIB_RESULT_OIF, ResultADDRTYPE: f.Result == unix.NFT_FIB_RESULT_ADDRTYPE}
		if c.Set != nil {
			e.fibSet(x, f, c)
			return true
		}
		e.add(x, &expr.Cmp{Op: cmpOp(c.Neg), Register: reg1, Data: c.Value})
		return true
	case *stmt.Meta:
		if f.Dt != stmt.HostInt || c.To == nil || len(c.Value) != 4 || len(c.To) != 4 {
			return false
		}
		// nft compares a range in network byte order: the key is swapped
		// first.
		be := func(v []byte) []byte { return binary.BigEndian.AppendUint32(nil, binary.NativeEndian.Uint32(v)) }
		e.rangeCmp(&expr.Meta{Key: f.Key, Register: reg1}, be(c.Value), be(c.To), c.Neg)
		// rangeCmp put the load first; the swap goes right after it.
		s := &e.stmts[len(e.stmts)-1]
		s.exprs = append([]any{s.exprs[0], &expr.Byteorder{SourceRegister: reg1, DestRegister: reg1, Op: expr.ByteorderHton, Len: 4, Size: 4}}, s.exprs[1:]...)
		return true
	}
	return false
}

// exthdrCmp compares an extension header or TCP option field: a bit field
// under its mask, a whole field as a value or a range.
func (e *encoder) exthdrCmp(f *stmt.Exthdr, c *stmt.Cmp) {
	n := f.Bytes
	ld := &expr.Exthdr{DestRegister: reg1, Type: f.Hdr, Offset: f.Offset, Len: n, Op: f.Op}
	switch {
	case c.Mask != nil && f.Mask == nil && c.To == nil && c.Set == nil && !c.Prefix && c.Op == expr.CmpOpEq &&
		uint32(len(c.Mask)) == n && uint32(len(c.Value)) == n:
		e.add(ld, &expr.Bitwise{SourceRegister: reg1, DestRegister: reg1, Len: n, Mask: c.Mask, Xor: make([]byte, n)},
			&expr.Cmp{Op: cmpOp(c.Neg), Register: reg1, Data: c.Value})
	case c.Mask != nil || c.Set != nil || c.Prefix || c.Op != expr.CmpOpEq || (f.Mask != nil && c.To != nil):
		e.err = fmt.Errorf("%s: this form of comparison: %w", f.Text, errUnencodable)
	case f.Mask != nil:
		e.add(ld, &expr.Bitwise{SourceRegister: reg1, DestRegister: reg1, Len: n, Mask: f.Mask, Xor: make([]byte, n)},
			&expr.Cmp{Op: cmpOp(c.Neg), Register: reg1, Data: stmt.Shifted(c.Value, f.Shift, n)})
	case uint32(len(c.Value)) != n || (c.To != nil && uint32(len(c.To)) != n):
		e.err = fmt.Errorf("%s: a value of %d bytes for a field of %d: %w", f.Text, len(c.Value), n, errUnencodable)
	case c.To != nil:
		e.rangeCmp(ld, c.Value, c.To, c.Neg)
	default:
		e.add(ld, &expr.Cmp{Op: cmpOp(c.Neg), Register: reg1, Data: c.Value})
	}
}

// present tests for a header or option: its presence flag compared with
// one or zero.
func (e *encoder) present(p *stmt.Present) {
	v := byte(1)
	if p.Missing {
		v = 0
	}
	e.add(&expr.Exthdr{DestRegister: reg1, Type: p.Hdr, Offset: 0, Len: 1, Flags: unix.NFT_EXTHDR_F_PRESENT, Op: p.Op},
		&expr.Cmp{Op: expr.CmpOpEq, Register: reg1, Data: []byte{v}})
}

// pktTarget encodes the statements of stmt/targets.go; false for others.
func (e *encoder) pktTarget(s stmt.Stmt) bool {
	switch s := s.(type) {
	case *stmt.PayloadSet:
		e.payloadSet(s)
	case *stmt.MSSSet:
		w := &expr.Exthdr{SourceRegister: reg1, Type: stmt.TCPOptMSS, Offset: 2, Len: 2, Op: expr.ExthdrOpTcpopt}
		if s.ClampPMTU {
			// The route's MSS is a host-order value nft turns to network
			// order.
			e.brk(&expr.Rt{Key: expr.RtTCPMSS, Register: reg1},
				&expr.Byteorder{SourceRegister: reg1, DestRegister: reg1, Op: expr.ByteorderHton, Len: 2, Size: 2}, w)
		} else {
			e.brk(&expr.Immediate{Register: reg1, Data: be16(s.MSS)}, w)
		}
	case *stmt.Priority:
		e.brk(&expr.Immediate{Register: reg1, Data: host32(uint32(s.Major)<<16 | uint32(s.Minor))},
			&expr.Meta{Key: expr.MetaKeyPRIORITY, SourceRegister: true, Register: reg1})
	case *stmt.Nftrace:
		e.brk(&expr.Immediate{Register: reg1, Data: []byte{1}},
			&expr.Meta{Key: expr.MetaKeyNFTRACE, SourceRegister: true, Register: reg1})
	case *stmt.Synproxy:
		x := &expr.SynProxy{Timestamp: s.Timestamp, SackPerm: s.SACKPerm}
		if s.MSS != nil {
			x.Mss, x.MssValueSet = *s.MSS, true
		}
		if s.WScale != nil {
			x.Wscale, x.WscaleValueSet = *s.WScale, true
		}
		e.brk(x)
	case *stmt.Dup:
		if s.Addr.Is6() != e.v6() {
			e.err = fmt.Errorf("dup to %s in an %s table: %w", s.Addr, e.fam, errUnencodable)
			return true
		}
		if s.Dev != "" {
			e.dupDev(s)
			return true
		}
		e.brk(&expr.Immediate{Register: reg1, Data: s.Addr.AsSlice()}, &expr.Dup{RegAddr: reg1})
	case *stmt.TProxy:
		e.tproxy(s)
	case *stmt.Netmap:
		e.netmap(s)
	case *stmt.Queue:
		e.brk(queue(s))
	default:
		return false
	}
	return true
}

// payloadSet writes a header field as nft 1.0.6 does: a whole-byte field
// without a checksum is written from an immediate; otherwise the bytes
// around it (an even span under the IPv4 checksum) are loaded, the field
// replaced by a bitwise, and written back.
func (e *encoder) payloadSet(s *stmt.PayloadSet) {
	start, end := s.BitOff/8, (s.BitOff+s.BitLen+7)/8
	if s.Csum {
		start &^= 1
		end = (end + 1) &^ 1
	}
	n := end - start
	if n > 4 {
		e.err = fmt.Errorf("%s set: a field of %d bytes: %w", s.Text, n, errUnencodable)
		return
	}
	wr := &expr.Payload{OperationType: expr.PayloadWrite, SourceRegister: reg1, Base: s.Base, Offset: start, Len: n}
	if s.Csum {
		wr.CsumType, wr.CsumOffset = expr.CsumTypeInet, 10
	}
	shift := n*8 - (s.BitOff - start*8) - s.BitLen
	field := (uint64(1)<<s.BitLen - 1) << shift
	val := uint64(s.Value) << shift
	if shift == 0 && n*8 == s.BitLen {
		e.brk(&expr.Immediate{Register: reg1, Data: beBytes(val, n)}, wr)
		return
	}
	e.brk(load(s.Base, start, n),
		&expr.Bitwise{SourceRegister: reg1, DestRegister: reg1, Len: n, Mask: beBytes(^field, n), Xor: beBytes(val, n)}, wr)
}

// beBytes is the low n bytes of v, big-endian.
func beBytes(v uint64, n uint32) []byte {
	b := make([]byte, n)
	for i := int(n) - 1; i >= 0; i-- {
		b[i] = byte(v)
		v >>= 8
	}
	return b
}

// NFTA_TPROXY_* (linux nf_tables.h).
const (
	nftaTproxyFamily  = 1
	nftaTproxyRegAddr = 2
	nftaTproxyRegPort = 3
)

// tproxy loads the address and the port into registers from 1 on; the
// expression is written by hand because google/nftables always sends a
// port register, which "tproxy to ADDR" has not.
func (e *encoder) tproxy(t *stmt.TProxy) {
	var m msgBuf
	m.u32(nftaTproxyFamily, uint32(nfproto(e.fam)))
	reg := uint32(reg1)
	var x []any
	if t.Addr.IsValid() {
		if t.Addr.Is6() != e.v6() {
			e.err = fmt.Errorf("tproxy to %s in an %s table: %w", t.Addr, e.fam, errUnencodable)
			return
		}
		x = append(x, &expr.Immediate{Register: reg, Data: t.Addr.AsSlice()})
		m.u32(nftaTproxyRegAddr, reg)
		reg++
	}
	if t.Port != 0 || !t.Addr.IsValid() {
		x = append(x, &expr.Immediate{Register: reg, Data: be16(t.Port)})
		m.u32(nftaTproxyRegPort, reg)
	}
	e.brk(append(x, &rawExpr{name: "tproxy", data: m.b})...)
}

// netmap loads the first and the last address of the network and maps
// onto them keeping the host bits (NF_NAT_RANGE_NETMAP).
func (e *encoder) netmap(n *stmt.Netmap) {
	p := n.Net.Masked()
	if p.Addr().Is6() != e.v6() || n.V6 != e.v6() {
		e.err = fmt.Errorf("netmap to %s in an %s table: %w", n.Net, e.fam, errUnencodable)
		return
	}
	first := p.Addr().AsSlice()
	last := append([]byte(nil), first...)
	for i := p.Bits(); i < len(last)*8; i++ {
		last[i/8] |= 0x80 >> (i % 8)
	}
	t := expr.NATTypeSourceNAT
	if n.DNAT {
		t = expr.NATTypeDestNAT
	}
	e.brk(&expr.Immediate{Register: reg1, Data: first}, &expr.Immediate{Register: reg1 + 1, Data: last},
		&expr.NAT{Type: t, Family: uint32(nfproto(e.fam)), RegAddrMin: reg1, RegAddrMax: reg1 + 1, Prefix: true})
}

// tcpBit tests one bit of the TCP flags against zero.
func (e *encoder) tcpBit(b *stmt.TCPBit) {
	e.l4dep(protoTCP)
	e.add(load(transport, 13, 1),
		&expr.Bitwise{SourceRegister: reg1, DestRegister: reg1, Len: 1, Mask: []byte{b.Bit}, Xor: []byte{0}},
		&expr.Cmp{Op: cmpOp(!b.Clear), Register: reg1, Data: []byte{0}})
}
