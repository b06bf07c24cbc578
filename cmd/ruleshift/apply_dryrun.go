package main

import (
	"context"
	"fmt"

	"github.com/ruleshift/ruleshift/backends"
	"github.com/ruleshift/ruleshift/internal/rulediff"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// --dry-run prints what would be loaded and the rules it would add and
// remove (internal/rulediff): the backend lists what it holds now and,
// after loading the new rules into a scratch network namespace, what it
// would hold, both in its tool's own form.

func dryRun(e *env, rs *ir.Ruleset, b backends.Backend) error {
	files, _ := b.Render(rs, backends.RenderOptions{})
	for _, f := range files.Of(backends.RoleRules) {
		fmt.Fprintf(e.stdout, "# would be loaded by %s (%s):\n%s", b.Name(), f.Name, f.Text)
	}
	old, new, err := rulediff.Sides(context.Background(), b, rs)
	if err != nil {
		fmt.Fprintf(e.stderr, "note: no difference shown: %v\n", err)
	} else {
		rulediff.Compare(old, new).Write(e.stdout)
	}
	fmt.Fprintln(e.stderr, "dry run: nothing was changed")
	return nil
}
