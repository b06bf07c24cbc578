// Package migrate holds the decisions of ruleshift migrate: which of the
// tables a machine runs (or loads at boot) move to the target backend,
// which stay, how the old tables leave the kernel once the new ones are
// loaded, and how the boot path that loaded them is turned off. It
// decides and runs the kernel removal; cmd/ruleshift wires the steps
// (import, translate, verify, apply, remove, persist) together.
package migrate

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/ruleshift/ruleshift/internal/netfilter"
	"github.com/ruleshift/ruleshift/machine"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// OwnPrefix starts the names of the nftables backend's tables
// (backends/nftables.TablePrefix; TestOwnPrefix checks).
const OwnPrefix = "ruleshift_"

// Targets are the backends migrate moves a machine to.
var Targets = []string{"nftables", "iptables-nft"}

// Plan is one migration.
type Plan struct {
	Target string
	// Moved are the entries whose tables go to the target; Kept those
	// left as they are (native nftables tables, and iptables-nft's own
	// for the iptables-nft target, which the apply replaces in place).
	Moved, Kept []*machine.Entry
	// KeptWhy says why each of Kept stays, in its order.
	KeptWhy []string
	// Rules is the moved tables as one ruleset: what is translated, and
	// the old side of the verification.
	Rules *ir.Ruleset
	// OldBackend loads the old side in verify: the iptables variant the
	// tables ran in.
	OldBackend string
	// Removals empty the old tables once the new ones are loaded.
	Removals []Removal
}

// Select decides a migration of st (a kernel's or a root's boot State)
// to target.
func Select(st *machine.State, target string) (*Plan, error) {
	p := &Plan{Target: target, OldBackend: "iptables-nft"}
	for _, e := range st.Entries {
		switch {
		case e.Source == machine.Native:
			p.Kept = append(p.Kept, e)
			p.KeptWhy = append(p.KeptWhy, "already nftables: left as it is")
		default:
			p.Moved = append(p.Moved, e)
			if e.Source != machine.NFTCompat {
				p.OldBackend = "iptables-legacy"
			}
		}
	}
	if target == "iptables-nft" && p.OldBackend == "iptables-nft" && len(p.Moved) > 0 {
		return nil, fmt.Errorf("every iptables table here is iptables-nft's already: nothing to migrate to iptables-nft")
	}
	if len(p.Moved) == 0 {
		return nil, fmt.Errorf("no iptables or ufw table to migrate (the firewall holds no rules, or only nftables tables)")
	}
	if err := foreignInside(st, p.Moved); err != nil {
		return nil, err
	}
	if target == "nftables" {
		var own []string
		for _, e := range p.Kept {
			if strings.Contains(e.From, " "+OwnPrefix) {
				own = append(own, strings.TrimPrefix(e.From, "nft table "))
			}
		}
		if len(own) > 0 {
			return nil, fmt.Errorf("ruleshift's own nftables tables are there already (%s): the migrated rules would replace them; merge their rules into the iptables ones first, or remove them", strings.Join(own, "; "))
		}
	}
	moved := map[*machine.Entry]bool{}
	for _, e := range p.Moved {
		moved[e] = true
	}
	rs, err := st.Only(func(e *machine.Entry) bool { return moved[e] }).Ruleset()
	if err != nil {
		return nil, err
	}
	p.Rules = rs
	p.Removals = removals(p.Moved, target)
	return p, nil
}

// foreignInside refuses tables that hold chains of Docker, Kubernetes,
// libvirt or fail2ban: removing the old table would remove them too,
// and the tool that made them would not know.
func foreignInside(st *machine.State, moved []*machine.Entry) error {
	var bad []string
	for _, e := range moved {
		for _, l := range st.Left {
			if strings.HasPrefix(l.Where, e.Key()+" chain ") {
				bad = append(bad, fmt.Sprintf("%s (%s's)", l.Where, l.Owner))
			}
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("the tables to migrate hold chains of other tools: %s; removing the old tables would remove them too: migrate the rules by hand (ruleshift import, apply, persist) or stop that tool first", strings.Join(bad, ", "))
	}
	return nil
}

// Removal empties or deletes old tables of one source and family.
type Removal struct {
	Source machine.Source
	Family ir.Family
	Tables []string
}

// removals are the old tables that stay in the kernel after the apply:
// every moved one for nftables; the legacy ones for iptables-nft, whose
// apply replaces iptables-nft's tables of the same names.
func removals(moved []*machine.Entry, target string) []Removal {
	type key struct {
		src machine.Source
		fam ir.Family
	}
	byKey := map[key][]string{}
	var keys []key
	for _, e := range moved {
		if e.Source != machine.Legacy && e.Source != machine.NFTCompat {
			continue // ufw's files: only a root holds them, no kernel step
		}
		if target == "iptables-nft" && e.Source == machine.NFTCompat {
			continue
		}
		k := key{e.Source, e.Table.Family}
		if byKey[k] == nil {
			keys = append(keys, k)
		}
		byKey[k] = append(byKey[k], e.Table.Name)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].src != keys[j].src {
			return keys[i].src < keys[j].src
		}
		return keys[i].fam < keys[j].fam
	})
	var out []Removal
	for _, k := range keys {
		out = append(out, Removal{Source: k.src, Family: k.fam, Tables: byKey[k]})
	}
	return out
}

// Variant is the iptables variant whose tables r removes, as the backends
// name it.
func (r Removal) Variant() string {
	if r.Source == machine.Legacy {
		return "iptables-legacy"
	}
	return "iptables-nft"
}

// Command is how r runs: a legacy table cannot be deleted, so it is
// reset with one restore to what the kernel creates (built-in chains
// accepting, no rule, no user chain), atomically per family; an
// iptables-nft table is an nf_tables table, deleted with nft in one
// transaction.
func (r Removal) Command() (name string, args []string, stdin string) {
	var b strings.Builder
	if r.Source == machine.Legacy {
		for _, t := range r.Tables {
			fmt.Fprintf(&b, "*%s\n", t)
			for _, c := range netfilter.BuiltinChains(t) {
				fmt.Fprintf(&b, ":%s ACCEPT [0:0]\n", c)
			}
			b.WriteString("COMMIT\n")
		}
		tool := "iptables-legacy-restore"
		if r.Family == ir.IPv6 {
			tool = "ip6tables-legacy-restore"
		}
		return tool, []string{"-w"}, b.String()
	}
	fam := "ip"
	if r.Family == ir.IPv6 {
		fam = "ip6"
	}
	for _, t := range r.Tables {
		fmt.Fprintf(&b, "delete table %s %s\n", fam, t)
	}
	return "nft", []string{"-f", "-"}, b.String()
}

// Describe says what r does, for the step's output.
func (r Removal) Describe() string {
	name, args, _ := r.Command()
	fam := machine.FamilyName(r.Family)
	if r.Source == machine.Legacy {
		return fmt.Sprintf("empty the iptables-legacy %s tables %s (%s %s: built-in chains ACCEPT, no rules; a legacy table stays until its namespace goes)", fam, strings.Join(r.Tables, ", "), name, strings.Join(args, " "))
	}
	return fmt.Sprintf("delete iptables-nft's %s tables %s (nft delete table, in one transaction)", fam, strings.Join(r.Tables, ", "))
}

// Exec runs a command with stdin, returning its combined output.
type Exec func(ctx context.Context, stdin []byte, name string, args ...string) ([]byte, error)

// Remove runs every removal, in order; it stops at the first failure.
func Remove(ctx context.Context, run Exec, rs []Removal) error {
	for _, r := range rs {
		name, args, stdin := r.Command()
		if out, err := run(ctx, []byte(stdin), name, args...); err != nil {
			return fmt.Errorf("%s: %v: %s", name, err, strings.TrimSpace(string(out)))
		}
	}
	return nil
}

// Variants lists the iptables variants whose tables the removals touch,
// for the --confirm snapshot, with the tables of each as a ruleset.
func (p *Plan) Variants() map[string]*ir.Ruleset {
	out := map[string]*ir.Ruleset{}
	for _, r := range p.Removals {
		rs := out[r.Variant()]
		if rs == nil {
			rs = &ir.Ruleset{}
			out[r.Variant()] = rs
		}
		for _, t := range r.Tables {
			rs.Tables = append(rs.Tables, &ir.Table{Family: r.Family, Name: t})
		}
	}
	return out
}
