package script

import (
	"fmt"
	"net/netip"
	"strings"

	"mvdan.cc/sh/v3/interp"
	"mvdan.cc/sh/v3/syntax"

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
	if len(args) == 0 {
		return c.fail(c.pos, 2, "%s needs a command, such as -A CHAIN", tool)
	}
	toks := make([]iptables.Token, len(args))
	for i, a := range args {
		toks[i] = iptables.Token{Text: a, Pos: pos[i]}
	}
	cmd, d := iptables.ParseCommand(toks, iptables.ParseOptions{Family: fam, Resolve: s.o.Resolve})
	if d.HasErrors() {
		// A bad command is a mistake in the script even where its status
		// is checked: iptables refuses it every time.
		s.addAll(d, false)
		return interp.NewExitStatus(2)
	}
	s.addAll(d, false)
	if cmd.OnlyFamily != 0 && cmd.OnlyFamily != fam {
		return c.fail(cmd.Pos, 2, "%s is the %s tool, but the command asks for %s only (use %s)", tool, fam, cmd.OnlyFamily, map[ir.Family]string{ir.IPv4: "iptables", ir.IPv6: "ip6tables"}[cmd.OnlyFamily])
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
	s.mu.Unlock()
	if ed.HasErrors() {
		s.addAll(&ed, c.handled)
		return interp.NewExitStatus(1)
	}
	s.addAll(&ed, false)
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

// addAll adds diagnostics of one command. Errors of a command whose
// failure the script handles (`|| true`, `if ...`, 2>/dev/null) become
// warnings: on a fresh machine that failure is the expected flow.
func (s *session) addAll(d *diag.List, handled bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, x := range d.Items {
		if handled && x.Severity == diag.Error {
			x.Severity = diag.Warning
			x.Msg += " (the script handles this failure and goes on)"
		}
		s.addLocked(x)
	}
}

// restore reads iptables-restore input from a here-document, a pipe, a
// redirected file or a file argument into the same ruleset.
func (c *cmdCtx) restore(fam ir.Family, tool string, args []string, pos []ir.Pos) error {
	s := c.u.s
	noflush, test := false, false
	file, filePos := "", c.pos
	for i := 0; i < len(args); i++ {
		switch a := args[i]; {
		case a == "-n" || a == "--noflush":
			noflush = true
		case a == "-t" || a == "--test":
			test = true
		case a == "-T" || a == "--table" || a == "-M" || a == "--modprobe" || a == "-W" || a == "--wait-interval":
			if a == "-T" || a == "--table" {
				s.warnf(pos[i], "%s %s is not supported: every table of the input is restored", tool, a)
			}
			i++
		case a == "-w" || a == "--wait":
			if i+1 < len(args) && isNumber(args[i+1]) {
				i++
			}
		case strings.HasPrefix(a, "-") && a != "-":
			// -c, -v, -h and joined forms change nothing in the ruleset.
		default:
			file, filePos = a, pos[i]
		}
	}
	var data []byte
	src := c.stdinSource()
	if file != "" && file != "-" {
		d, ok := c.readFile(file, filePos)
		if !ok {
			return interp.NewExitStatus(1)
		}
		data, src = d, stdinSource{file: file}
	} else {
		d, err := readAllLimit(c.hc.Stdin, 64<<20)
		if err != nil {
			return c.fail(c.pos, 1, "%s: reading its input: %v", tool, err)
		}
		data = d
	}
	return c.applyRestore(fam, data, src, noflush, test)
}

func isNumber(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

func (c *cmdCtx) stdinSource() stdinSource {
	if c.call == nil {
		return stdinSource{}
	}
	return c.u.input[c.call.Args[0].Pos().Offset()]
}

// applyRestore parses restore input under a private file name and then
// gives every position it produced its place in the script or file.
func (c *cmdCtx) applyRestore(fam ir.Family, data []byte, src stdinSource, noflush, test bool) error {
	s := c.u.s
	s.mu.Lock()
	s.restore++
	tmp := fmt.Sprintf("\x00restore-%d", s.restore)
	rs := s.rs
	if test {
		rs = &ir.Ruleset{}
	}
	d := iptables.ParseSave(rs, tmp, data, iptables.SaveOptions{Family: fam, NoFlush: noflush, Resolve: s.o.Resolve})
	remap := func(p ir.Pos) ir.Pos {
		if p.File != tmp {
			return p
		}
		return c.restorePos(src, p)
	}
	remapRuleset(rs, remap)
	s.mu.Unlock()
	for i := range d.Items {
		d.Items[i].Pos = remap(d.Items[i].Pos)
	}
	if d.HasErrors() {
		s.addAll(d, c.handled)
		return interp.NewExitStatus(1)
	}
	s.addAll(d, false)
	return nil
}

// restorePos maps a line of restore input: into the here-document's lines
// of the script, into the redirected file, or onto the command itself when
// the input came from somewhere without positions.
func (c *cmdCtx) restorePos(src stdinSource, p ir.Pos) ir.Pos {
	switch {
	case src.hdocLine > 0 && c.u.fixed == nil:
		return c.u.pos(syntax.NewPos(0, uint(src.hdocLine+p.Line-1), uint(max(p.Col, 1))))
	case src.file != "":
		p.File = c.u.s.display(src.file)
		return p
	}
	return c.pos
}

func remapRuleset(rs *ir.Ruleset, f func(ir.Pos) ir.Pos) {
	for _, t := range rs.Tables {
		t.Src = f(t.Src)
		for _, ch := range t.Chains {
			ch.Src = f(ch.Src)
			for _, r := range ch.Rules {
				r.Src = f(r.Src)
			}
		}
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
