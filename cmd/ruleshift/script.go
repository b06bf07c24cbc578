package main

import (
	"github.com/ruleshift/ruleshift/translate"
	"github.com/ruleshift/ruleshift/translate/diag"
	"github.com/ruleshift/ruleshift/translate/ir"
	"github.com/ruleshift/ruleshift/translate/script"
)

// scriptLoader parses shell scripts with the script frontend. It is
// injected into package translate so that package stays free of the shell
// interpreter.
var scriptLoader = func(rs *ir.Ruleset, in translate.Input, o translate.Options) *diag.List {
	return script.Load(rs, in.Data, script.Options{Name: in.Name, Dir: in.Dir, Resolve: o.Resolve, Readable: o.Inputs, AsRun: o.AsRun, FormatWhy: o.FormatWhy})
}
