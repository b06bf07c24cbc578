package nftables

import (
	"errors"
	"fmt"
	"strings"

	"github.com/ruleshift/ruleshift/translate/diag"
	"github.com/ruleshift/ruleshift/translate/ir"
	"golang.org/x/sys/unix"
)

// ApplyOptions tune Apply.
type ApplyOptions struct {
	// NetNS is the path of a network namespace (/run/netns/NAME) to load
	// into; "" is the namespace the process runs in.
	NetNS string
	// Families whose ruleshift tables are replaced; nil means the
	// families the ruleset holds.
	Families []ir.Family
	// NoCounters leaves out the counter statements, as in Options.
	NoCounters bool
	// Progress hears of the rules compiled and of the load.
	Progress func(stage string, done, total int)
}

// ApplyResult says what Apply did.
type ApplyResult struct {
	// Method is how the rules were loaded: "netlink".
	Method string
	// Added lists the tables loaded ("ip ruleshift_filter"); Removed the
	// ruleshift tables of the replaced families that were deleted and not
	// loaded again.
	Added, Removed []string
	Rules          int
	// Diags are the renderer's warnings.
	Diags *diag.List
}

// RuleError is a rule, chain or table the kernel or nft refused; nothing
// was changed.
type RuleError struct {
	Pos   ir.Pos // the rule's source position; zero for a table or chain
	Table string
	Chain string
	Index int // rule number in the chain, 1-based; 0 for a table or chain
	Err   error
}

func (e *RuleError) Error() string {
	what := "table " + e.Table
	switch {
	case e.Index > 0:
		what = fmt.Sprintf("rule %d of chain %s in table %s", e.Index, e.Chain, e.Table)
	case e.Chain != "":
		what = fmt.Sprintf("chain %s in table %s", e.Chain, e.Table)
	}
	msg := fmt.Sprintf("the kernel refused %s: %v; nothing was changed", what, e.Err)
	if !e.Pos.IsZero() {
		return e.Pos.String() + ": " + msg
	}
	return msg
}

func (e *RuleError) Unwrap() error { return e.Err }

// ErrRender is returned when the ruleset has errors for nftables; the
// diagnostics say which.
var ErrRender = errors.New("the ruleset cannot be rendered for nftables")

// Apply loads the ruleset in one nf_tables transaction: ruleshift's own
// tables of the replaced families are deleted and the new ones added, so
// the kernel holds either the old tables or the new ones, never a mix.
// Tables of other tools are not touched. Rules are lowered once into the
// typed statements Render prints and encoded from them; no nft binary is
// run.
func Apply(rs *ir.Ruleset, o ApplyOptions) (*ApplyResult, error) {
	fams := o.Families
	if fams == nil {
		fams = rs.Families()
	}
	b := &batch{ifindex: func(name string) (uint32, error) { return ifindexIn(o.NetNS, name) }, progress: o.Progress, total: rs.RuleCount()}
	diags, unenc := b.compile(rs, fams, o.NoCounters)
	res := &ApplyResult{Diags: diags, Rules: rs.RuleCount()}
	if diags.HasErrors() {
		return res, ErrRender
	}
	if unenc != nil {
		// The lowering refuses what nft cannot load, and the encoder
		// covers every statement the lowering makes: this is a bug.
		return res, fmt.Errorf("%s: internal error: the netlink encoder cannot write this rule: %s; nothing was changed", unenc.pos, unenc.why)
	}
	if b.devErr != nil {
		return res, b.devErr
	}
	c, err := dial(o.NetNS)
	if err != nil {
		return res, err
	}
	defer c.close()
	for _, t := range b.tables {
		res.Added = append(res.Added, t.fam.String()+" "+t.name)
	}
	res.Method = "netlink"
	if o.Progress != nil {
		o.Progress("apply: loading into the kernel in one transaction", 0, 0)
	}
	// A batch carrying the generation it was built against is refused
	// with ERESTART if another process changed the ruleset meanwhile:
	// then the old tables are listed again.
	for attempt := 0; ; attempt++ {
		gen, err := c.genID()
		if err != nil {
			return res, fmt.Errorf("read the nftables generation: %w", err)
		}
		old, err := ownTables(c, fams)
		if err != nil {
			return res, err
		}
		b.setDeletes(old)
		errs, err := c.sendBatch(gen, &b.dels, &b.head.m, &b.tail.m)
		if err != nil {
			return res, err
		}
		if len(errs) > 0 && errs[0].Errno == unix.ERESTART && attempt < 5 {
			continue
		}
		if len(errs) > 0 {
			return res, b.refusal(errs[0])
		}
		res.Removed = removed(old, b.tables)
		return res, nil
	}
}

// refusal maps the kernel's first error to what the message stood for.
func (b *batch) refusal(e *kernelError) error {
	i := e.Index
	origins := append(append(append([]origin(nil), b.delO...), b.head.o...), b.tail.o...)
	if i < 0 || i >= len(origins) {
		return fmt.Errorf("the kernel refused the transaction: %w", e)
	}
	o := origins[i]
	re := &RuleError{Table: o.table, Chain: o.chain, Index: o.index, Err: e}
	if o.rule != nil {
		re.Pos = o.rule.Src
	}
	return re
}

// tableRef names an existing table.
type tableRef struct {
	fam  ir.Family
	name string
}

func famOf(proto uint8) ir.Family {
	switch proto {
	case 2:
		return ir.IPv4
	case 10:
		return ir.IPv6
	case 1:
		return ir.Inet
	}
	return 0
}

// replacedFamilies are the families whose ruleshift tables a load of fams
// replaces: an inet table stands for both ip and ip6 tables of its name,
// so loading one removes the others, and the other way round.
func replacedFamilies(fams []ir.Family) []ir.Family {
	out := append([]ir.Family(nil), fams...)
	for _, f := range fams {
		switch f {
		case ir.Inet:
			out = append(out, ir.IPv4, ir.IPv6)
		default:
			out = append(out, ir.Inet)
		}
	}
	return out
}

// ownTables lists ruleshift's tables of the families.
func ownTables(c *conn, fams []ir.Family) ([]tableRef, error) {
	msgs, err := c.dump(msgGetTable, 0, nil)
	if err != nil {
		return nil, fmt.Errorf("list nftables tables: %w", err)
	}
	var out []tableRef
	for _, m := range msgs {
		if len(m.data) < nfgenLen {
			continue
		}
		f := famOf(m.data[0])
		name := attrStr(parseAttrs(m.data[nfgenLen:]), 1)
		if f != 0 && hasFamily(replacedFamilies(fams), f) && strings.HasPrefix(name, TablePrefix) {
			out = append(out, tableRef{f, name})
		}
	}
	return out, nil
}

func removed(old []tableRef, added []*nlTable) []string {
	var out []string
	for _, o := range old {
		found := false
		for _, t := range added {
			if t.fam == o.fam && t.name == o.name {
				found = true
			}
		}
		if !found {
			out = append(out, o.fam.String()+" "+o.name)
		}
	}
	return out
}

// KernelTable is a table the kernel holds, of any owner.
type KernelTable struct {
	Family string // nft family keyword: ip, ip6, inet, arp, bridge, netdev
	Name   string
}

var nfprotoNames = map[uint8]string{1: "inet", 2: "ip", 3: "arp", 5: "netdev", 7: "bridge", 10: "ip6"}

// ListTables lists every nftables table of the namespace (for backend
// detection); it needs no nft binary.
func ListTables(netns string) ([]KernelTable, error) {
	c, err := dial(netns)
	if err != nil {
		return nil, err
	}
	defer c.close()
	msgs, err := c.dump(msgGetTable, 0, nil)
	if err != nil {
		return nil, err
	}
	var out []KernelTable
	for _, m := range msgs {
		if len(m.data) < nfgenLen {
			continue
		}
		out = append(out, KernelTable{nfprotoNames[m.data[0]], attrStr(parseAttrs(m.data[nfgenLen:]), 1)})
	}
	return out, nil
}
