package nftables

import (
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/google/nftables/expr"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// The netlink encoder turns a lowered rule (stmt.Rule, see netlink_rule.go)
// into nf_tables expressions, doing what nft 1.0.6's compiler does for the
// statements ruleshift emits: the same protocol dependencies ("tcp dport"
// needs "meta l4proto tcp" unless the protocol is already known),
// byte-aligned prefixes loaded short instead of masked, ranges as two
// comparisons, and the merge of adjacent payload equalities into one load.
// The few statements still lowered as text (stmt.Text) are tokenised and
// compiled by this file's parser; netlink_test.go checks that a ruleset
// loaded either way lists back identically. A statement the encoder does
// not know makes the rule fall back to nft -f: it is never skipped.

// errUnencodable marks a statement the encoder does not cover.
var errUnencodable = errors.New("not encodable over netlink")

// nlRule is one encoded rule.
type nlRule struct {
	exprs []any
	sets  []*anonSet
	udata []byte
	devs  []devIndex // device indexes the batch looks up
}

// anonSet is an anonymous constant set a rule looks values up in.
type anonSet struct {
	// name is a meter's name, "" for an anonymous set.
	name    string
	keyType uint32 // nft datatype id
	keyLen  uint32
	flags   uint32
	// fieldLens are the field lengths of an interval set on a
	// concatenation (NFTA_SET_DESC_CONCAT), nil for other sets.
	fieldLens []uint32
	elems     []setElem
	udata     []byte
	lookup    *expr.Lookup // gets the set id when the batch is written
}

type setElem struct {
	key    []byte
	keyEnd []byte // the end of an element of a concatenated interval set
	flags  uint32 // NFT_SET_ELEM_INTERVAL_END
	udata  []byte
}

// stmt is one nft statement: its expressions, and for a payload equality
// what the merge pass needs.
type nlStmt struct {
	exprs []any
	pay   *payEq
	// brk: not an expression statement (counter, log, a verdict), which
	// nft does not merge across.
	brk bool
}

type payEq struct {
	base     expr.PayloadBase
	off, len uint32
	val      []byte
}

// encoder compiles one rule.
type encoder struct {
	fam   ir.Family
	toks  []string
	pos   int
	stmts []nlStmt
	sets  []*anonSet
	udata []byte
	devs  []devIndex
	l4    uint8 // protocol known from an earlier equality, 0 if none
	// linkDep: the rule has its "meta iiftype ether" dependency.
	linkDep bool
	err     error
}

const reg1 = 1 // NFT_REG_1

// tokenize splits nft text into words, keeping a quoted string (which nft
// 1.0.6 writes without escapes) as one token with its quotes, and braces
// and commas of a set as tokens of their own.
func tokenize(s string) ([]string, error) {
	toks := make([]string, 0, 16)
	depth := 0 // inside braces, commas separate elements
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == ' ' || c == '\t':
			i++
		case c == '"':
			j := strings.IndexByte(s[i+1:], '"')
			if j < 0 {
				return nil, fmt.Errorf("unterminated string: %w", errUnencodable)
			}
			toks = append(toks, s[i:i+j+2])
			i += j + 2
		case c == '{' || c == '}' || (c == ',' && depth > 0):
			if c == '{' {
				depth++
			} else if c == '}' {
				depth--
			}
			toks = append(toks, s[i:i+1])
			i++
		default:
			j := i
			for j < len(s) && s[j] != ' ' && s[j] != '\t' && !(depth > 0 && (s[j] == ',' || s[j] == '}')) {
				j++
			}
			toks = append(toks, s[i:j])
			i = j
		}
	}
	return toks, nil
}

// next returns the next token, "" at the end.
func (e *encoder) next() string {
	if e.pos >= len(e.toks) {
		return ""
	}
	t := e.toks[e.pos]
	e.pos++
	return t
}

func (e *encoder) peek() string {
	if e.pos >= len(e.toks) {
		return ""
	}
	return e.toks[e.pos]
}

func (e *encoder) unencodable(format string, args ...any) {
	if e.err == nil {
		e.err = fmt.Errorf("%s: %w", fmt.Sprintf(format, args...), errUnencodable)
	}
	e.pos = len(e.toks)
}

func (e *encoder) add(x ...any) { e.stmts = append(e.stmts, nlStmt{exprs: x}) }
func (e *encoder) brk(x ...any) { e.stmts = append(e.stmts, nlStmt{exprs: x, brk: true}) }

func (e *encoder) v6() bool { return e.fam == ir.IPv6 }

func cmpOp(neg bool) expr.CmpOp {
	if neg {
		return expr.CmpOpNeq
	}
	return expr.CmpOpEq
}

func load(base expr.PayloadBase, off, n uint32) *expr.Payload {
	return &expr.Payload{DestRegister: reg1, Base: base, Offset: off, Len: n}
}

// payCmp adds "payload == / != value"; equalities may be merged later.
func (e *encoder) payCmp(base expr.PayloadBase, off uint32, val []byte, neg bool) {
	s := nlStmt{exprs: []any{load(base, off, uint32(len(val))), &expr.Cmp{Op: cmpOp(neg), Register: reg1, Data: val}}}
	if !neg {
		s.pay = &payEq{base: base, off: off, len: uint32(len(val)), val: val}
	}
	e.stmts = append(e.stmts, s)
}

// metaCmp adds "meta KEY ==/!= value".
func (e *encoder) metaCmp(key expr.MetaKey, val []byte, neg bool) {
	e.add(&expr.Meta{Key: key, Register: reg1}, &expr.Cmp{Op: cmpOp(neg), Register: reg1, Data: val})
}

// l4dep inserts nft's protocol dependency before a transport header match.
func (e *encoder) l4dep(proto uint8) {
	if e.l4 == proto {
		return
	}
	e.metaCmp(expr.MetaKeyL4PROTO, []byte{proto}, false)
	e.l4 = proto
}

// merge does what nft's payload_try_merge does: within a run of expression
// statements, payload equalities are sorted by header position and
// adjacent ones are loaded and compared at once, as long as the merged
// field fits 32 bits (what nft 1.0.6 merges; wider ones it keeps apart).
func (e *encoder) merge() []any {
	runStart := 0
	for i := 0; i <= len(e.stmts); i++ {
		if i == len(e.stmts) || e.stmts[i].brk {
			e.mergeRun(runStart, i)
			runStart = i + 1
		}
	}
	n := 0
	for _, s := range e.stmts {
		n += len(s.exprs)
	}
	out := make([]any, 0, n)
	for _, s := range e.stmts {
		out = append(out, s.exprs...)
	}
	return out
}

func (e *encoder) mergeRun(from, to int) {
	var idx []int
	for i := from; i < to; i++ {
		if e.stmts[i].pay != nil {
			idx = append(idx, i)
		}
	}
	if len(idx) < 2 {
		return
	}
	sort.SliceStable(idx, func(a, b int) bool {
		pa, pb := e.stmts[idx[a]].pay, e.stmts[idx[b]].pay
		if pa.base != pb.base {
			return pa.base < pb.base
		}
		return pa.off < pb.off
	})
	last := idx[0]
	for _, i := range idx[1:] {
		l, t := e.stmts[last].pay, e.stmts[i].pay
		if l.base != t.base || l.off+l.len != t.off || l.len+t.len > 4 {
			last = i
			continue
		}
		l.val = append(append([]byte(nil), l.val...), t.val...)
		l.len += t.len
		e.stmts[last].exprs = []any{load(l.base, l.off, l.len), &expr.Cmp{Op: expr.CmpOpEq, Register: reg1, Data: l.val}}
		e.stmts[i] = nlStmt{}
	}
}

// rawExpr is an expression written by hand where google/nftables does not
// encode it as nft does: its name and its NFTA_EXPR_DATA attributes.
type rawExpr struct {
	name string
	data []byte
}
