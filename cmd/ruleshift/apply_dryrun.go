package main

import (
	"fmt"

	ipbackend "github.com/ruleshift/ruleshift/backends/iptables"
	"github.com/ruleshift/ruleshift/backends/nftables"
	"github.com/ruleshift/ruleshift/distros"
	"github.com/ruleshift/ruleshift/internal/rulediff"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// --dry-run prints what would be loaded and the rules it would add and
// remove (internal/rulediff). For iptables the save tool's output is
// compared with the rendered restore input, which is written in save
// format.

func dryRun(e *env, rs *ir.Ruleset, backend string) error {
	var old, new rulediff.Chains
	var err error
	if backend == distros.BackendNFTables {
		text, _ := nftables.Render(rs, nftables.Options{})
		fmt.Fprintf(e.stdout, "# would be loaded over netlink (nftables):\n%s", text)
		old, new, err = rulediff.NftSides(rs)
	} else {
		v := variantOf(backend)
		old, new = rulediff.Chains{}, rulediff.Chains{}
		for _, f := range rs.Families() {
			text, _ := ipbackend.Render(rs, f, v, ipbackend.Options{})
			fmt.Fprintf(e.stdout, "# would be loaded with %s:\n%s", v.RestoreCommand(f), text)
			cur, serr := ipbackend.Save(v, f, ipbackend.TouchedTables(rs, f))
			if serr != nil {
				err = serr
			}
			old.AddSave(familyFlag(f), cur)
			new.AddSave(familyFlag(f), text)
		}
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "note: no difference shown: %v\n", err)
	} else {
		rulediff.Compare(old, new).Write(e.stdout)
	}
	fmt.Fprintln(e.stderr, "dry run: nothing was changed")
	return nil
}
