package nftables

import (
	"encoding/binary"
	"fmt"

	"golang.org/x/sys/unix"
)

// Rule order in the batch. The kernel binds an anonymous set to the rule
// that looks it up (nf_tables_bind_set → nft_set_trans_bind →
// __nft_set_trans_bind, net/netfilter/nf_tables_api.c), and that walks the
// whole pending transaction (commit_list, list_for_each_entry_reverse,
// without a break) once per bind. Sent in chain order, a ruleset with a
// multiport rule every few rules binds each set after all the rules before
// it: quadratic, 20-30 s for 100,000 rules of which 12,500 use sets.
//
// So the batch is written in two streams. head: every table and chain,
// then, chain by chain in chain order, each rule that uses an anonymous
// set, preceded by its set and elements and appended to its chain; their
// binds walk only what head holds before them. tail: every other rule,
// placed relative to the set-using rule before it in the chain ("after
// s_k": NLM_F_APPEND with a position), or, before the chain's first
// set-using rule, inserted at the chain's head (no NLM_F_APPEND, no
// position); a chain without set-using rules is appended in order as
// before. So that each placement is cheap, a chain's tail rules are sent
// last rule first: the kernel finds the rule named by NFTA_RULE_POSITION
// by walking the chain from its start (__nft_rule_lookup), and sent
// backwards, the rules before s_k are only the set-using ones. The final
// order of every chain is the source order; what differs from nft -f is
// only the handles, which number the objects in the order they were
// created.
//
// The neighbour is named by its handle, not by NFTA_RULE_POSITION_ID:
// nft_rule_lookup_byid walks the transaction from its start to the rule
// with that id, which is as quadratic as the binds (measured: see
// bench/apply.sh). The handles are known in advance because each table is
// created in this batch, after its old version is deleted, and the kernel
// numbers a table's chains, sets and rules from 1 in the order they are
// created (nf_tables_alloc_handle: ++table->hgen).

// positionByID names neighbours by NFTA_RULE_POSITION_ID instead of by
// handle; kept to measure the difference.
var positionByID = false

// placement tracks, in the table and chain being written, what the kernel
// will number and which rule the chain's next tail rules follow.
type placement struct {
	handle uint64 // the last handle the kernel gives in the table
	ruleID uint32 // NFTA_RULE_ID of the last set-using rule
	// anchor is the handle of the chain's last set-using rule so far, 0
	// before the first; anchorID its NFTA_RULE_ID.
	anchor   uint64
	anchorID uint32
	// lead counts the chain's tail rules before its first set-using rule.
	lead int
}

func (p *placement) newTable() { p.handle = 0 }

func (p *placement) newChain() { p.anchor, p.anchorID, p.lead = 0, 0, 0 }

// addRule writes a rule: with its sets to head if it uses any, otherwise
// to later, the chain's pending tail rules.
func (b *batch) addRule(t *nlTable, chain string, o origin, r *nlRule) {
	if err := b.resolveDevs(r); err != nil {
		b.refuse(o, err)
		return
	}
	if len(r.sets) == 0 {
		b.addLater(t, chain, o, r)
		return
	}
	for _, s := range r.sets {
		b.setID++
		s.lookup.SetID = b.setID
		if s.name != "" {
			s.lookup.SetName = s.name
			b.addMeterSet(t, s, o)
			b.place.handle++
			continue
		}
		// nft names anonymous sets "__set%d" and lets the kernel number
		// them, but the kernel then finds each set by scanning the whole
		// transaction for its id, which is quadratic. Naming them
		// __set0, __set1, … in order gives the same names directly.
		if s.isMap || s.dataLen != 0 {
			// Maps are numbered apart, as nft's "__map%d".
			s.lookup.SetName = fmt.Sprintf("__map%d", b.tableMaps)
			b.tableMaps++
		} else {
			s.lookup.SetName = fmt.Sprintf("__set%d", b.tableSets)
			b.tableSets++
		}
		b.addSet(t, s, o)
		b.place.handle++
	}
	p := &b.place
	p.handle++
	p.ruleID++
	p.anchor, p.anchorID = p.handle, p.ruleID
	h := &b.head
	h.begin(msgNewRule, nlmFCreate|nlmFAppend, t.fam, o)
	h.m.u32(unix.NFTA_RULE_ID, p.ruleID)
	writeRule(&h.m, t, chain, r)
	h.m.end()
}

// addLater writes a rule without sets to later: after the chain's last
// set-using rule so far, or appended when there is none yet (endChain
// turns that into an insertion at the chain's head if a set-using rule
// follows).
func (b *batch) addLater(t *nlTable, chain string, o origin, r *nlRule) {
	p := &b.place
	l := &b.tail
	l.begin(msgNewRule, nlmFCreate|nlmFAppend, t.fam, o)
	switch {
	case p.anchor == 0:
		p.lead++
	case positionByID:
		l.m.u32(nftaRulePositionID, p.anchorID)
	default:
		l.m.u64(unix.NFTA_RULE_POSITION, p.anchor)
	}
	writeRule(&l.m, t, chain, r)
	l.m.end()
}

// endChain moves the chain's pending rules to tail: in order if the chain
// has no set-using rule, otherwise last first, those before the first
// set-using rule as insertions at the chain's head.
func (b *batch) endChain() {
	t := &b.tail
	from := b.laterFrom
	b.laterFrom = t.m.count()
	n := t.m.count() - from
	if b.place.anchor == 0 || n == 0 {
		// In order, where they already are: the common case, and the
		// only one when no rule of the chain has an anonymous set.
		return
	}
	at := t.m.starts[from]
	l := stream{m: msgBuf{b: append([]byte(nil), t.m.b[at:]...)}, o: append([]origin(nil), t.o[from:]...)}
	for i := from; i < t.m.count(); i++ {
		l.m.starts = append(l.m.starts, t.m.starts[i]-at)
	}
	t.m.b, t.m.starts, t.o = t.m.b[:at], t.m.starts[:from], t.o[:from]
	for i := n - 1; i >= 0; i-- {
		var clear uint16
		if i < b.place.lead {
			clear = nlmFAppend
		}
		t.m.appendMsg(l.m.msg(i), clear)
		t.o = append(t.o, l.o[i])
	}
	b.laterFrom = t.m.count()
}

// msg is the bytes of message i.
func (m *msgBuf) msg(i int) []byte {
	end := len(m.b)
	if i+1 < len(m.starts) {
		end = m.starts[i+1]
	}
	return m.b[m.starts[i]:end]
}

// appendMsg appends a complete message, clearing flags in its header.
func (m *msgBuf) appendMsg(msg []byte, clear uint16) {
	off := len(m.b)
	m.starts = append(m.starts, off)
	m.b = append(m.b, msg...)
	if clear != 0 {
		f := binary.NativeEndian.Uint16(m.b[off+6:])
		binary.NativeEndian.PutUint16(m.b[off+6:], f&^clear)
	}
}

// u64 appends a big-endian 64-bit attribute (a handle). nla_get_be64
// reads it unaligned, so no NLA_F pad attribute is needed.
func (m *msgBuf) u64(typ uint16, v uint64) {
	var d [8]byte
	binary.BigEndian.PutUint64(d[:], v)
	m.attr(typ, d[:])
}
