package nftables

import (
	"fmt"
	"net/netip"

	"github.com/google/nftables/expr"
	"github.com/google/nftables/userdata"
	"github.com/ruleshift/ruleshift/backends/nftables/stmt"
	"github.com/ruleshift/ruleshift/translate/ir"
	"golang.org/x/sys/unix"
)

// encodeRule compiles a lowered rule into nf_tables expressions, each
// statement from its fields.
// fam is the family the rule was lowered for; shared says it is a rule
// of an inet table that both families meet.
func encodeRule(r *stmt.Rule, fam ir.Family, shared bool) (*nlRule, error) {
	e := &encoder{fam: fam, shared: shared}
	for i := 0; e.err == nil && i < len(r.Stmts); i++ {
		e.typed(r.Stmts[i])
	}
	if e.err != nil {
		return nil, e.err
	}
	if r.Comment != "" {
		e.udata = userdata.AppendString(nil, userdata.TypeComment, r.Comment)
	}
	return &nlRule{exprs: e.merge(), sets: e.sets, udata: e.udata, devs: e.devs}, nil
}

func (e *encoder) typed(s stmt.Stmt) {
	switch s := s.(type) {
	case *stmt.Counter:
		e.brk(&expr.Counter{})
	case *stmt.Verdict:
		e.brk(&expr.Verdict{Kind: s.Kind, Chain: s.Chain})
	case *stmt.Cmp:
		e.cmp(s)
	case *stmt.Flags:
		e.flags(s)
	case *stmt.NAT:
		e.typedNAT(s)
	case *stmt.Limit:
		l := s.Limit
		e.brk(&l)
	case *stmt.Log:
		l := s.Log
		e.brk(&l)
	case *stmt.Reject:
		e.typedReject(s)
	case *stmt.CtMatch, *stmt.CtLabelSet, *stmt.MarkSet, *stmt.Notrack, *stmt.CtZoneSet, *stmt.CtHelperSet, *stmt.CtEventSet:
		e.ctStmt(s)
	case *stmt.Quota, *stmt.Random, *stmt.Numgen, *stmt.Secpath, *stmt.SkID:
		e.statefulStmt(s)
	case *stmt.MetaTime, *stmt.MetaHour, *stmt.MetaDay:
		e.timeStmt(s)
	case *stmt.ConnCount:
		e.connCount(s)
	case *stmt.Meter:
		e.meterStmt(s)
	case *stmt.Present:
		e.present(s)
	case *stmt.Concat:
		e.concatLookup(s)
	case *stmt.VMap:
		e.verdictMap(s)
	case *stmt.NATMap:
		e.natMap(s)
	case *stmt.TCPBit:
		e.tcpBit(s)
	case *stmt.TrafficClass, *stmt.SocketCgroup, *stmt.SocketMarkRestore, *stmt.JHash, *stmt.PktTypeHost, *stmt.DCCPTypes, *stmt.TProxyMark:
		e.restStmt(s)
	default:
		if !e.pktTarget(s) {
			e.err = fmt.Errorf("internal error: no netlink encoding for %T", s)
		}
	}
}

// cmp encodes a comparison as nft 1.0.6 does: equalities of payload
// fields stay mergeable, a byte-aligned prefix is loaded short, another
// prefix or a mask goes through a bitwise, a range is two comparisons.
func (e *encoder) cmp(c *stmt.Cmp) {
	if e.valueLookup(c) || e.pktCmp(c) {
		return
	}
	f := c.Field
	// An interface name wildcard ("eth*") compares its prefix only.
	if n := uint32(len(c.Value)); c.Set == nil && n != f.Len() && (f.Type() != stmt.Ifname || n > f.Len()) {
		e.err = fmt.Errorf("%s: a value of %d bytes for a field of %d: %w", f.Name(), len(c.Value), f.Len(), errUnencodable)
		return
	}
	switch f := f.(type) {
	case *stmt.Meta:
		e.keyCmp(&expr.Meta{Key: f.Key, Register: reg1}, c)
		if f.Key == expr.MetaKeyL4PROTO && !c.Neg {
			e.l4 = c.Value[0]
		}
	case *stmt.Ct:
		e.keyCmp(&expr.Ct{Key: f.Key, Register: reg1}, c)
	case *stmt.Payload:
		if f.Proto != 0 {
			e.l4dep(f.Proto)
		}
		e.payload(f, c)
		if f == stmt.IPProtocol && !c.Neg {
			e.l4 = c.Value[0]
		}
	}
}

// keyCmp compares a meta or ct key: loaded, masked if asked, compared.
func (e *encoder) keyCmp(ld expr.Any, c *stmt.Cmp) {
	if c.Prefix || c.To != nil || c.Set != nil || c.Op != expr.CmpOpEq {
		e.err = fmt.Errorf("%s: this form of comparison: %w", c.Field.Name(), errUnencodable)
		return
	}
	if c.Mask == nil {
		e.add(ld, &expr.Cmp{Op: cmpOp(c.Neg), Register: reg1, Data: c.Value})
		return
	}
	n := uint32(len(c.Mask))
	e.add(ld, &expr.Bitwise{SourceRegister: reg1, DestRegister: reg1, Len: n, Mask: c.Mask, Xor: make([]byte, n)},
		&expr.Cmp{Op: cmpOp(c.Neg), Register: reg1, Data: c.Value})
}

func (e *encoder) payload(f *stmt.Payload, c *stmt.Cmp) {
	n := int(f.Bytes)
	if f.Base == expr.PayloadBaseLLHeader {
		e.linkLayer(f, c)
		return
	}
	switch {
	case c.Set != nil:
		e.lookup(f, c)
	case c.To != nil:
		if len(c.To) != n {
			e.err = fmt.Errorf("%s: a range end of %d bytes: %w", f.Text, len(c.To), errUnencodable)
			return
		}
		e.rangeCmp(load(f.Base, f.Offset, f.Bytes), c.Value, c.To, c.Neg)
	case c.Op != expr.CmpOpEq:
		// Ordered comparisons load the field alone; nft merges only
		// equalities.
		e.add(load(f.Base, f.Offset, f.Bytes), &expr.Cmp{Op: c.Op, Register: reg1, Data: c.Value})
	case c.Mask != nil:
		e.masked(f.Base, f.Offset, c.Mask, c.Value, c.Neg)
	case !c.Prefix || c.Bits == n*8:
		e.payCmp(f.Base, f.Offset, c.Value, c.Neg)
	case c.Bits%8 == 0 && c.Bits > 0:
		// nft loads only the prefix bytes, and does not merge them.
		b := uint32(c.Bits / 8)
		e.add(load(f.Base, f.Offset, b), &expr.Cmp{Op: cmpOp(c.Neg), Register: reg1, Data: c.Value[:b]})
	default:
		e.masked(f.Base, f.Offset, maskBytes(c.Bits, n), c.Value, c.Neg)
	}
}

// lookup encodes a lookup in an anonymous set of ports.
func (e *encoder) lookup(f *stmt.Payload, c *stmt.Cmp) {
	if c.Set.Name != "" && (f.Dt == stmt.InetService || f.Dt == stmt.IPv4Addr || f.Dt == stmt.IPv6Addr) {
		// A shared port set of the table (portsets.go) or a named
		// address set (namedsets.go), found by name.
		e.add(load(f.Base, f.Offset, f.Bytes), &expr.Lookup{SourceRegister: reg1, SetName: c.Set.Name, Invert: c.Neg})
		return
	}
	if c.Set.Name != "" || f.Dt != stmt.InetService || f.Proto == 0 {
		e.err = fmt.Errorf("%s: a lookup in this set: %w", f.Text, errUnencodable)
		return
	}
	rs := make([][2]uint64, len(c.Set.Elems))
	for i, el := range c.Set.Elems {
		to := el.To
		if to == nil {
			to = el.From
		}
		rs[i] = [2]uint64{beUint(el.From), beUint(to)}
	}
	set := portSet(rs, f.Proto, f.Offset)
	lk := &expr.Lookup{SourceRegister: reg1, SetName: "__set%d", Invert: c.Neg}
	set.lookup = lk
	e.sets = append(e.sets, set)
	e.add(load(f.Base, f.Offset, f.Bytes), lk)
}

// beUint reads a big-endian value.
func beUint(b []byte) uint64 {
	n := uint64(0)
	for _, x := range b {
		n = n<<8 | uint64(x)
	}
	return n
}

// typedReject encodes a reject; a plain reject sends the port unreachable
// of the table's family, and a code of the other family cannot be sent.
func (e *encoder) typedReject(r *stmt.Reject) {
	x := r.Reject
	switch {
	case e.shared && x.Type != unix.NFT_REJECT_TCP_RST && x.Code == stmt.RejectDefault(r.V6):
		// A plain reject that both families of an inet table meet, as
		// nft sends it: the port unreachable of the packet's family.
		// After "meta nfproto" nft sends the family's own code.
		x.Type, x.Code = unix.NFT_REJECT_ICMPX_UNREACH, unix.NFT_REJECT_ICMPX_PORT_UNREACH
	case x.Type == unix.NFT_REJECT_TCP_RST:
		e.l4dep(protoTCP)
	case x.Code == stmt.RejectDefault(r.V6):
		x.Code = stmt.RejectDefault(e.v6())
	case r.V6 != e.v6():
		e.err = fmt.Errorf("reject with an ICMP code of the other family: %w", errUnencodable)
		return
	}
	e.brk(&x)
}

// flags encodes a flag test as nft 1.0.6 does: the field and-ed with the
// bits, compared with zero.
func (e *encoder) flags(f *stmt.Flags) {
	c, ok := f.Field.(*stmt.Ct)
	if !ok {
		e.err = fmt.Errorf("%s: a flag test: %w", f.Field.Name(), errUnencodable)
		return
	}
	e.add(&expr.Ct{Key: c.Key, Register: reg1},
		&expr.Bitwise{SourceRegister: reg1, DestRegister: reg1, Len: 4, Mask: host32(f.Bits), Xor: host32(0)},
		&expr.Cmp{Op: cmpOp(!f.None), Register: reg1, Data: host32(0)})
}

// typedNAT loads the addresses and ports into registers from 1 on and
// sends the NAT expression that reads them, as nft does.
func (e *encoder) typedNAT(n *stmt.NAT) {
	var pmin, pmax uint32
	reg := uint32(reg1)
	var addrMin, addrMax uint32
	if n.MinAddr.IsValid() {
		for i, a := range []netip.Addr{n.MinAddr, n.MaxAddr} {
			if i == 1 && a == n.MinAddr {
				break
			}
			if a.Is6() != e.v6() {
				e.err = fmt.Errorf("nat to %s in an %s table: %w", a, e.fam, errUnencodable)
				return
			}
			e.brk(&expr.Immediate{Register: reg, Data: a.AsSlice()})
			if i == 0 {
				addrMin = reg
			} else {
				addrMax = reg
			}
			reg++
		}
	}
	if n.HasPorts {
		x := []any{&expr.Immediate{Register: reg, Data: be16(n.PortMin)}}
		pmin = reg
		if n.PortMax != n.PortMin {
			pmax = reg + 1
			x = append(x, &expr.Immediate{Register: pmax, Data: be16(n.PortMax)})
		}
		e.brk(x...)
	}
	switch n.Kind {
	case stmt.SNAT, stmt.DNAT:
		x := &expr.NAT{Type: expr.NATTypeSourceNAT, Family: uint32(nfproto(e.fam)),
			RegAddrMin: addrMin, RegAddrMax: addrMax, RegProtoMin: pmin, RegProtoMax: pmax, Specified: n.HasPorts,
			Random: n.Flags&stmt.NATRandom != 0, FullyRandom: n.Flags&stmt.NATFullyRandom != 0, Persistent: n.Flags&stmt.NATPersistent != 0}
		if n.Kind == stmt.DNAT {
			x.Type = expr.NATTypeDestNAT
		}
		e.brk(x)
		return
	}
	flags := n.Flags
	if n.HasPorts {
		flags |= natProtoSpecified
	}
	if n.Kind == stmt.Redirect {
		e.brk(&expr.Redir{RegisterProtoMin: pmin, RegisterProtoMax: pmax, Flags: flags})
		return
	}
	// google/nftables drops the flags of a masquerade with ports; nft
	// sends them, so this one is written by hand.
	var m msgBuf
	if flags != 0 {
		m.u32(unix.NFTA_MASQ_FLAGS, flags)
	}
	if pmin != 0 {
		m.u32(unix.NFTA_MASQ_REG_PROTO_MIN, pmin)
	}
	if pmax != 0 {
		m.u32(unix.NFTA_MASQ_REG_PROTO_MAX, pmax)
	}
	e.brk(&rawExpr{name: "masq", data: m.b})
}

// linkLayer encodes an equality on the link-layer header. nft puts a
// "meta iiftype ether" dependency before the first one of a rule, and
// does not merge them.
func (e *encoder) linkLayer(f *stmt.Payload, c *stmt.Cmp) {
	if c.Mask != nil || c.Prefix || c.To != nil || c.Set != nil || c.Op != expr.CmpOpEq {
		e.err = fmt.Errorf("%s: this form of comparison: %w", f.Text, errUnencodable)
		return
	}
	e.etherDep()
	e.add(load(f.Base, f.Offset, f.Bytes), &expr.Cmp{Op: cmpOp(c.Neg), Register: reg1, Data: c.Value})
}

// etherDep adds, once per rule, what nft 1.0.6 puts before a link layer
// field in an ip or ip6 table: "meta iiftype ether".
func (e *encoder) etherDep() {
	if !e.linkDep {
		e.add(&expr.Meta{Key: expr.MetaKeyIIFTYPE, Register: reg1}, &expr.Cmp{Op: expr.CmpOpEq, Register: reg1, Data: host16(arphrdEther)})
		e.linkDep = true
	}
}
