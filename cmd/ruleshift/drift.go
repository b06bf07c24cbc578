package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/ruleshift/ruleshift/machine"
	"github.com/ruleshift/ruleshift/translate/diag"
)

type driftCmd struct {
	machineFlags
	inputFlags
	JSON bool `name:"json" help:"Print the report as JSON (with a \"version\" field), for monitoring."`
}

func (c *driftCmd) Run(e *env) error {
	o, err := c.options()
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	kernel := machine.ReadLive(ctx, liveRunner(c.Netns), o)
	boot := machine.ReadRoot(c.Root, o).AtBootOnly()
	sides := []machine.Side{{Name: "boot", State: boot}, {Name: "kernel", State: kernel}}
	if len(c.Files) > 0 {
		// The sources are read as translate reads them (same flags).
		rs, err := c.inputFlags.load(e)
		if err != nil {
			return err
		}
		sides = append([]machine.Side{{Name: "source", State: machine.FromRuleset(rs, "source", strings.Join(c.Files, ", "), o)}}, sides...)
	}
	d := &diag.List{}
	canon := map[string]map[string][]string{}
	for _, s := range sides {
		d.Add(s.State.Diags)
		ch, cd := machine.Canonical(s.State)
		d.Add(cd)
		canon[s.Name] = ch
	}
	if err := report(e, d); err != nil {
		return err
	}
	var notes []string
	for _, s := range sides {
		for _, n := range s.State.Notes {
			notes = append(notes, s.Name+": "+n)
		}
	}
	if !c.JSON {
		for _, n := range notes {
			fmt.Fprintf(e.stderr, "drift: note: %s\n", n)
		}
	}
	// The boot files against the kernel, then each against the sources.
	pairs := [][2]string{{"boot", "kernel"}}
	if len(c.Files) > 0 {
		pairs = append(pairs, [2]string{"source", "kernel"}, [2]string{"source", "boot"})
	}
	dr := machine.Drift{Version: machine.DriftVersion, Agree: true, Notes: notes}
	for _, p := range pairs {
		cmp := machine.Compare(p[0], canon[p[0]], p[1], canon[p[1]])
		if cmp.Chains == nil {
			cmp.Chains = []machine.ChainDrift{}
		}
		dr.Agree = dr.Agree && !cmp.Differs()
		dr.Comparisons = append(dr.Comparisons, cmp)
	}
	if c.JSON {
		enc := json.NewEncoder(e.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(dr); err != nil {
			return err
		}
	} else {
		var b strings.Builder
		for i, cmp := range dr.Comparisons {
			if i > 0 {
				b.WriteByte('\n')
			}
			cmp.WriteText(&b)
		}
		fmt.Fprint(e.stdout, b.String())
	}
	if !dr.Agree {
		return &exitError{code: exitDrift}
	}
	return nil
}
