package nftables

import (
	"fmt"

	"github.com/ruleshift/ruleshift/backends/nftables/stmt"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// Decls are the named sets and objects a table's rules need, such as the
// dynamic set a connlimit match counts connections in, or the ct helper
// object a CT --helper rule assigns. Rules add to it while they are
// rendered; renderTable writes the declarations before the chains.
type Decls struct {
	items []stmt.Decl
	used  map[string]bool
	// reserved names are kept for named declarations that rules may make
	// later (a hashlimit name's set), so that AddSet and Object pick
	// others.
	reserved map[string]bool
}

// AddSet declares set s under a name that starts with base and is unique
// in the table (base0, base1, … as iptables-translate numbers them), and
// returns the name.
func (d *Decls) AddSet(base string, s *stmt.SetDecl) string {
	if d.used == nil {
		d.used = map[string]bool{}
	}
	name := ""
	for i := 0; ; i++ {
		name = fmt.Sprintf("%s%d", base, i)
		if !d.used[name] && !d.reserved[name] {
			break
		}
	}
	d.used[name] = true
	s.Name = name
	d.items = append(d.items, s)
	return name
}

// Helper declares a ct helper object once: a second call for the same
// helper, protocol and family returns the first name, so that every rule
// using one helper shares one object. A name already taken by another
// declaration gets a numeric suffix.
func (d *Decls) Helper(h stmt.CtHelperObj) string {
	for _, x := range d.items {
		if o, ok := x.(*stmt.CtHelperObj); ok && o.Helper == h.Helper && o.L4 == h.L4 && o.V6 == h.V6 {
			return o.Name
		}
	}
	if d.used == nil {
		d.used = map[string]bool{}
	}
	n := h.Name
	for i := 2; d.used[n] || d.reserved[n]; i++ {
		n = fmt.Sprintf("%s_%d", h.Name, i)
	}
	d.used[n] = true
	h.Name = n
	d.items = append(d.items, &h)
	return n
}

// named declares set s under exactly its name, once: every rule that
// shares a hashlimit name shares its set. The name was reserved, so no
// other declaration holds it.
func (d *Decls) named(s *stmt.SetDecl) {
	for _, x := range d.items {
		if x.Kind() == "set" && x.DeclName() == s.Name {
			return
		}
	}
	if d.used == nil {
		d.used = map[string]bool{}
	}
	d.used[s.Name] = true
	d.items = append(d.items, s)
}

// reserve keeps names for named declarations.
func (d *Decls) reserve(names []string) {
	if d.reserved == nil {
		d.reserved = map[string]bool{}
	}
	for _, n := range names {
		d.reserved[n] = true
	}
}

// Len is the number of declarations.
func (d *Decls) Len() int { return len(d.items) }

// Items are the declarations in the order they were made.
func (d *Decls) Items() []stmt.Decl { return d.items }

// truncate drops the declarations added after the first n (by a rule that
// failed to render).
func (d *Decls) truncate(n int) {
	for _, x := range d.items[n:] {
		delete(d.used, x.DeclName())
	}
	d.items = d.items[:n]
}

// Lines returns the declarations as they appear inside a table block.
func (d *Decls) Lines() []string {
	out := make([]string, len(d.items))
	for i, x := range d.items {
		out[i] = string(stmt.AppendDeclBody([]byte(x.Kind()+" "+x.DeclName()+" "), x))
	}
	return out
}

// Commands returns the declarations as nft commands for one table, e.g.
// "add set ip filter connlimit0 { type ipv4_addr; flags dynamic; }".
func (d *Decls) Commands(f ir.Family, table string) []string {
	out := make([]string, len(d.items))
	for i, x := range d.items {
		out[i] = string(stmt.AppendDeclBody([]byte(fmt.Sprintf("add %s %s %s %s ", x.Kind(), f, table, x.DeclName())), x))
	}
	return out
}
