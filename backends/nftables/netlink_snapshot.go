package nftables

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"

	"github.com/ruleshift/ruleshift/translate/ir"
	"golang.org/x/sys/unix"
)

// A Snapshot is ruleshift's tables of some families as the kernel holds
// them, saved as the netlink messages that create them again: the tables,
// chains, stateful objects, sets with their elements and rules, dumped and
// stripped of what only the kernel sets (handles, use counts, ids). It
// needs no nft binary and restores exactly what was loaded, whichever way
// it was loaded, counters included.
type Snapshot struct {
	Families []ir.Family
	msgs     msgBuf
	tables   []string
}

// Tables lists the saved tables ("ip ruleshift_filter").
func (s *Snapshot) Tables() []string { return s.tables }

// TakeSnapshot saves ruleshift's tables of the families.
func TakeSnapshot(netns string, fams []ir.Family) (*Snapshot, error) {
	c, err := dial(netns)
	if err != nil {
		return nil, err
	}
	defer c.close()
	own, err := ownTables(c, fams)
	if err != nil {
		return nil, err
	}
	s := &Snapshot{Families: fams}
	for _, t := range own {
		if err := s.saveTable(c, t); err != nil {
			return nil, fmt.Errorf("save table %s %s: %w", t.fam, t.name, err)
		}
		s.tables = append(s.tables, t.fam.String()+" "+t.name)
	}
	return s, nil
}

// Attributes kept when a dumped object is created again, per message type.
var keepAttrs = map[uint16]map[uint16]bool{
	msgNewTable: {1: true, 2: true, 6: true},                             // name, flags, userdata
	msgNewChain: {1: true, 3: true, 4: true, 5: true, 7: true, 12: true}, // table, name, hook, policy, type, userdata
	msgNewObj:   {1: true, 2: true, 3: true, 4: true, 8: true},           // table, name, type, data, userdata
	msgNewRule:  {1: true, 2: true, 4: true, 5: true, 7: true},           // table, chain, expressions, compat, userdata
	msgNewSet: {1: true, 2: true, 3: true, 4: true, 5: true, 6: true, 7: true, // …, data type and length
		8: true, 9: true, 11: true, 12: true, 13: true, 15: true, 17: true, 18: true},
}

func (s *Snapshot) saveTable(c *conn, t tableRef) error {
	fam := nfproto(t.fam)
	byTable := func(m *msgBuf) { m.str(1, t.name) }
	tabs, err := c.dump(msgGetTable, fam, nil)
	if err != nil {
		return err
	}
	for _, m := range tabs {
		if attrStr(parseAttrs(m.data[nfgenLen:]), 1) == t.name {
			s.add(msgNewTable, nlmFCreate, m)
		}
	}
	steps := []struct {
		get, add uint16
		flags    uint16
	}{{msgGetChain, msgNewChain, nlmFCreate}, {msgGetObj, msgNewObj, nlmFCreate}, {msgGetSet, msgNewSet, nlmFCreate}}
	var sets []string
	for _, st := range steps {
		msgs, err := c.dump(st.get, fam, byTable)
		if err != nil {
			return err
		}
		for _, m := range msgs {
			as := parseAttrs(m.data[nfgenLen:])
			if attrStr(as, 1) != t.name {
				continue
			}
			s.add(st.add, st.flags, m)
			if st.add == msgNewSet {
				sets = append(sets, attrStr(as, 2))
			}
		}
	}
	for _, set := range sets {
		msgs, err := c.dump(msgGetSetElem, fam, func(m *msgBuf) { m.str(1, t.name); m.str(2, set) })
		if err != nil {
			return err
		}
		for _, m := range msgs {
			s.addElems(m)
		}
	}
	rules, err := c.dump(msgGetRule, fam, byTable)
	if err != nil {
		return err
	}
	for _, m := range rules {
		if attrStr(parseAttrs(m.data[nfgenLen:]), 1) == t.name {
			s.add(msgNewRule, nlmFCreate|nlmFAppend, m)
		}
	}
	return nil
}

// add appends a dumped object as a creating message with the kept
// attributes.
func (s *Snapshot) add(msg uint16, flags uint16, m rawMsg) {
	s.msgs.begin(nfnlSubsysNftables<<8|msg, nlmFRequest|flags, m.data[0], 0)
	forEachAttr(m.data[nfgenLen:], func(typ uint16, raw []byte) {
		switch {
		case msg == msgNewRule && typ == 4:
			s.addExprs(raw)
		case keepAttrs[msg][typ]:
			s.msgs.raw(raw)
		}
	})
	if msg == msgNewSet {
		// The kernel wants a transaction id on every new set.
		s.msgs.u32(10, uint32(len(s.msgs.starts)))
	}
	s.msgs.end()
}

// addElems appends set elements without their remaining lifetime
// (NFTA_SET_ELEM_EXPIRATION), which the kernel sets.
func (s *Snapshot) addElems(m rawMsg) {
	s.msgs.begin(nfnlSubsysNftables<<8|msgNewSetElem, nlmFRequest|nlmFCreate, m.data[0], 0)
	forEachAttr(m.data[nfgenLen:], func(typ uint16, raw []byte) {
		if typ != 3 { // NFTA_SET_ELEM_LIST_ELEMENTS
			s.msgs.raw(raw)
			return
		}
		list := s.msgs.nest(3)
		forEachAttr(raw[4:], func(_ uint16, el []byte) {
			n := s.msgs.nest(1)
			forEachAttr(el[4:], func(t uint16, a []byte) {
				if t != 5 {
					s.msgs.raw(a)
				}
			})
			s.msgs.nestEnd(n)
		})
		s.msgs.nestEnd(list)
	})
	s.msgs.end()
}

// forEachAttr calls f with each attribute's type and its raw bytes,
// header and padding included.
func forEachAttr(b []byte, f func(typ uint16, raw []byte)) {
	for len(b) >= 4 {
		l := int(binary.NativeEndian.Uint16(b[0:2]))
		if l < 4 || l > len(b) {
			return
		}
		end := min(align4(l), len(b))
		f(binary.NativeEndian.Uint16(b[2:4])&0x3fff, b[:end])
		b = b[end:]
	}
}

// Restore puts the saved tables back in one transaction: ruleshift's
// tables of the snapshot's families are deleted, whatever they hold now,
// and the saved ones created.
func (s *Snapshot) Restore(netns string) error {
	c, err := dial(netns)
	if err != nil {
		return err
	}
	defer c.close()
	for attempt := 0; ; attempt++ {
		gen, err := c.genID()
		if err != nil {
			return err
		}
		now, err := ownTables(c, s.Families)
		if err != nil {
			return err
		}
		b := &batch{}
		b.setDeletes(now)
		errs, err := c.sendBatch(gen, &b.dels, &s.msgs)
		if err != nil {
			return err
		}
		if len(errs) > 0 && errs[0].Errno == unix.ERESTART && attempt < 5 {
			continue
		}
		if len(errs) > 0 {
			typ := uint16(0)
			i := errs[0].Index - b.dels.count()
			names := ""
			if i >= 0 {
				typ = binary.NativeEndian.Uint16(s.msgs.b[s.msgs.starts[i]+4:]) & 0xff
				names = exprNames(s.msgs, i)
			}
			return fmt.Errorf("the kernel refused the saved ruleset (message %d, type %d%s): %w", i, typ, names, errs[0])
		}
		return nil
	}
}

const snapshotMagic = "ruleshift-nft-snapshot-1\n"

// MarshalBinary writes the snapshot for a file.
func (s *Snapshot) MarshalBinary() ([]byte, error) {
	var b bytes.Buffer
	b.WriteString(snapshotMagic)
	b.WriteByte(byte(len(s.Families)))
	for _, f := range s.Families {
		b.WriteByte(byte(f))
	}
	b.WriteByte(byte(len(s.tables)))
	for _, t := range s.tables {
		b.WriteByte(byte(len(t)))
		b.WriteString(t)
	}
	b.Write(s.msgs.b)
	return b.Bytes(), nil
}

// UnmarshalBinary reads what MarshalBinary wrote.
func (s *Snapshot) UnmarshalBinary(data []byte) error {
	bad := errors.New("not a ruleshift nftables snapshot")
	if !bytes.HasPrefix(data, []byte(snapshotMagic)) {
		return bad
	}
	p := data[len(snapshotMagic):]
	take := func(n int) []byte {
		if n > len(p) {
			return nil
		}
		out := p[:n]
		p = p[n:]
		return out
	}
	hdr := take(1)
	if hdr == nil {
		return bad
	}
	s.Families = nil
	for _, f := range take(int(hdr[0])) {
		s.Families = append(s.Families, ir.Family(f))
	}
	n := take(1)
	if n == nil {
		return bad
	}
	s.tables = nil
	for i := 0; i < int(n[0]); i++ {
		l := take(1)
		if l == nil {
			return bad
		}
		s.tables = append(s.tables, string(take(int(l[0]))))
	}
	s.msgs = msgBuf{b: append([]byte(nil), p...)}
	for off := 0; off+nlmsgHdrLen <= len(s.msgs.b); {
		s.msgs.starts = append(s.msgs.starts, off)
		l := int(binary.NativeEndian.Uint32(s.msgs.b[off:]))
		if l < nlmsgHdrLen {
			return bad
		}
		off += align4(l)
	}
	return nil
}

// exprNames lists the expressions of a rule message, for error messages.
func exprNames(m msgBuf, i int) string {
	if i < 0 {
		return ""
	}
	start := m.starts[i]
	l := int(binary.NativeEndian.Uint32(m.b[start:]))
	var names []string
	forEachAttr(m.b[start+nlmsgHdrLen+nfgenLen:start+l], func(typ uint16, raw []byte) {
		if typ != 4 {
			return
		}
		forEachAttr(raw[4:], func(_ uint16, el []byte) {
			names = append(names, attrStr(parseAttrs(el[4:]), 1))
		})
	})
	if len(names) == 0 {
		return ""
	}
	return ", expressions " + strings.Join(names, " ")
}

// addExprs copies a rule's expressions, fixing the one kind whose dump the
// kernel does not take back: an exthdr that writes (SREG) is dumped with
// NFTA_EXTHDR_FLAGS, which the kernel refuses on a write.
func (s *Snapshot) addExprs(raw []byte) {
	list := s.msgs.nest(4)
	forEachAttr(raw[4:], func(_ uint16, el []byte) {
		drop := exprDrops[attrStr(parseAttrs(el[4:]), 1)]
		if drop == nil {
			s.msgs.raw(el)
			return
		}
		n := s.msgs.nest(1)
		forEachAttr(el[4:], func(t uint16, a []byte) {
			if t != 2 { // NFTA_EXPR_DATA
				s.msgs.raw(a)
				return
			}
			d := s.msgs.nest(2)
			skip := drop(a[4:])
			forEachAttr(a[4:], func(k uint16, x []byte) {
				if !skip[k] {
					s.msgs.raw(x)
				}
			})
			s.msgs.nestEnd(d)
		})
		s.msgs.nestEnd(n)
	})
	s.msgs.nestEnd(list)
}

// exprDrops names, per expression, the dumped attributes the kernel
// reports but refuses when the expression is created again.
var exprDrops = map[string]func(data []byte) map[uint16]bool{
	// exthdr: a write (NFTA_EXTHDR_SREG, 7) is dumped with a
	// destination register (NFTA_EXTHDR_DREG, 5) that must not be sent.
	"exthdr": func(data []byte) map[uint16]bool {
		write := false
		forEachAttr(data, func(k uint16, _ []byte) { write = write || k == 7 })
		return map[uint16]bool{5: write}
	},
	// dynset: NFTA_DYNSET_TIMEOUT (6) is dumped as 0 when none was given,
	// and nft_dynset_init refuses any timeout (EOPNOTSUPP) on a set
	// without NFT_SET_TIMEOUT, such as a meter.
	"dynset": func(data []byte) map[uint16]bool {
		zero := false
		forEachAttr(data, func(k uint16, x []byte) {
			if k == 6 && len(x) >= 12 && binary.BigEndian.Uint64(x[4:12]) == 0 {
				zero = true
			}
		})
		return map[uint16]bool{6: zero}
	},
}
