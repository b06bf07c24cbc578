package nftables

import (
	"fmt"

	"github.com/ruleshift/ruleshift/translate/ir"
)

// Decls are the named sets and objects a table's rules need, such as the
// dynamic set a connlimit match counts connections in, or the ct helper
// object a CT --helper rule assigns. Rules add to it while they are
// rendered; renderTable writes the declarations before the chains.
type Decls struct {
	items []decl
	used  map[string]bool
	// reserved names are kept for named declarations that rules may make
	// later (a hashlimit name's set), so that Add and Object pick others.
	reserved map[string]bool
}

type decl struct {
	kind, name, body string
}

// Add declares an object of kind ("set") whose name starts with base and
// is unique in the table (base0, base1, … as iptables-translate numbers
// them), and returns the name.
func (d *Decls) Add(kind, base, body string) string {
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
	d.items = append(d.items, decl{kind, name, body})
	return name
}

// Object declares a named object of kind ("ct helper") once: a second call
// with the same kind and body returns the first name, so that every rule
// using one helper shares one object. A name already taken by another
// declaration gets a numeric suffix.
func (d *Decls) Object(kind, name, body string) string {
	for _, x := range d.items {
		if x.kind == kind && x.body == body {
			return x.name
		}
	}
	if d.used == nil {
		d.used = map[string]bool{}
	}
	n := name
	for i := 2; d.used[n] || d.reserved[n]; i++ {
		n = fmt.Sprintf("%s_%d", name, i)
	}
	d.used[n] = true
	d.items = append(d.items, decl{kind, n, body})
	return n
}

// named declares an object under exactly name, once: every rule that
// shares a hashlimit name shares its set. The name was reserved, so no
// other declaration holds it.
func (d *Decls) named(kind, name, body string) {
	for _, x := range d.items {
		if x.kind == kind && x.name == name {
			return
		}
	}
	if d.used == nil {
		d.used = map[string]bool{}
	}
	d.used[name] = true
	d.items = append(d.items, decl{kind, name, body})
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

// truncate drops the declarations added after the first n (by a rule that
// failed to render).
func (d *Decls) truncate(n int) {
	for _, x := range d.items[n:] {
		delete(d.used, x.name)
	}
	d.items = d.items[:n]
}

// Lines returns the declarations as they appear inside a table block.
func (d *Decls) Lines() []string {
	out := make([]string, len(d.items))
	for i, x := range d.items {
		out[i] = fmt.Sprintf("%s %s %s", x.kind, x.name, x.body)
	}
	return out
}

// Commands returns the declarations as nft commands for one table, e.g.
// "add set ip filter connlimit0 { type ipv4_addr; flags dynamic; }".
func (d *Decls) Commands(f ir.Family, table string) []string {
	out := make([]string, len(d.items))
	for i, x := range d.items {
		out[i] = fmt.Sprintf("add %s %s %s %s %s", x.kind, f, table, x.name, x.body)
	}
	return out
}
