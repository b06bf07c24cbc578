package nft

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ruleshift/ruleshift/translate/diag"
	"github.com/ruleshift/ruleshift/translate/iptables"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// TablePrefix starts the names of the tables ruleshift's nftables backend
// writes (backends/nftables.TablePrefix, not imported: frontends do not
// import backends). Reading one back gives the model's table its iptables
// name again, so that a round trip renders the same tables.
const TablePrefix = "ruleshift_"

// maxExpand bounds the rules one nft rule with sets may expand into.
const maxExpand = 4096

type obj = map[string]any

// ReadJSON reads the output of nft -j list ruleset into rs. file names
// the input in positions.
func ReadJSON(rs *ir.Ruleset, file string, data []byte) *diag.List {
	d := &diag.List{}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var doc struct {
		Nftables []obj `json:"nftables"`
	}
	if err := dec.Decode(&doc); err != nil {
		d.Errorf(ir.Pos{File: file, Line: 1, Col: 1}, "not nft JSON output: %v", err)
		return d
	}
	r := &reader{file: file, d: d, tables: map[string]*table{}}
	for _, o := range doc.Nftables {
		r.object(o)
	}
	for _, t := range r.order {
		r.finish(rs, t)
	}
	return d
}

// table gathers one nft table before it becomes one or two model tables.
type table struct {
	family, name string
	handle       int
	chains       []*chain
	sets         map[string][]any // named set elements, by name
	setKeys      map[string]string
}

type chain struct {
	name string
	// iptName is the iptables name ruleshift's backend keeps in the
	// comment of a chain it had to rename ("iptables chain reject").
	iptName string
	handle  int
	base    *ir.BaseChain
	rules   []*rule
}

// rule is one nft rule read: its expansions (each a list of matches, all
// with the same target) and the family its matches need (0: any).
type rule struct {
	handle int
	fam    ir.Family
	alts   [][]ir.Match
	target ir.Target
	pos    ir.Pos
}

type reader struct {
	file   string
	d      *diag.List
	tables map[string]*table
	order  []*table
}

// pos is where an object of the listing is: the input named with
// ":handle" and the object's kernel handle in place of a line
// ("live.json:handle:12"), as handles, not lines, find a rule in a
// listing (nft -a list ruleset) and a file loaded in a scratch namespace
// has no listing of its own.
func (r *reader) pos(handle int) ir.Pos { return ir.Pos{File: r.file + ":handle", Line: handle} }

func (r *reader) table(family, name string) *table {
	k := family + " " + name
	t := r.tables[k]
	if t == nil {
		t = &table{family: family, name: name, sets: map[string][]any{}, setKeys: map[string]string{}}
		r.tables[k] = t
		r.order = append(r.order, t)
	}
	return t
}

func (r *reader) object(o obj) {
	for kind, v := range o {
		b, _ := v.(obj)
		if b == nil {
			r.d.Errorf(ir.Pos{File: r.file}, "nft JSON: %q is not an object", kind)
			continue
		}
		switch kind {
		case "metainfo":
		case "table":
			t := r.table(str(b["family"]), str(b["name"]))
			t.handle = num(b["handle"])
			if t.family != "ip" && t.family != "ip6" && t.family != "inet" {
				r.d.Errorf(r.pos(t.handle), "table %s %s: family %s has no iptables counterpart; ruleshift reads ip, ip6 and inet tables", t.family, t.name, t.family)
			}
		case "chain":
			r.chain(b)
		case "rule":
			r.rule(b)
		case "set":
			t := r.table(str(b["family"]), str(b["table"]))
			name := str(b["name"])
			elems, _ := b["elem"].([]any)
			t.sets[name] = elems
			key, _ := b["type"].(string)
			t.setKeys[name] = key
		default:
			r.d.Errorf(r.pos(num(b["handle"])), "table %s %s: %s %q: ruleshift reads no nftables %s objects", str(b["family"]), str(b["table"]), kind, str(b["name"]), kind)
		}
	}
}

func (t *table) chain(name string) *chain {
	for _, c := range t.chains {
		if c.name == name {
			return c
		}
	}
	c := &chain{name: name}
	t.chains = append(t.chains, c)
	return c
}

var chainTypes = map[string]ir.ChainType{"filter": ir.TypeFilter, "nat": ir.TypeNAT, "route": ir.TypeRoute}
var hooks = map[string]ir.Hook{"prerouting": ir.HookPrerouting, "input": ir.HookInput, "forward": ir.HookForward, "output": ir.HookOutput, "postrouting": ir.HookPostrouting}

func (r *reader) chain(b obj) {
	t := r.table(str(b["family"]), str(b["table"]))
	c := t.chain(str(b["name"]))
	c.handle = num(b["handle"])
	if n, ok := strings.CutPrefix(str(b["comment"]), "iptables chain "); ok && strings.HasPrefix(t.name, TablePrefix) {
		c.iptName = n
	}
	if _, ok := b["hook"]; !ok {
		return
	}
	typ, ok1 := chainTypes[str(b["type"])]
	hook, ok2 := hooks[str(b["hook"])]
	if !ok1 || !ok2 {
		r.d.Errorf(r.pos(c.handle), "table %s %s, chain %s: a base chain of type %s at hook %s has no iptables counterpart", t.family, t.name, c.name, str(b["type"]), str(b["hook"]))
		return
	}
	pol := ir.PolicyAccept
	switch str(b["policy"]) {
	case "drop":
		pol = ir.PolicyDrop
	case "accept", "":
	default:
		r.d.Errorf(r.pos(c.handle), "table %s %s, chain %s: policy %s", t.family, t.name, c.name, str(b["policy"]))
	}
	c.base = &ir.BaseChain{Type: typ, Hook: hook, Priority: num(b["prio"]), Policy: pol}
}

func (r *reader) rule(b obj) {
	t := r.table(str(b["family"]), str(b["table"]))
	c := t.chain(str(b["chain"]))
	h := num(b["handle"])
	rc := &ruleConv{r: r, t: t, where: fmt.Sprintf("table %s %s, chain %s, rule handle %d", t.family, t.name, c.name, h), pos: r.pos(h)}
	stmts, _ := b["expr"].([]any)
	for _, s := range stmts {
		so, _ := s.(obj)
		if so == nil || len(so) != 1 {
			rc.fail("a statement that is not one object")
			continue
		}
		for k, v := range so {
			rc.stmt(k, v)
		}
	}
	if cm := str(b["comment"]); cm != "" {
		rc.ms = append(rc.ms, &ir.Comment{At: ir.At{Src: rc.pos}, Text: cm})
	}
	if rc.failed {
		return
	}
	alts := [][]ir.Match{rc.ms}
	for _, choice := range rc.choices {
		if len(alts)*len(choice) > maxExpand {
			r.d.Errorf(rc.pos, "%s: its sets expand into more than %d rules", rc.where, maxExpand)
			return
		}
		var next [][]ir.Match
		for _, a := range alts {
			for _, m := range choice {
				next = append(next, append(append([]ir.Match{}, a...), m...))
			}
		}
		alts = next
	}
	// Repeating the matches is exact only when they keep no state.
	for _, m := range rc.ms {
		if _, ok := m.(*ir.Limit); ok {
			switch {
			case len(rc.before) > 0:
				r.d.Errorf(rc.pos, "%s: a limit with several actions (%s before %s), which iptables would count once per action", rc.where, rc.before[0].Name(), rc.target.Name())
				return
			case len(alts) > 1:
				r.d.Errorf(rc.pos, "%s: a limit in a rule with a set, which iptables would count once per element", rc.where)
				return
			}
		}
	}
	for _, t := range append(rc.before, rc.target) {
		c.rules = append(c.rules, &rule{handle: h, fam: rc.fam, alts: alts, target: t, pos: rc.pos})
	}
}

// finish turns a gathered table into model tables: an inet table into an
// ipv4 and an ipv6 table of the same name, each with the rules that do
// not need the other family (iptables has no mixed family).
func (r *reader) finish(rs *ir.Ruleset, t *table) {
	name := strings.TrimPrefix(t.name, TablePrefix)
	var fams []ir.Family
	switch t.family {
	case "ip":
		fams = []ir.Family{ir.IPv4}
	case "ip6":
		fams = []ir.Family{ir.IPv6}
	case "inet":
		fams = []ir.Family{ir.IPv4, ir.IPv6}
	default:
		return
	}
	names := map[string]string{}
	for _, c := range t.chains {
		if c.iptName != "" {
			names[c.name] = c.iptName
		}
	}
	for _, f := range fams {
		mt := &ir.Table{Family: f, Name: name, Src: r.pos(t.handle)}
		for _, c := range t.chains {
			mc := &ir.Chain{Name: c.name, Src: r.pos(c.handle)}
			if n, ok := names[c.name]; ok {
				mc.Name = n
			}
			if c.base != nil {
				b := *c.base
				mc.Base = &b
			}
			for _, ru := range c.rules {
				if ru.fam != 0 && ru.fam != f {
					continue
				}
				if f == ir.IPv4 && len(fams) > 1 && ru.fam == 0 && hasLimit(ru.alts[0]) {
					r.d.Warnf(ru.pos, "table inet %s, chain %s, rule handle %d: its limit is one bucket for both families in nft, one per family in iptables (the IPv4 and IPv6 tables): up to twice the rate passes", t.name, c.name, ru.handle)
				}
				for _, ms := range ru.alts {
					// Expanded rules and the halves of an inet rule
					// share no target: each gets a copy.
					mr := &ir.Rule{Matches: append([]ir.Match(nil), ms...), Target: cloneTarget(ru.target, f), Src: ru.pos}
					if j, ok := mr.Target.(*ir.Jump); ok && names[j.Chain] != "" {
						j.Chain = names[j.Chain]
					}
					mc.Rules = append(mc.Rules, mr)
				}
			}
			mt.Chains = append(mt.Chains, mc)
		}
		if !strings.HasPrefix(t.name, TablePrefix) {
			iptShape(mt)
		}
		rs.Tables = append(rs.Tables, mt)
	}
}

// iptShape gives a table that is not ruleshift's own the names iptables
// needs: when every base chain sits where one iptables table's built-in
// chain does (type, hook and priority), the table takes that table's name
// and each base chain its built-in chain's name ("inet filter" chain
// "input" becomes filter INPUT); jumps follow the renames. Otherwise the
// names stay, and the iptables backends say what they cannot load.
func iptShape(t *ir.Table) {
	var want string
	renames := map[string]string{}
	for _, c := range t.Chains {
		if !c.IsBase() {
			continue
		}
		found := ""
		for _, tn := range []string{"filter", "nat", "mangle", "raw", "security"} {
			bn := strings.ToUpper(c.Base.Hook.String())
			if b := iptables.BaseOf(tn, bn); b != nil && b.Type == c.Base.Type && b.Hook == c.Base.Hook && b.Priority == c.Base.Priority {
				found = tn
				renames[c.Name] = bn
				break
			}
		}
		if found == "" || (want != "" && found != want) {
			return
		}
		want = found
	}
	if want == "" {
		return
	}
	seen := map[string]bool{}
	for _, n := range renames {
		if seen[n] {
			return // two base chains at one hook
		}
		seen[n] = true
	}
	for _, c := range t.Chains {
		if n, ok := renames[c.Name]; ok {
			c.Name = n
		} else if seen[c.Name] {
			return // a user chain already named like a built-in one
		}
	}
	t.Name = want
	for _, c := range t.Chains {
		for _, r := range c.Rules {
			if j, ok := r.Target.(*ir.Jump); ok {
				if n, ok := renames[j.Chain]; ok {
					j.Chain = n
				}
			}
		}
	}
}

// cloneTarget copies a target so that no two rules share one (passes may
// rewrite targets in place), and picks a family's form of the family-less
// reject of an inet table.
func cloneTarget(t ir.Target, f ir.Family) ir.Target {
	switch x := t.(type) {
	case nil:
		return nil
	case *ir.Verdict:
		c := *x
		return &c
	case *ir.Jump:
		c := *x
		return &c
	case *ir.Reject:
		c := *x
		if w, ok := icmpxReject[c.With]; ok && f == ir.IPv6 {
			c.With = w
		}
		return &c
	case *ir.Log:
		c := *x
		return &c
	case *ir.SNAT:
		c := *x
		return &c
	case *ir.DNAT:
		c := *x
		return &c
	case *ir.Masquerade:
		c := *x
		return &c
	case *ir.Redirect:
		c := *x
		return &c
	}
	return t
}

// icmpxReject maps the IPv4 reject types an icmpx reject is read as to
// their IPv6 counterparts.
var icmpxReject = map[ir.RejectWith]ir.RejectWith{
	ir.RejectPortUnreach: ir.Reject6PortUnreach,
	ir.RejectAdminProhib: ir.Reject6AdmProhib,
	ir.RejectHostUnreach: ir.Reject6AddrUnreach,
	ir.RejectNetUnreach:  ir.Reject6NoRoute,
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func num(v any) int {
	if n, ok := v.(json.Number); ok {
		i, err := n.Int64()
		if err == nil {
			return int(i)
		}
	}
	return 0
}

func hasLimit(ms []ir.Match) bool {
	for _, m := range ms {
		if _, ok := m.(*ir.Limit); ok {
			return true
		}
	}
	return false
}
