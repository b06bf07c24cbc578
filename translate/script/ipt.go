package script

import (
	"net/netip"
	"strings"

	"mvdan.cc/sh/v3/interp"

	"github.com/ruleshift/ruleshift/translate/diag"
	"github.com/ruleshift/ruleshift/translate/iptables"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// iptablesTools maps the names of the rule-editing tools to their family.
var iptablesTools = map[string]ir.Family{
	"iptables": ir.IPv4, "iptables-legacy": ir.IPv4, "iptables-nft": ir.IPv4,
	"ip6tables": ir.IPv6, "ip6tables-legacy": ir.IPv6, "ip6tables-nft": ir.IPv6,
}

var restoreTools = map[string]ir.Family{
	"iptables-restore": ir.IPv4, "iptables-legacy-restore": ir.IPv4, "iptables-nft-restore": ir.IPv4,
	"ip6tables-restore": ir.IPv6, "ip6tables-legacy-restore": ir.IPv6, "ip6tables-nft-restore": ir.IPv6,
}

func isSaveTool(name string) bool {
	switch name {
	case "iptables-save", "iptables-legacy-save", "iptables-nft-save",
		"ip6tables-save", "ip6tables-legacy-save", "ip6tables-nft-save":
		return true
	}
	return false
}

// isTool reports whether a file name is one of the iptables tools.
func isTool(name string) bool {
	_, a := iptablesTools[name]
	_, b := restoreTools[name]
	return a || b || isSaveTool(name)
}

// iptables applies one iptables/ip6tables invocation to the model.
func (c *cmdCtx) iptables(fam ir.Family, tool string, args []string, pos []ir.Pos) error {
	s := c.u.s
	refused := refusal{tool: tool, parse: true}
	if len(args) == 0 {
		var d diag.List
		d.Errorf(c.pos, "%s needs a command, such as -A CHAIN", tool)
		c.settle(&d, refused)
		return interp.NewExitStatus(2)
	}
	toks := make([]iptables.Token, len(args))
	for i, a := range args {
		toks[i] = iptables.Token{Text: a, Pos: pos[i]}
	}
	cmd, d := iptables.ParseCommand(toks, iptables.ParseOptions{Family: fam, Resolve: s.o.Resolve})
	if d.HasErrors() {
		refused.own = s.ownRefusal(args, fam)
		c.settle(d, refused)
		return interp.NewExitStatus(2)
	}
	s.addAll(d, "")
	if cmd.OnlyFamily != 0 && cmd.OnlyFamily != fam {
		var d diag.List
		d.Errorf(cmd.Pos, "%s is the %s tool, but the command asks for %s only (use %s)", tool, fam, cmd.OnlyFamily, map[ir.Family]string{ir.IPv4: "iptables", ir.IPv6: "ip6tables"}[cmd.OnlyFamily])
		c.settle(&d, refused)
		return interp.NewExitStatus(2)
	}
	for _, h := range cmd.Hosts {
		s.warnf(h.Pos, "host name %q pinned at translate time to %s (iptables resolves it when the rule is added; the kernel keeps only the addresses)", h.Name, joinAddrs(h.Addrs))
	}
	if cmd.Op == iptables.OpCheck {
		return c.check(cmd, fam)
	}
	var ed diag.List
	s.mu.Lock()
	(&iptables.Editor{RS: s.rs, Diags: &ed}).Apply(cmd, fam)
	code := uint8(1)
	if jumpsNowhere(s.rs, cmd, fam) {
		code = 2 // iptables fails to load the target: a usage error
	}
	s.mu.Unlock()
	if ed.HasErrors() {
		c.settle(&ed, refusal{tool: tool, own: s.ownRefusal(args, fam)})
		return interp.NewExitStatus(code)
	}
	s.addAll(&ed, "")
	return nil
}

// check implements -C: status 0 when the rule is there, 1 when not. It is
// a question, so a "no" is not a diagnostic.
func (c *cmdCtx) check(cmd *iptables.Command, fam ir.Family) error {
	s := c.u.s
	s.mu.Lock()
	defer s.mu.Unlock()
	var ed diag.List
	(&iptables.Editor{RS: s.rs, Diags: &ed}).Apply(cmd, fam) // loads the table, as -C does
	tname := cmd.Table
	if tname == "" {
		tname = "filter"
	}
	t := s.rs.Table(fam, tname)
	var ch *ir.Chain
	if t != nil {
		ch = t.Chain(cmd.Chain)
	}
	if ch == nil {
		return interp.NewExitStatus(1)
	}
	for _, r := range cmd.Rules {
		found := false
		for _, x := range ch.Rules {
			if iptables.SameRule(x, r) {
				found = true
				break
			}
		}
		if !found {
			return interp.NewExitStatus(1)
		}
	}
	return nil
}

// addAll adds diagnostics of one command. A note turns its errors into
// warnings that end with it: the failure of a command whose status the
// script handles (`|| true`, `if ...`, 2>/dev/null) is the expected flow
// on a fresh machine, and so is any failure as run (see settle).
func (s *session) addAll(d *diag.List, note string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range d.Items {
		if note != "" && x.Severity == diag.Error {
			x.Severity, x.Code = diag.Warning, diag.Script
			x.Msg += " (" + note + ")"
		}
		s.addLocked(x)
	}
}

// save handles iptables-save: it changes nothing, and what it would write
// to a file is the persistence step's business.
func (c *cmdCtx) save(tool string) error {
	s := c.u.s
	if d, ok := c.hc.Stdout.(*sink); ok && !d.null {
		s.mu.Lock()
		d.reported = true
		s.mu.Unlock()
		s.warnf(c.pos, "%s > %s is not run: saving the rules for the next boot is the persistence step's job (ruleshift persist)", tool, d.path)
		return nil
	}
	if c.consumed() {
		s.warnf(c.pos, "%s is not run: its output is taken as empty", tool)
	}
	return nil
}

func joinAddrs(a []netip.Addr) string {
	s := make([]string, len(a))
	for i, x := range a {
		s[i] = x.String()
	}
	return strings.Join(s, ", ")
}

// jumpsNowhere reports whether a rule of cmd jumps to a chain its table
// does not have, which iptables takes for a target it cannot load.
func jumpsNowhere(rs *ir.Ruleset, cmd *iptables.Command, fam ir.Family) bool {
	tname := cmd.Table
	if tname == "" {
		tname = "filter"
	}
	t := rs.Table(fam, tname)
	for _, r := range cmd.Rules {
		if j, ok := r.Target.(*ir.Jump); ok && (t == nil || t.Chain(j.Chain) == nil) {
			return true
		}
	}
	return false
}
