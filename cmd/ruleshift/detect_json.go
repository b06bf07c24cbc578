package main

import (
	"github.com/ruleshift/ruleshift/distros"
	"github.com/ruleshift/ruleshift/persist"
)

// detectJSON is detect --json (schema/detect.v1.json).
type detectJSON struct {
	Version      int          `json:"version"`
	Distribution distroJSON   `json:"distribution"`
	Profile      *nameWhy     `json:"profile"`
	IPTables     iptablesJSON `json:"iptables"`
	Services     []unitJSON   `json:"services"`
	Ifupdown     ifupdownJSON `json:"ifupdown"`
	Network      []string     `json:"network"`
	Method       *nameWhy     `json:"method"`
	Backend      *nameWhy     `json:"backend"`
	Notes        []string     `json:"notes"`
	Error        string       `json:"error,omitempty"`
}

type distroJSON struct {
	ID      string `json:"id"`
	Version string `json:"version_id"`
	Pretty  string `json:"pretty_name"`
	From    string `json:"from"`
	Error   string `json:"error,omitempty"`
}

type nameWhy struct {
	Name string `json:"name"`
	Why  string `json:"why"`
}

type iptablesJSON struct {
	// Variant is "nft", "legacy" or "" when unknown.
	Variant string `json:"variant"`
	From    string `json:"from"`
	// Mixed: legacy and nft tables both hold rules (null when not checked).
	Mixed *bool `json:"mixed"`
}

type unitJSON struct {
	Unit      string `json:"unit"`
	Installed bool   `json:"installed"`
	Path      string `json:"path,omitempty"`
	AliasOf   string `json:"alias_of,omitempty"`
	Enabled   bool   `json:"enabled"`
	Masked    bool   `json:"masked"`
	Active    bool   `json:"active,omitempty"`
}

type ifupdownJSON struct {
	Used bool   `json:"used"`
	Why  string `json:"why"`
}

func detectToJSON(d *persist.Decision, err error) detectJSON {
	f := d.Facts
	out := detectJSON{Version: jsonVersion, Notes: []string{}, Network: orEmptyList(f.Network), Services: []unitJSON{}}
	out.Distribution = distroJSON{ID: f.OS.ID, Version: f.OS.VersionID, Pretty: f.OS.PrettyName, From: f.OS.Path}
	if f.OSErr != nil {
		out.Distribution.Error = f.OSErr.Error()
	}
	if d.Profile != nil {
		out.Profile = &nameWhy{d.Profile.Name, d.How}
	}
	out.IPTables = iptablesJSON{Variant: f.Variant, From: f.VariantFrom}
	if f.MixedChecked {
		m := f.Mixed
		out.IPTables.Mixed = &m
	}
	for _, name := range distros.FirewallUnits {
		u := f.Units[name]
		out.Services = append(out.Services, unitJSON{Unit: name, Installed: u.Path != "" && !u.Dangling, Path: u.Path, AliasOf: u.AliasOf,
			Enabled: u.Enabled, Masked: u.Masked, Active: name == "ufw.service" && f.UFWActive})
	}
	out.Ifupdown = ifupdownJSON{f.Ifupdown, f.IfupdownWhy}
	if err != nil {
		out.Error = err.Error()
		return out
	}
	ch := d.Choice
	out.Method, out.Backend = &nameWhy{ch.Method, ch.MethodWhy}, &nameWhy{ch.Backend, ch.BackendWhy}
	out.Notes = orEmptyList(ch.Notes)
	return out
}
