package iptables

import (
	"fmt"
	"strings"

	gnft "github.com/google/nftables"
	"github.com/ruleshift/ruleshift/internal/netfilter"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// What a failed apply or a rollback puts back. A restore tool creates
// every table its input names, so putting back only the saved text would
// leave behind, empty, the tables that did not exist before (an empty
// "table ip6 filter" with three base chains after a refused IPv6 file).
// Save therefore records which touched tables existed: it runs the save
// tool without -t, which lists only tables that exist and, unlike
// "iptables-legacy-save -t T", does not instantiate a legacy table in the
// namespace. Restore puts back the tables that existed and removes the
// others:
//
//   - iptables-nft: the table is an nf_tables table ("table ip filter");
//     it is deleted, so "nft list ruleset" and iptables-nft-save show what
//     they showed before.
//   - iptables-legacy: a legacy table, once the restore tool touched it,
//     stays instantiated in its network namespace until the namespace goes
//     or the module is unloaded (kernel 6.x; never rmmod on a live host).
//     It is reset to what the kernel creates, built-in chains with an
//     ACCEPT policy and no rules: the same packets pass as before, and
//     iptables-legacy-save lists it as a pristine table where it listed
//     nothing. That is the best achievable with the legacy tables.

// Saved is the previous content of the tables an apply touches, per
// family, as the save tool printed it, and the touched tables that did not
// exist.
type Saved struct {
	Variant *Variant
	Text    map[ir.Family]string
	New     map[ir.Family][]string
}

// TouchedTables lists the tables of family f the ruleset defines.
func TouchedTables(rs *ir.Ruleset, f ir.Family) []string {
	var out []string
	for _, t := range rs.Tables {
		if t.Family == f {
			out = append(out, t.Name)
		}
	}
	return out
}

// Save prints the current content of the given tables of family f; a
// table that does not exist prints nothing.
func Save(v *Variant, f ir.Family, tables []string) (string, error) {
	text, _, err := saveExisting(v, f, tables)
	return text, err
}

// saveExisting returns the saved text of the tables that exist and the
// names of those that do not.
func saveExisting(v *Variant, f ir.Family, tables []string) (string, []string, error) {
	out, err := run(v.SaveCommand(f), nil)
	if err != nil {
		return "", nil, err
	}
	blocks := splitSave(out)
	var b strings.Builder
	var missing []string
	for _, t := range tables {
		if text, ok := blocks[t]; ok {
			b.WriteString(text)
		} else {
			missing = append(missing, t)
		}
	}
	return b.String(), missing, nil
}

// splitSave cuts save output into its tables, "*name" to "COMMIT".
func splitSave(out string) map[string]string {
	blocks := map[string]string{}
	var cur string
	var b strings.Builder
	for _, line := range strings.SplitAfter(out, "\n") {
		l := strings.TrimRight(line, "\n")
		switch {
		case strings.HasPrefix(l, "*"):
			cur = l[1:]
			b.Reset()
			b.WriteString(line)
		case cur == "":
		case l == "COMMIT":
			b.WriteString("COMMIT\n")
			blocks[cur] = b.String()
			cur = ""
		default:
			if !strings.HasPrefix(l, "#") {
				b.WriteString(line)
			}
		}
	}
	return blocks
}

// SaveTouched saves every table the ruleset defines, in both families.
func SaveTouched(rs *ir.Ruleset, v *Variant) (*Saved, error) {
	s := &Saved{Variant: v, Text: map[ir.Family]string{}, New: map[ir.Family][]string{}}
	for _, f := range rs.Families() {
		text, missing, err := saveExisting(v, f, TouchedTables(rs, f))
		if err != nil {
			return nil, err
		}
		s.Text[f] = text
		s.New[f] = missing
	}
	return s, nil
}

// only keeps the given families.
func (s *Saved) only(fams []ir.Family) *Saved {
	out := &Saved{Variant: s.Variant, Text: map[ir.Family]string{}, New: map[ir.Family][]string{}}
	for _, f := range fams {
		out.Text[f], out.New[f] = s.Text[f], s.New[f]
	}
	return out
}

// Restore puts saved tables back and removes (iptables-nft) or resets
// (iptables-legacy) the touched tables that did not exist.
func (s *Saved) Restore() error {
	var errs []string
	for _, f := range []ir.Family{ir.IPv4, ir.IPv6} {
		if text := s.Text[f]; strings.TrimSpace(text) != "" {
			if _, err := run(s.Variant.RestoreCommand(f), []byte(text), "-w"); err != nil {
				errs = append(errs, err.Error())
			}
		}
		if len(s.New[f]) == 0 {
			continue
		}
		var err error
		if s.Variant == Legacy {
			_, err = run(s.Variant.RestoreCommand(f), []byte(pristine(s.New[f])), "-w")
		} else {
			err = deleteNftTables(f, s.New[f])
		}
		if err != nil {
			errs = append(errs, err.Error())
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("restore the saved tables: %s", strings.Join(errs, "; "))
	}
	return nil
}

// pristine is restore input that makes tables what the kernel creates.
func pristine(tables []string) string {
	var b strings.Builder
	for _, t := range tables {
		fmt.Fprintf(&b, "*%s\n", t)
		for _, c := range netfilter.BuiltinChains(t) {
			fmt.Fprintf(&b, ":%s ACCEPT [0:0]\n", c)
		}
		b.WriteString("COMMIT\n")
	}
	return b.String()
}

// deleteNftTables deletes iptables-nft's tables of family f, those that
// exist of them, in one transaction.
func deleteNftTables(f ir.Family, tables []string) error {
	c, err := gnft.New()
	if err != nil {
		return fmt.Errorf("open netlink: %w", err)
	}
	defer c.CloseLasting()
	fam := gnft.TableFamilyIPv4
	if f == ir.IPv6 {
		fam = gnft.TableFamilyIPv6
	}
	have, err := c.ListTablesOfFamily(fam)
	if err != nil {
		return fmt.Errorf("list the nf_tables tables: %w", err)
	}
	n := 0
	for _, t := range tables {
		for _, h := range have {
			if h.Name == t {
				c.DelTable(&gnft.Table{Family: fam, Name: t})
				n++
			}
		}
	}
	if n == 0 {
		return nil
	}
	if err := c.Flush(); err != nil {
		return fmt.Errorf("delete the tables %s that the apply created: %w", strings.Join(tables, ", "), err)
	}
	return nil
}
