package main

import (
	"github.com/ruleshift/ruleshift/translate/diag"
	"github.com/ruleshift/ruleshift/translate/ir"
	"github.com/ruleshift/ruleshift/translate/passes"
)

// runPasses runs the checks every loaded ruleset gets whatever the
// backend (hook restrictions, jump loops, unreachable chains, jump depth).
// A chain nested deeper than nf_tables allows is a warning here, since the
// backend is not known yet when the inputs are loaded.
func runPasses(rs *ir.Ruleset) *diag.List {
	return passes.Run(rs, passes.Options{})
}
