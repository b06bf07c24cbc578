package persist

import (
	"github.com/ruleshift/ruleshift/backends"
	"github.com/ruleshift/ruleshift/translate/diag"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// Render renders rs with the registered backend of that name: the files
// that load the rules and those that unload exactly them again (a unit's
// ExecStop). The output carries no time stamp, so the same input renders
// the same bytes and a second persist changes nothing.
func Render(rs *ir.Ruleset, backend string) (backends.Files, *diag.List) {
	return RenderWith(rs, backend, nil)
}

// RenderWith is Render with backend-specific options (RenderOptions.Params).
func RenderWith(rs *ir.Ruleset, backend string, params map[string]string) (backends.Files, *diag.List) {
	diags := &diag.List{}
	if len(rs.Tables) == 0 {
		diags.Errorf(ir.Pos{}, "the input holds no tables; nothing to persist")
		return nil, diags
	}
	b, err := backends.Get(backend)
	if err != nil {
		diags.Errorf(ir.Pos{}, "internal error: %v", err)
		return nil, diags
	}
	files, d := b.Render(rs, backends.RenderOptions{Header: true, Params: params})
	diags.Add(d)
	return files, diags
}
