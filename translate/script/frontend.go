package script

import (
	"github.com/ruleshift/ruleshift/translate"
	"github.com/ruleshift/ruleshift/translate/diag"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// The script frontend registers itself with package translate, which stays
// free of the shell interpreter: a program reads scripts through
// translate.Load by importing this package, for its side effect if need be.
func init() { translate.Register(frontend{}) }

type frontend struct{}

func (frontend) Name() string { return string(translate.Script) }

func (frontend) Detect(in translate.Input) (translate.Confidence, string) {
	return translate.DetectScript(in)
}

func (frontend) Load(rs *ir.Ruleset, in translate.Input, o translate.Options) *diag.List {
	return Load(rs, in.Data, Options{Name: in.Name, Dir: in.Dir, Resolve: o.Resolve, Readable: o.Inputs, AsRun: o.AsRun, FormatWhy: o.FormatWhy})
}
