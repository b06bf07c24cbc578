// Package policy renders the model as ruleshift's TOML policy (README
// "Policy files (TOML)"), so that a script or a dump can be left behind:
// the filter table's INPUT, OUTPUT and FORWARD of each family become the
// [policy] defaults and the [[input]], [[output]] and [[forward]] rules.
//
// It renders only what the policy reader reads back to the same rules:
// every other table with rules, every user chain it cannot inline, every
// match or target the format has no key for is an error at its position,
// all at once, and nothing is written. It is registered as "policy", a
// backends.Printer: translate --to offers it, apply, persist and verify
// do not.
package policy

import (
	"context"
	"errors"

	"github.com/ruleshift/ruleshift/backends"
	"github.com/ruleshift/ruleshift/translate/diag"
	"github.com/ruleshift/ruleshift/translate/ir"
)

func init() { backends.Register(policyBackend{}) }

type policyBackend struct{}

func (policyBackend) Name() string { return "policy" }

// PrintOnly makes the backend a backends.Printer.
func (policyBackend) PrintOnly() {}

func (b policyBackend) Check(rs *ir.Ruleset) *diag.List {
	_, d := b.Render(rs, backends.RenderOptions{})
	return d
}

func (policyBackend) Render(rs *ir.Ruleset, o backends.RenderOptions) (backends.Files, *diag.List) {
	p, d := Plan(rs, o.Families)
	if d.HasErrors() {
		return nil, d
	}
	text := p.toml(o.Header)
	return backends.Files{{Role: backends.RoleRules, Name: "policy.toml", Text: text}}, d
}

var errPrintOnly = errors.New("the policy backend prints a TOML policy and loads nothing: load the policy with ruleshift apply FILE.toml")

func (policyBackend) Apply(context.Context, *ir.Ruleset, backends.ApplyOptions) (*backends.ApplyResult, error) {
	return &backends.ApplyResult{Diags: &diag.List{}}, errPrintOnly
}

func (policyBackend) Snapshot(context.Context, *ir.Ruleset, backends.ApplyOptions) (*backends.Snapshot, error) {
	return nil, errPrintOnly
}

func (policyBackend) Restore(context.Context, *backends.Snapshot, backends.ApplyOptions) error {
	return errPrintOnly
}
