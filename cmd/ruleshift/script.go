package main

import (
	"github.com/ruleshift/ruleshift/translate"
	"github.com/ruleshift/ruleshift/translate/diag"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// scriptLoader parses shell scripts; nil until the script frontend lands.
var scriptLoader func(rs *ir.Ruleset, in translate.Input, o translate.Options) *diag.List
