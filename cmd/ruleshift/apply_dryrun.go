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

func dryRun(e *env, rs *ir.Ruleset, b backends.Backend, asJSON bool) error {
	files, _ := b.Render(rs, backends.RenderOptions{})
	old, new, err := rulediff.Sides(context.Background(), b, rs)
	if asJSON {
		return writeJSON(e.stdout, applyDryRunToJSON(b, files, old, new, err))
	}
	for _, f := range files.Of(backends.RoleRules) {
		fmt.Fprintf(e.stdout, "# would be loaded by %s (%s):\n%s", b.Name(), f.Name, f.Text)
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "note: no difference shown: %v\n", err)
	} else {
		rulediff.Compare(old, new).Write(e.stdout)
	}
	fmt.Fprintln(e.stderr, "dry run: nothing was changed")
	return nil
}

// applyDryRunJSON is apply --dry-run --json (schema/apply-dry-run.v1.json).
type applyDryRunJSON struct {
	Version int           `json:"version"`
	Backend string        `json:"backend"`
	Files   []fileJSON    `json:"files"`
	Diff    *ruleDiffJSON `json:"diff"`
	NoDiff  string        `json:"no_diff,omitempty"`
	Changed bool          `json:"changed"`
}

type fileJSON struct {
	Name string `json:"name"`
	Text string `json:"text"`
}

// ruleDiffJSON is a rulediff.Diff: per chain the rules only one side has
// and the rules that changed place.
type ruleDiffJSON struct {
	Added   int             `json:"added"`
	Removed int             `json:"removed"`
	Moved   int             `json:"moved"`
	Same    int             `json:"same"`
	Chains  []chainDiffJSON `json:"chains"`
}

type chainDiffJSON struct {
	Chain   string     `json:"chain"`
	Added   []string   `json:"added"`
	Removed []string   `json:"removed"`
	Moved   []moveJSON `json:"moved"`
}

type moveJSON struct {
	Rule string `json:"rule"`
	From int    `json:"from"`
	To   int    `json:"to"`
}

func ruleDiffToJSON(d *rulediff.Diff) *ruleDiffJSON {
	out := &ruleDiffJSON{Added: d.Added, Removed: d.Removed, Moved: d.Moved, Same: d.Same, Chains: []chainDiffJSON{}}
	for _, c := range d.Chains {
		j := chainDiffJSON{Chain: c.Chain, Added: orEmptyList(c.Added), Removed: orEmptyList(c.Removed), Moved: []moveJSON{}}
		for _, m := range c.Moved {
			j.Moved = append(j.Moved, moveJSON{m.Line, m.From, m.To})
		}
		out.Chains = append(out.Chains, j)
	}
	return out
}

func applyDryRunToJSON(b backends.Backend, files backends.Files, old, new rulediff.Chains, err error) applyDryRunJSON {
	out := applyDryRunJSON{Version: jsonVersion, Backend: b.Name(), Files: []fileJSON{}}
	for _, f := range files.Of(backends.RoleRules) {
		out.Files = append(out.Files, fileJSON{f.Name, f.Text})
	}
	if err != nil {
		out.NoDiff, out.Changed = err.Error(), true
		return out
	}
	d := rulediff.Compare(old, new)
	out.Diff = ruleDiffToJSON(d)
	out.Changed = d.Added+d.Removed+d.Moved > 0 || len(d.Chains) > 0
	return out
}
