// Package machine finds out what a machine's firewall is: the tables the
// kernel runs (iptables-legacy, iptables-nft, native nftables) and the
// files that load tables at boot (netfilter-persistent, iptables-services,
// nftables.service, ifupdown pre-up lines, ruleshift's own unit, ufw), each
// table with where it came from, which service loads it and whether it
// belongs to another tool (Docker, Kubernetes, libvirt, fail2ban).
//
// It sits at the very start of the flow, before translate's passes: it
// runs the listing tools (through a Runner, so that tests and --netns
// choose where) and hands their output to the frontends (translate/iptables
// for save text, translate/nft for nft's JSON, translate/ufw for ufw's
// files). import and drift (cmd/ruleshift) are built on it.
package machine

import (
	"fmt"
	"sort"
	"strings"

	"github.com/ruleshift/ruleshift/translate/diag"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// Source says which part of netfilter a table lives in.
type Source string

const (
	// Legacy is an iptables-legacy table (x_tables).
	Legacy Source = "legacy"
	// NFTCompat is a table iptables-nft made and lists.
	NFTCompat Source = "nft-compat"
	// Native is an nftables table nft made (ruleshift's own, firewalld's,
	// a hand-written nftables.conf).
	Native Source = "native nftables"
	// UFW is a table written as ufw's configuration.
	UFW Source = "ufw"
)

// Entry is one table of the model with where it came from.
type Entry struct {
	Table  *ir.Table
	Source Source
	// From is the tool or file it was read from: "iptables-legacy-save",
	// "/etc/iptables/rules.v4", "nft table inet filter".
	From string
	// Boot names what loads the table at boot ("netfilter-persistent.service
	// (/etc/iptables/rules.v4)"), "" when nothing is known to.
	Boot string
	// AtBoot is set on a root's entries whose loader is enabled: they
	// are what the machine loads at the next boot.
	AtBoot bool
}

// Key names the entry's table as the reports do: "ipv4 filter".
func (e *Entry) Key() string { return FamilyName(e.Table.Family) + " " + e.Table.Name }

// FamilyName is the family as the iptables tools name it.
func FamilyName(f ir.Family) string {
	switch f {
	case ir.IPv6:
		return "ipv6"
	case ir.Inet:
		return "inet"
	}
	return "ipv4"
}

// Left is a part of the firewall left out of the import because another
// tool owns it.
type Left struct {
	// Where names it: "ipv4 filter chain DOCKER", "nft table ip kube-proxy".
	Where string
	Owner string
	// Rules counts its rules; Jumps the rules of kept chains that jumped
	// to it and were left out with it.
	Rules, Jumps int
	From         string
}

// State is what was read of one side of a machine (its kernel, or its
// boot files).
type State struct {
	Entries []*Entry
	Left    []Left
	// Notes say what was read and skipped, for the report.
	Notes []string
	Diags *diag.List
	// root is set on what ReadRoot read: files that load one after the
	// other, not tables that run side by side.
	root bool
}

func newState() *State { return &State{Diags: &diag.List{}} }

func (s *State) notef(format string, args ...any) {
	s.Notes = append(s.Notes, fmt.Sprintf(format, args...))
}

// Options tune the readers.
type Options struct {
	// IncludeForeign keeps the tables and chains of Docker, Kubernetes,
	// libvirt and fail2ban.
	IncludeForeign bool
	// Sources, when set, keeps only entries of these sources.
	Sources []Source
}

func (o Options) wants(s Source) bool {
	if len(o.Sources) == 0 {
		return true
	}
	for _, w := range o.Sources {
		if w == s {
			return true
		}
	}
	return false
}

// add records the tables of rs as entries, leaving out foreign parts and
// tables that hold nothing but the kernel's defaults.
func (s *State) add(rs *ir.Ruleset, src Source, from string, o Options) []*Entry {
	var out []*Entry
	if !o.wants(src) {
		return nil
	}
	for _, t := range rs.Tables {
		if !o.IncludeForeign && s.dropForeign(t, from) {
			continue
		}
		if isDefault(t) {
			continue
		}
		e := &Entry{Table: t, Source: src, From: from}
		s.Entries = append(s.Entries, e)
		out = append(out, e)
	}
	return out
}

// isDefault reports whether a table holds what the kernel creates by
// itself (built-in chains accepting, no rule, no user chain): an
// iptables-legacy table the kernel keeps once anything touched it, which
// filters nothing.
func isDefault(t *ir.Table) bool {
	for _, c := range t.Chains {
		if len(c.Rules) > 0 || c.Base == nil || c.Base.Policy != ir.PolicyAccept {
			return false
		}
	}
	return len(t.Sets) == 0
}

// Ruleset joins the entries into one ruleset. Two entries of one family
// and table name cannot both go in: from the kernel, both run (each packet
// must pass both), which one table of the model cannot express; from a
// root, the one loaded last replaces the other, and only when exactly one
// of them loads at boot is it clear which. Anything else is an error.
func (s *State) Ruleset() (*ir.Ruleset, error) {
	rs := &ir.Ruleset{}
	seen := map[string]*Entry{}
	var clash []string
	for _, e := range s.Entries {
		k := e.Key()
		prev := seen[k]
		switch {
		case prev == nil:
			seen[k] = e
			rs.Tables = append(rs.Tables, e.Table)
			continue
		case s.root && prev.AtBoot != e.AtBoot && prev.Source == e.Source:
			keep, drop := prev, e
			if e.AtBoot {
				keep, drop = e, prev
				for i, t := range rs.Tables {
					if t == prev.Table {
						rs.Tables[i] = e.Table
					}
				}
				seen[k] = e
			}
			s.notef("table %s: %s is left out: %s loads %s at boot instead", k, drop.From, keep.Boot, keep.From)
			continue
		}
		clash = append(clash, fmt.Sprintf("table %s is held by %s (%s) and by %s (%s)", k, prev.Source, prev.From, e.Source, e.From))
	}
	if len(clash) > 0 {
		return nil, fmt.Errorf("%s: one ruleset cannot hold both (choose with --source where their sources differ)", strings.Join(clash, "; "))
	}
	return rs, nil
}

// SortEntries orders the entries by family, table and source, for stable
// reports.
func (s *State) SortEntries() {
	sort.SliceStable(s.Entries, func(i, j int) bool {
		a, b := s.Entries[i], s.Entries[j]
		if a.Key() != b.Key() {
			return a.Key() < b.Key()
		}
		return a.Source < b.Source
	})
}

// FromRuleset makes a State of a ruleset read from files (drift's
// SOURCE arguments), with the same foreign filter as the readers.
func FromRuleset(rs *ir.Ruleset, src Source, from string, o Options) *State {
	s := newState()
	s.add(rs, src, from, Options{IncludeForeign: o.IncludeForeign})
	return s
}

// Only returns the entries of s that keep accepts, in a State of the
// same kind (kernel or root), with s's notes and left-out parts.
func (s *State) Only(keep func(*Entry) bool) *State {
	out := &State{Left: s.Left, Notes: s.Notes, Diags: s.Diags, root: s.root}
	for _, e := range s.Entries {
		if keep(e) {
			out.Entries = append(out.Entries, e)
		}
	}
	return out
}

// AtBootOnly returns the entries of a root's State that load at boot,
// with a note for each one whose loader is off.
func (s *State) AtBootOnly() *State {
	out := &State{Left: s.Left, Notes: append([]string(nil), s.Notes...), Diags: s.Diags, root: s.root}
	for _, e := range s.Entries {
		if e.AtBoot {
			out.Entries = append(out.Entries, e)
			continue
		}
		out.notef("%s from %s is not loaded at boot: %s", e.Key(), e.From, e.Boot)
	}
	return out
}
