package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/ruleshift/ruleshift/distros"
	"github.com/ruleshift/ruleshift/persist"
)

type detectCmd struct {
	rootFlag
	JSON bool `name:"json" help:"Print the findings as one JSON object (schema/detect.v1.json)."`
}

func (c *detectCmd) Run(e *env) error {
	d, err := persist.Decide(persist.Options{Root: c.Root, Probe: liveProbe})
	if c.JSON {
		return writeJSON(e.stdout, detectToJSON(d, err))
	}
	w := e.stdout
	f := d.Facts
	if f.OSErr != nil {
		fmt.Fprintf(w, "distribution: unknown: %v\n", f.OSErr)
	} else {
		fmt.Fprintf(w, "distribution: %s (%s) from %s\n", f.OS, f.OS.PrettyName, f.OS.Path)
	}
	if d.Profile != nil {
		fmt.Fprintf(w, "profile: %s (%s)\n", d.Profile.Name, d.How)
	}
	variant := "unknown"
	if f.Variant != "" {
		variant = "iptables-" + f.Variant
	}
	fmt.Fprintf(w, "iptables: %s (%s)\n", variant, f.VariantFrom)
	switch {
	case !f.MixedChecked:
		fmt.Fprintf(w, "legacy and nft tables: not checked (only on the running system)\n")
	case f.Mixed:
		fmt.Fprintf(w, "legacy and nft tables: both hold rules: a hazard, since both apply to every packet\n")
	default:
		fmt.Fprintf(w, "legacy and nft tables: not both in use\n")
	}
	writeServices(w, f)
	writeNetwork(w, f)
	if err != nil {
		fmt.Fprintf(w, "method: none: %v\n", err)
		return nil
	}
	ch := d.Choice
	fmt.Fprintf(w, "method: %s: %s\nbackend: %s: %s\n", ch.Method, ch.MethodWhy, ch.Backend, ch.BackendWhy)
	for _, n := range ch.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	return nil
}

func writeServices(w io.Writer, f *distros.Facts) {
	fmt.Fprintf(w, "services:\n")
	for _, name := range distros.FirewallUnits {
		u := f.Units[name]
		var st []string
		switch {
		case u.Masked:
			st = append(st, "masked")
		case u.Dangling:
			st = append(st, "not installed (dangling link in /etc/systemd/system)")
		case u.Path == "":
			st = append(st, "not installed")
		default:
			if u.AliasOf != "" {
				st = append(st, "alias of "+u.AliasOf)
			} else {
				st = append(st, "installed ("+u.Path+")")
			}
			if u.Enabled {
				st = append(st, "enabled")
			} else {
				st = append(st, "disabled")
			}
		}
		if name == "ufw.service" && f.UFWActive {
			st = append(st, "active (ENABLED=yes)")
		}
		fmt.Fprintf(w, "  %-29s %s\n", name, strings.Join(st, ", "))
	}
}

func writeNetwork(w io.Writer, f *distros.Facts) {
	fmt.Fprintf(w, "ifupdown: %s\n", f.IfupdownWhy)
	if len(f.Network) > 0 {
		fmt.Fprintf(w, "network: %s\n", strings.Join(f.Network, ", "))
	}
}
