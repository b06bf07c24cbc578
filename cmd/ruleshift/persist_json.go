package main

import (
	"fmt"

	"github.com/ruleshift/ruleshift/persist"
)

// persistJSON is persist --json, with or without --dry-run
// (schema/persist.v1.json).
type persistJSON struct {
	Version      int               `json:"version"`
	DryRun       bool              `json:"dry_run"`
	Root         string            `json:"root"`
	Distribution string            `json:"distribution"`
	Method       nameWhy           `json:"method"`
	Backend      nameWhy           `json:"backend"`
	Changed      bool              `json:"changed"`
	Files        []persistFileJSON `json:"files"`
	Services     []persistSvcJSON  `json:"services"`
	Undone       []string          `json:"undone"`
	Notes        []string          `json:"notes"`
}

type persistFileJSON struct {
	Path    string `json:"path"`
	Created bool   `json:"created"`
	// Removed: an earlier persist's file this one takes away.
	Removed bool   `json:"removed"`
	Mode    string `json:"mode"`
	// Diff is a unified diff of the file, /dev/null for a new one.
	Diff string `json:"diff"`
}

type persistSvcJSON struct {
	Unit   string `json:"unit"`
	Action string `json:"action"`
	Links  string `json:"links"`
}

func persistToJSON(o persist.Options, d *persist.Decision, p *persist.Plan, r *persist.Report) persistJSON {
	out := persistJSON{Version: jsonVersion, DryRun: o.DryRun, Root: o.Root, Changed: r.Changed,
		Files: []persistFileJSON{}, Services: []persistSvcJSON{}, Undone: orEmptyList(r.Undone), Notes: orEmptyList(p.Notes)}
	if d.Profile != nil {
		out.Distribution = d.Profile.Name
	}
	out.Method = nameWhy{p.Method, d.Choice.MethodWhy}
	out.Backend = nameWhy{p.Backend, d.Choice.BackendWhy}
	for _, f := range r.Files {
		from, to := f.Path, f.Path
		if !f.BeforeExists {
			from = "/dev/null"
		}
		if !f.AfterExists {
			to = "/dev/null"
		}
		out.Files = append(out.Files, persistFileJSON{Path: f.Path, Created: !f.BeforeExists, Removed: !f.AfterExists, Mode: fmt.Sprintf("%04o", f.AfterMode), Diff: persist.UnifiedDiff(from, to, f.Before, f.After)})
	}
	for _, s := range r.Services {
		out.Services = append(out.Services, persistSvcJSON{s.Unit, string(s.Action), s.Links})
	}
	return out
}
