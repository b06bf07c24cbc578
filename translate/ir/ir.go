// Package ir is ruleshift's intermediate rule model: the one shape every
// frontend (iptables-save files, shell scripts, TOML policy) parses into and
// every backend (nftables, iptables-legacy, iptables-nft, ufw) renders from.
//
// It holds plain data and nothing else: no I/O, no imports of frontends or
// backends. Matches and targets are sealed interfaces with one small struct
// per kind, parsed once into real types, so a backend never re-parses text.
// Every node keeps the source position it came from so that an error found
// late (say, by a renderer) still points at the user's line.
package ir

import "fmt"

// Pos is a source position. Line and Col are 1-based; a zero Pos means the
// node was made by ruleshift itself.
type Pos struct {
	File string
	Line int
	Col  int
}

func (p Pos) String() string {
	switch {
	case p.File == "" && p.Line == 0:
		return "-"
	case p.Line == 0:
		return p.File
	case p.Col == 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// IsZero reports whether p carries no position.
func (p Pos) IsZero() bool { return p == Pos{} }

// Family is the address family of a table.
type Family uint8

const (
	IPv4 Family = iota + 1
	IPv6
	// Inet is nftables' mixed family: one table for IPv4 and IPv6. No
	// iptables input produces it; a pass may merge ipv4 and ipv6 tables
	// that hold the same rules into one.
	Inet
)

// String returns the nft family keyword.
func (f Family) String() string {
	switch f {
	case IPv4:
		return "ip"
	case IPv6:
		return "ip6"
	case Inet:
		return "inet"
	}
	return "unknown"
}

// Ruleset is everything ruleshift read: tables of one or both families.
type Ruleset struct {
	Tables []*Table
}

// Table returns the table of the given family and name, or nil.
func (rs *Ruleset) Table(f Family, name string) *Table {
	for _, t := range rs.Tables {
		if t.Family == f && t.Name == name {
			return t
		}
	}
	return nil
}

// Families lists the families present, IPv4 first, inet last.
func (rs *Ruleset) Families() []Family {
	var has [4]bool
	for _, t := range rs.Tables {
		has[t.Family] = true
	}
	var out []Family
	for _, f := range []Family{IPv4, IPv6, Inet} {
		if has[f] {
			out = append(out, f)
		}
	}
	return out
}

// RuleCount counts the rules of every chain of every table.
func (rs *Ruleset) RuleCount() int {
	n := 0
	for _, t := range rs.Tables {
		for _, c := range t.Chains {
			n += len(c.Rules)
		}
	}
	return n
}

// Table is one iptables table (filter, nat, mangle, raw, security) of one
// family.
type Table struct {
	Family Family
	Name   string
	Chains []*Chain
	// Sets are the named sets the table's rules refer to (SetRef).
	Sets []*Set
	Src  Pos
}

// Set returns the set with the given name, or nil.
func (t *Table) Set(name string) *Set {
	for _, s := range t.Sets {
		if s.Name == name {
			return s
		}
	}
	return nil
}

// Chain returns the chain with the given name, or nil.
func (t *Table) Chain(name string) *Chain {
	for _, c := range t.Chains {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// Policy is the verdict of a built-in chain when no rule decides.
type Policy uint8

const (
	PolicyNone   Policy = iota // user chain: falls back to the caller
	PolicyAccept               // ACCEPT
	PolicyDrop                 // DROP
)

func (p Policy) String() string {
	switch p {
	case PolicyAccept:
		return "ACCEPT"
	case PolicyDrop:
		return "DROP"
	}
	return "-"
}

// Counters are packet and byte counts carried over from a save file.
type Counters struct {
	Packets, Bytes uint64
}

// Chain is a base chain (attached to a hook, with a policy) or a user
// chain (Base is nil), reached only by jumps.
type Chain struct {
	Name     string
	Base     *BaseChain
	Counters *Counters
	Rules    []*Rule
	Src      Pos
	// MirrorOf is set only on the chains passes.CtMirror adds to a raw
	// table: it names the raw chain whose control flow the chain repeats
	// after conntrack, to give new connections the helpers and event
	// masks of its CT rules. A backend renders such a chain's CT targets
	// as assignments to the connection followed by accept, counts none
	// of its rules (the raw chain's rules count the packets), and
	// reports none of its rules' problems (they are the raw rules').
	MirrorOf string
}

// IsBase reports whether the chain is attached to a hook.
func (c *Chain) IsBase() bool { return c.Base != nil }

// PolicyOf returns the chain's policy: PolicyNone for a user chain.
func (c *Chain) PolicyOf() Policy {
	if c.Base == nil {
		return PolicyNone
	}
	return c.Base.Policy
}

// ChainType is the nf_tables chain type of a base chain.
type ChainType uint8

const (
	TypeFilter ChainType = iota
	TypeNAT
	// TypeRoute reroutes a packet whose mark or addresses a rule changed
	// (iptables' mangle OUTPUT).
	TypeRoute
)

func (t ChainType) String() string {
	switch t {
	case TypeNAT:
		return "nat"
	case TypeRoute:
		return "route"
	}
	return "filter"
}

// Hook is the netfilter hook a base chain is attached to.
type Hook uint8

const (
	HookPrerouting Hook = iota
	HookInput
	HookForward
	HookOutput
	HookPostrouting
)

// hookNames are nft's hook keywords, by Hook (which is also the kernel's
// NF_INET_* number).
var hookNames = [...]string{"prerouting", "input", "forward", "output", "postrouting"}

func (h Hook) String() string {
	if int(h) < len(hookNames) {
		return hookNames[h]
	}
	return "unknown"
}

// BaseChain is what makes a chain a base chain: its type, hook, priority
// (lower runs first; iptables' tables sit at fixed priorities, raw -300 to
// security 50) and the verdict when no rule decides.
type BaseChain struct {
	Type     ChainType
	Hook     Hook
	Priority int
	Policy   Policy
}

// Rule is one rule: matches, all of which must hold, and an optional target.
// A rule without a target only counts packets.
type Rule struct {
	Matches  []Match
	Target   Target // nil: no target
	Counters *Counters
	Src      Pos
}

// Comment returns the text of the rule's comment matches joined by a space.
func (r *Rule) Comment() string {
	s := ""
	for _, m := range r.Matches {
		if c, ok := m.(*Comment); ok {
			if s != "" {
				s += " "
			}
			s += c.Text
		}
	}
	return s
}

// At is the source span of one match or target: the option it was written
// with (the "--dport" of "-p tcp --dport 22", the "-j" of a target), so
// that a diagnostic about that match points at it rather than at the rule.
// Every match and target kind embeds it.
type At struct {
	Src Pos
}

// Pos returns where the match or target was written; zero when ruleshift
// made it.
func (a *At) Pos() Pos { return a.Src }

// SetPos records where the match or target was written.
func (a *At) SetPos(p Pos) { a.Src = p }

// Match is a condition on a packet. The set of kinds is closed: only types in
// this package implement it. Which iptables module a kind is written with is
// the iptables renderer's business, not the model's.
type Match interface {
	Pos() Pos
	SetPos(Pos)
	isMatch()
}

// Target is what happens to a packet that matches. Closed like Match.
type Target interface {
	// Name is the iptables target name ("ACCEPT", "DNAT", or a chain name
	// for jumps).
	Name() string
	Pos() Pos
	SetPos(Pos)
	isTarget()
}

// PosOf returns the position of a match or target, falling back to the
// rule's when the node has none (made by a pass, or by a frontend that
// tracks no columns).
func PosOf(node interface{ Pos() Pos }, r *Rule) Pos {
	if node != nil {
		if p := node.Pos(); !p.IsZero() {
			return p
		}
	}
	if r == nil {
		return Pos{}
	}
	return r.Src
}
