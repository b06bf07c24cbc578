package nftables

import (
	"fmt"

	"github.com/google/nftables/expr"
	"github.com/google/nftables/userdata"
	"github.com/ruleshift/ruleshift/backends/nftables/stmt"
	"golang.org/x/sys/unix"
)

// Meters, as nft 1.0.6 compiles "meter NAME { KEY [and MASK] [timeout Ns]
// limit rate [over] N/UNIT burst B packets }": a set of that name created
// with the rule (flags anonymous and eval, the key's type and length, its
// byte order as user data, no description and no elements), the key
// loaded (and masked) into reg 1, and a dynset expression that adds the
// key to the set with a limit expression attached. With a timeout the set
// has the timeout flag and the dynset updates the key with that timeout.

const (
	typeIPAddr  = 7
	typeIP6Addr = 8
	setEval     = 0x20 // NFT_SET_EVAL
	setTimeout  = 0x10 // NFT_SET_TIMEOUT
)

// dynsetExpr is "dynset add reg_key 1 set NAME expr [ … ]"; the set's id
// is known only when the batch is written.
type dynsetExpr struct {
	set *anonSet
	// named: the set is declared in the table (a shared hashlimit
	// name), not created with the rule.
	named   bool
	timeout uint64 // in ms; with a timeout nft updates instead of adding
	inner   expr.Any
}

// writeDynset writes the attributes of a dynset expression in the order
// nft sends them.
func (m *msgBuf) writeDynset(fam byte, x *dynsetExpr) {
	m.str(unix.NFTA_EXPR_NAME, "dynset")
	d := m.nest(unix.NFTA_EXPR_DATA)
	m.u32(unix.NFTA_DYNSET_SREG_KEY, reg1)
	if x.timeout == 0 {
		m.u32(unix.NFTA_DYNSET_OP, 0) // NFTA_DYNSET_OP: add
	} else {
		m.u32(unix.NFTA_DYNSET_OP, 1) // update
		m.u64(unix.NFTA_DYNSET_TIMEOUT, x.timeout)
	}
	m.str(unix.NFTA_DYNSET_SET_NAME, x.set.name)
	m.u32(unix.NFTA_DYNSET_SET_ID, x.set.lookup.SetID)
	in := m.nest(unix.NFTA_DYNSET_EXPR)
	if !m.writeExpr(x.inner) {
		data, err := expr.Marshal(fam, x.inner)
		if err != nil {
			panic(fmt.Sprintf("internal error: marshal %T: %v", x.inner, err))
		}
		m.raw(data)
	}
	m.nestEnd(in)
	m.nestEnd(d)
}

// addMeterSet writes the set of a meter: no description, no elements.
func (b *batch) addMeterSet(t *nlTable, s *anonSet, o origin) {
	h := &b.head
	h.begin(msgNewSet, nlmFCreate, t.fam, o)
	h.m.str(unix.NFTA_SET_TABLE, t.name)
	h.m.str(unix.NFTA_SET_NAME, s.name)
	h.m.u32(unix.NFTA_SET_FLAGS, s.flags)
	h.m.u32(unix.NFTA_SET_KEY_TYPE, s.keyType)
	h.m.u32(unix.NFTA_SET_KEY_LEN, s.keyLen)
	h.m.u32(unix.NFTA_SET_ID, s.lookup.SetID)
	h.m.attr(unix.NFTA_SET_USERDATA, s.udata)
	h.m.end()
}

// setKeyTypes are the nft datatype numbers of set keys.
var setKeyTypes = map[stmt.Datatype]uint32{stmt.IPv4Addr: typeIPAddr, stmt.IPv6Addr: typeIP6Addr, stmt.InetService: typeInetService}

// addNamedMeterSet writes a declared set (a shared hashlimit name's,
// connlimit's) as nft 1.0.6 sends "set NAME { type T1[ . T2…]; [size N;]
// flags dynamic…; }": no elements, the size if given, a single field's
// byte order, or for a concatenation no byte order and an empty typeof.
func (b *batch) addNamedMeterSet(t *nlTable, d *stmt.SetDecl, o origin) {
	name := d.Name
	if _, ok := b.named[name]; ok {
		return // predeclare wrote it
	}
	flags := uint32(setEval)
	if d.Timeout {
		flags |= setTimeout
	}
	keyType := uint32(0)
	for _, k := range d.Keys {
		keyType = keyType<<6 | setKeyTypes[k]
	}
	b.setID++
	b.named[name] = b.setID
	h := &b.head
	h.begin(msgNewSet, nlmFCreate, t.fam, o)
	h.m.str(unix.NFTA_SET_TABLE, t.name)
	h.m.str(unix.NFTA_SET_NAME, name)
	h.m.u32(unix.NFTA_SET_FLAGS, flags)
	h.m.u32(unix.NFTA_SET_KEY_TYPE, keyType)
	h.m.u32(unix.NFTA_SET_KEY_LEN, d.KeyLen())
	h.m.u32(unix.NFTA_SET_ID, b.setID)
	if d.Size != 0 {
		desc := h.m.nest(unix.NFTA_SET_DESC)
		h.m.u32(unix.NFTA_SET_DESC_SIZE, d.Size)
		h.m.nestEnd(desc)
	}
	udata := userdata.AppendUint32(nil, udataSetKeyByteorder, byteorderBig)
	if len(d.Keys) > 1 {
		typeof := userdata.Append(userdata.AppendUint32(nil, 0, exprConcat), 1, nil)
		udata = userdata.Append(userdata.AppendUint32(nil, udataSetKeyByteorder, 0), udataSetKeyTypeof, typeof)
	}
	h.m.attr(unix.NFTA_SET_USERDATA, udata)
	h.m.end()
	b.place.handle++
}

// bindNamed gives the dynset expressions of r that update a declared set
// that set's id.
func (b *batch) bindNamed(r *nlRule) error {
	for _, x := range r.exprs {
		if d, ok := x.(*dynsetExpr); ok && d.named {
			id, ok := b.named[d.set.name]
			if !ok {
				return fmt.Errorf("set %s is not declared: %w", d.set.name, errUnencodable)
			}
			d.set.lookup.SetID = id
		}
	}
	return nil
}

// meterClash names a meter of r that an earlier rule of the table
// already created, which nft would refuse.
func (b *batch) meterClash(r *nlRule) error {
	for _, s := range r.sets {
		if s.name == "" {
			continue
		}
		if b.meters[s.name] {
			return fmt.Errorf("meter %s in two rules: %w", s.name, errUnencodable)
		}
		b.meters[s.name] = true
	}
	return nil
}
