package iptables

import (
	"fmt"

	"github.com/ruleshift/ruleshift/internal/netfilter"
	"github.com/ruleshift/ruleshift/translate/diag"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// TableOrder is the order iptables-save prints tables in.
var TableOrder = []string{"raw", "mangle", "security", "nat", "filter"}

// IsBuiltin reports whether chain is a built-in chain of table.
func IsBuiltin(table, chain string) bool {
	for _, c := range netfilter.BuiltinChains(table) {
		if c == chain {
			return true
		}
	}
	return false
}

// NewTable returns a table as the kernel creates it: built-in chains with
// an ACCEPT policy and nothing else.
func NewTable(f ir.Family, name string, pos ir.Pos) *ir.Table {
	t := &ir.Table{Family: f, Name: name, Src: pos}
	for _, c := range netfilter.BuiltinChains(name) {
		t.Chains = append(t.Chains, &ir.Chain{Name: c, Base: baseOf(name, c), Src: pos})
	}
	return t
}

// tablePrio is the priority iptables-nft gives each table's base chains,
// so that tables run in the order the kernel's iptables runs them.
var tablePrio = map[string]int{"raw": -300, "mangle": -150, "nat": -100, "filter": 0, "security": 50}

var chainHook = map[string]ir.Hook{
	"PREROUTING": ir.HookPrerouting, "INPUT": ir.HookInput, "FORWARD": ir.HookForward,
	"OUTPUT": ir.HookOutput, "POSTROUTING": ir.HookPostrouting,
}

// BaseOf is the base chain that stands for a built-in chain of an iptables
// table, with an ACCEPT policy; nil for a user chain.
func BaseOf(table, chain string) *ir.BaseChain {
	if !IsBuiltin(table, chain) {
		return nil
	}
	return baseOf(table, chain)
}

// baseOf is the base chain that stands for a built-in chain: filter type
// but for nat, and mangle OUTPUT, which reroutes; nat's source-NAT hooks
// (INPUT, POSTROUTING) run at 100.
func baseOf(table, chain string) *ir.BaseChain {
	b := &ir.BaseChain{Hook: chainHook[chain], Priority: tablePrio[table], Policy: ir.PolicyAccept}
	switch {
	case table == "nat":
		b.Type = ir.TypeNAT
		if chain == "INPUT" || chain == "POSTROUTING" {
			b.Priority = 100
		}
	case table == "mangle" && chain == "OUTPUT":
		b.Type = ir.TypeRoute
	}
	return b
}

// Editor applies iptables commands to a ruleset with the kernel's rules:
// what iptables would refuse is an error at the command's position.
type Editor struct {
	RS    *ir.Ruleset
	Diags *diag.List
}

// table returns the table, creating it as the kernel does on first use.
func (e *Editor) table(f ir.Family, name string, pos ir.Pos) *ir.Table {
	if t := e.RS.Table(f, name); t != nil {
		return t
	}
	t := NewTable(f, name, pos)
	e.RS.Tables = append(e.RS.Tables, t)
	return t
}

// Apply carries out one command for family f.
func (e *Editor) Apply(cmd *Command, f ir.Family) {
	tname := cmd.Table
	if tname == "" {
		tname = "filter"
	}
	t := e.table(f, tname, cmd.Pos)
	chainPos := cmd.ChainPos
	if chainPos.IsZero() {
		chainPos = cmd.Pos
	}
	need := func() *ir.Chain {
		c := t.Chain(cmd.Chain)
		if c == nil {
			e.Diags.Errorf(chainPos, "chain %q does not exist in table %s%s", cmd.Chain, tname, chainHint(t, cmd.Chain))
		}
		return c
	}
	switch cmd.Op {
	case OpAppend, OpInsert, OpReplace:
		c := need()
		if c == nil || !e.checkTargets(t, cmd) {
			return
		}
		switch cmd.Op {
		case OpAppend:
			c.Rules = append(c.Rules, cmd.Rules...)
		case OpInsert:
			at := max(cmd.Num, 1) - 1
			if at > len(c.Rules) {
				e.Diags.Errorf(cmd.Pos, "index of insertion too big: chain %q has %s", c.Name, plural(len(c.Rules), "rule"))
				return
			}
			c.Rules = append(c.Rules[:at], append(append([]*ir.Rule{}, cmd.Rules...), c.Rules[at:]...)...)
		case OpReplace:
			if len(cmd.Rules) != 1 {
				e.Diags.Errorf(cmd.Pos, "-R needs exactly one rule, but the addresses expand to %d", len(cmd.Rules))
				return
			}
			if cmd.Num > len(c.Rules) {
				e.Diags.Errorf(cmd.Pos, "index of replacement too big: chain %q has %s", c.Name, plural(len(c.Rules), "rule"))
				return
			}
			c.Rules[cmd.Num-1] = cmd.Rules[0]
		}
	case OpDelete:
		c := need()
		if c == nil {
			return
		}
		if cmd.Num > 0 {
			if cmd.Num > len(c.Rules) {
				e.Diags.Errorf(cmd.Pos, "index of deletion too big: chain %q has %s", c.Name, plural(len(c.Rules), "rule"))
				return
			}
			c.Rules = append(c.Rules[:cmd.Num-1], c.Rules[cmd.Num:]...)
			return
		}
		// Addresses may expand one -D into several rules; iptables deletes
		// all of them or, when one is missing, none.
		kept := &ir.Chain{Rules: append([]*ir.Rule(nil), c.Rules...)}
		for _, r := range cmd.Rules {
			i := findRule(kept, r)
			if i < 0 {
				e.Diags.Errorf(cmd.Pos, "bad rule: no rule in chain %q matches the one to delete", c.Name)
				return
			}
			kept.Rules = append(kept.Rules[:i], kept.Rules[i+1:]...)
		}
		c.Rules = kept.Rules
	case OpCheck, OpList, OpListRules, OpHelp, OpNone:
	case OpNewChain:
		if err := checkChainName(cmd.Chain, f); err != nil {
			e.Diags.Errorf(chainPos, "%v", err)
			return
		}
		if t.Chain(cmd.Chain) != nil {
			e.Diags.Errorf(chainPos, "chain %q already exists in table %s", cmd.Chain, tname)
			return
		}
		t.Chains = append(t.Chains, &ir.Chain{Name: cmd.Chain, Src: cmd.Pos})
	case OpDeleteChain:
		e.deleteChains(t, cmd, chainPos)
	case OpFlush:
		if cmd.Chain == "" {
			for _, c := range t.Chains {
				c.Rules = nil
			}
			return
		}
		if c := need(); c != nil {
			c.Rules = nil
		}
	case OpZero:
		if cmd.Chain != "" && need() == nil {
			return
		}
		for _, c := range t.Chains {
			if cmd.Chain == "" || c.Name == cmd.Chain {
				c.Counters = nil
				for _, r := range c.Rules {
					r.Counters = nil
				}
			}
		}
	case OpPolicy:
		c := need()
		if c == nil {
			return
		}
		if !c.IsBase() {
			e.Diags.Errorf(chainPos, "bad built-in chain name %q: only built-in chains have a policy", cmd.Chain)
			return
		}
		c.Base.Policy = cmd.Policy
	case OpRename:
		c := need()
		if c == nil {
			return
		}
		if c.IsBase() {
			e.Diags.Errorf(chainPos, "cannot rename built-in chain %q", c.Name)
			return
		}
		if err := checkChainName(cmd.NewName, f); err != nil {
			e.Diags.Errorf(cmd.Pos, "%v", err)
			return
		}
		if t.Chain(cmd.NewName) != nil {
			e.Diags.Errorf(cmd.Pos, "chain %q already exists in table %s", cmd.NewName, tname)
			return
		}
		for _, ch := range t.Chains {
			for _, r := range ch.Rules {
				if j, ok := r.Target.(*ir.Jump); ok && j.Chain == c.Name {
					r.Target = &ir.Jump{At: j.At, Chain: cmd.NewName, Goto: j.Goto}
				}
			}
		}
		c.Name = cmd.NewName
	}
}

func (e *Editor) deleteChains(t *ir.Table, cmd *Command, pos ir.Pos) {
	var victims []*ir.Chain
	if cmd.Chain != "" {
		c := t.Chain(cmd.Chain)
		if c == nil {
			e.Diags.Errorf(pos, "chain %q does not exist in table %s", cmd.Chain, t.Name)
			return
		}
		if c.IsBase() {
			e.Diags.Errorf(pos, "cannot delete built-in chain %q", c.Name)
			return
		}
		victims = []*ir.Chain{c}
	} else {
		for _, c := range t.Chains {
			if !c.IsBase() {
				victims = append(victims, c)
			}
		}
	}
	gone := map[*ir.Chain]bool{}
	for _, c := range victims {
		gone[c] = true
	}
	for _, c := range victims {
		if len(c.Rules) > 0 {
			e.Diags.Errorf(pos, "cannot delete chain %q: it still holds %s (flush it with -F first)", c.Name, plural(len(c.Rules), "rule"))
			return
		}
		for _, other := range t.Chains {
			if gone[other] {
				continue
			}
			for _, r := range other.Rules {
				if j, ok := r.Target.(*ir.Jump); ok && j.Chain == c.Name {
					e.Diags.Errorf(pos, "cannot delete chain %q: chain %q still jumps to it (%s)", c.Name, other.Name, r.Src)
					return
				}
			}
		}
	}
	kept := t.Chains[:0]
	for _, c := range t.Chains {
		if !gone[c] {
			kept = append(kept, c)
		}
	}
	t.Chains = kept
}

// checkTargets verifies that jumps go to existing user chains.
func (e *Editor) checkTargets(t *ir.Table, cmd *Command) bool {
	for _, r := range cmd.Rules {
		j, ok := r.Target.(*ir.Jump)
		if !ok {
			continue
		}
		c := t.Chain(j.Chain)
		switch {
		case c == nil:
			e.Diags.Errorf(cmd.Pos, "target %q is neither a target iptables knows nor a chain of table %s%s", j.Chain, t.Name, chainHint(t, j.Chain))
			return false
		case c.IsBase():
			e.Diags.Errorf(cmd.Pos, "cannot jump to built-in chain %q", j.Chain)
			return false
		}
	}
	return true
}

func chainHint(t *ir.Table, name string) string {
	var names []string
	for _, c := range t.Chains {
		names = append(names, c.Name)
	}
	names = append(names, targetNames(t.Family)...)
	if s := diag.Suggest(name, names); s != "" {
		return fmt.Sprintf(" (did you mean %q?)", s)
	}
	return ""
}

// maxChainName is XT_EXTENSION_MAXNAMELEN less the NUL.
const maxChainName = 28

func checkChainName(name string, f ir.Family) error {
	switch {
	case name == "":
		return fmt.Errorf("empty chain name")
	case len(name) > maxChainName:
		return fmt.Errorf("chain name %q is longer than %d characters", name, maxChainName)
	case name[0] == '-' || name[0] == '!':
		return fmt.Errorf("chain name %q may not start with %q", name, name[0])
	case findTarget(name, f) != nil:
		return fmt.Errorf("chain name %q clashes with the target of that name", name)
	}
	for _, c := range name {
		if c == ' ' || c == '\t' {
			return fmt.Errorf("chain name %q contains a blank", name)
		}
	}
	return nil
}

// findRule returns the index of the first rule equal to r, as -D does.
func findRule(c *ir.Chain, r *ir.Rule) int {
	for i, x := range c.Rules {
		if SameRule(x, r) {
			return i
		}
	}
	return -1
}

// SameRule reports whether two rules match and act alike, ignoring
// positions and counters, which is how -D finds a rule.
func SameRule(a, b *ir.Rule) bool {
	if len(a.Matches) != len(b.Matches) || !ir.Equal(a.Target, b.Target) {
		return false
	}
	for i := range a.Matches {
		if !sameMatch(a.Matches[i], b.Matches[i]) {
			return false
		}
	}
	return true
}

// sameMatch compares matches as the kernel holds them: an address added
// through a host name is the same as the address itself.
func sameMatch(a, b ir.Match) bool {
	if x, ok := a.(*ir.Addr); ok {
		y, ok := b.(*ir.Addr)
		if !ok {
			return false
		}
		xc, yc := *x, *y
		xc.Host, yc.Host = "", ""
		return ir.Equal(&xc, &yc)
	}
	return ir.Equal(a, b)
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
