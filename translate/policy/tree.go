package policy

import (
	"errors"
	"sort"
	"strconv"
	"strings"

	toml "github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"

	"github.com/ruleshift/ruleshift/translate/ir"
)

// The policy is read in two passes over the same bytes. The full decoder
// of pelletier/go-toml checks the document (syntax, duplicate keys,
// redefined tables) and gives the position of its first error; then its
// parser (package unstable, the only TOML reader in Go that gives the
// position of every key and value; BurntSushi/toml gives only the line of
// a syntax error) is walked into the small tree below, so every semantic
// error can point at its key or value.

type kind uint8

const (
	kString kind = iota + 1
	kInt
	kBool
	kArray
	kTable
	kOther // floats, dates: never valid in a policy
)

var kindNames = [...]string{"", "a string", "an integer", "a boolean", "an array", "a table", "a float or a date"}

func (k kind) String() string { return kindNames[k] }

// value is one TOML value with where it was written.
type value struct {
	kind kind
	str  string
	num  int64
	bit  bool
	arr  []*value
	tbl  *table
	pos  ir.Pos
	raw  string // as written, for messages
}

// entry is one key of a table.
type entry struct {
	key string
	pos ir.Pos // of the key
	val *value
}

// table keeps its keys in the order written.
type table struct {
	entries []*entry
	pos     ir.Pos
}

func (t *table) get(k string) *entry {
	for _, e := range t.entries {
		if e.key == k {
			return e
		}
	}
	return nil
}

// reader turns the parser's nodes into the tree.
type reader struct {
	file string
	p    unstable.Parser
	// lines are the offsets where lines start: the parser's own Shape
	// counts lines from the start of the file at every call.
	lines []int
}

func (r *reader) pos(n *unstable.Node) ir.Pos {
	if n == nil || n.Raw.Length == 0 && n.Raw.Offset == 0 {
		return ir.Pos{File: r.file, Line: 1, Col: 1}
	}
	off := int(n.Raw.Offset)
	i := sort.Search(len(r.lines), func(i int) bool { return r.lines[i] > off }) - 1
	return ir.Pos{File: r.file, Line: i + 1, Col: off - r.lines[i] + 1}
}

// parseTree reads data into a tree, or returns the first TOML error at
// its position.
func parseTree(file string, data []byte) (*table, *posError) {
	var check map[string]any
	if err := toml.Unmarshal(data, &check); err != nil {
		var de *toml.DecodeError
		if errors.As(err, &de) {
			line, col := de.Position()
			return nil, &posError{ir.Pos{File: file, Line: line, Col: col}, strings.TrimPrefix(de.Error(), "toml: ")}
		}
		return nil, &posError{ir.Pos{File: file, Line: 1, Col: 1}, err.Error()}
	}
	r := &reader{file: file, lines: []int{0}}
	for i, b := range data {
		if b == '\n' {
			r.lines = append(r.lines, i+1)
		}
	}
	r.p.Reset(data)
	root := &table{pos: ir.Pos{File: file, Line: 1, Col: 1}}
	cur := root
	for r.p.NextExpression() {
		e := r.p.Expression()
		switch e.Kind {
		case unstable.Table, unstable.ArrayTable:
			keys, poss := r.keys(e.Key())
			t := root
			for i, k := range keys {
				last := i == len(keys)-1
				ent := t.get(k)
				if ent == nil {
					ent = &entry{key: k, pos: poss[i], val: &value{kind: kTable, tbl: &table{pos: poss[i]}, pos: poss[i]}}
					if last && e.Kind == unstable.ArrayTable {
						ent.val = &value{kind: kArray, pos: poss[i]}
					}
					t.entries = append(t.entries, ent)
				}
				v := ent.val
				if last && e.Kind == unstable.ArrayTable {
					nt := &table{pos: poss[i]}
					v.arr = append(v.arr, &value{kind: kTable, tbl: nt, pos: poss[i]})
					t = nt
					continue
				}
				if v.kind == kArray && len(v.arr) > 0 && v.arr[len(v.arr)-1].kind == kTable {
					v = v.arr[len(v.arr)-1]
				}
				if v.kind != kTable {
					break // the decoder refused this already
				}
				t = v.tbl
			}
			cur = t
		case unstable.KeyValue:
			r.keyValue(cur, e)
		}
	}
	if err := r.p.Error(); err != nil {
		return nil, &posError{ir.Pos{File: file, Line: 1, Col: 1}, err.Error()}
	}
	return root, nil
}

func (r *reader) keys(it unstable.Iterator) ([]string, []ir.Pos) {
	var ks []string
	var ps []ir.Pos
	for it.Next() {
		n := it.Node()
		ks = append(ks, string(n.Data))
		ps = append(ps, r.pos(n))
	}
	return ks, ps
}

// keyValue adds k = v (k maybe dotted) to t.
func (r *reader) keyValue(t *table, n *unstable.Node) {
	keys, poss := r.keys(n.Key())
	for i, k := range keys[:len(keys)-1] {
		ent := t.get(k)
		if ent == nil {
			ent = &entry{key: k, pos: poss[i], val: &value{kind: kTable, tbl: &table{pos: poss[i]}, pos: poss[i]}}
			t.entries = append(t.entries, ent)
		}
		if ent.val.kind != kTable {
			return
		}
		t = ent.val.tbl
	}
	last := len(keys) - 1
	t.entries = append(t.entries, &entry{key: keys[last], pos: poss[last], val: r.value(n.Value())})
}

func (r *reader) value(n *unstable.Node) *value {
	v := &value{pos: r.pos(n)}
	if n.Raw.Length > 0 {
		v.raw = string(r.p.Raw(n.Raw))
	}
	switch n.Kind {
	case unstable.String:
		v.kind, v.str = kString, string(n.Data)
		if v.raw == "" {
			v.raw = strconv.Quote(v.str)
		}
	case unstable.Integer:
		v.kind = kInt
		v.num, _ = strconv.ParseInt(string(n.Data), 0, 64)
		v.raw = string(n.Data)
	case unstable.Bool:
		v.kind, v.bit = kBool, string(n.Data) == "true"
		v.raw = string(n.Data)
	case unstable.Array:
		v.kind = kArray
		it := n.Children()
		for it.Next() {
			c := it.Node()
			if c.Kind == unstable.Comment {
				continue
			}
			v.arr = append(v.arr, r.value(c))
		}
		if len(v.arr) > 0 && v.pos.Line == 1 && v.pos.Col == 1 {
			v.pos = v.arr[0].pos
		}
	case unstable.InlineTable:
		v.kind, v.tbl = kTable, &table{pos: v.pos}
		it := n.Children()
		for it.Next() {
			if c := it.Node(); c.Kind == unstable.KeyValue {
				r.keyValue(v.tbl, c)
			}
		}
		if len(v.tbl.entries) > 0 && v.pos.Line == 1 && v.pos.Col == 1 {
			v.pos = v.tbl.entries[0].pos
		}
		v.tbl.pos = v.pos
	default:
		v.kind = kOther
		v.raw = string(n.Data)
	}
	return v
}

// posError is an error at a position.
type posError struct {
	pos ir.Pos
	msg string
}
