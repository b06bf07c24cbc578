package script

import (
	"fmt"
	"strings"

	"mvdan.cc/sh/v3/interp"
	"mvdan.cc/sh/v3/syntax"

	"github.com/ruleshift/ruleshift/translate/iptables"
	"github.com/ruleshift/ruleshift/translate/ir"
)

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
	return c.applyRestore(fam, tool, data, src, noflush, test)
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

// applyRestore loads restore input the way iptables-restore does: one
// table at a time, each committed at its COMMIT line. At the first
// refused line the tool stops: the tables committed before stay loaded,
// the table being read is left as it was (the kernel has it from then on,
// empty if it was not there), and the rest of the input is not read.
// Each batch is parsed under a private file name, and every position it
// produced is then given its place in the script or file.
func (c *cmdCtx) applyRestore(fam ir.Family, tool string, data []byte, src stdinSource, noflush, test bool) error {
	s := c.u.s
	lines := strings.SplitAfter(string(data), "\n")
	for _, b := range restoreBatches(lines) {
		text := strings.Join(lines[b.lo:b.hi], "")
		s.mu.Lock()
		s.restore++
		tmp := fmt.Sprintf("\x00restore-%d", s.restore)
		scratch := &ir.Ruleset{}
		if t := s.rs.Table(fam, b.table); t != nil {
			scratch.Tables = []*ir.Table{cloneTable(t)}
		}
		s.mu.Unlock()
		d := iptables.ParseSave(scratch, tmp, []byte(text), iptables.SaveOptions{Family: fam, NoFlush: noflush, Resolve: s.o.Resolve})
		remap := func(p ir.Pos) ir.Pos {
			if p.File != tmp {
				return p
			}
			p.Line += b.lo
			return c.restorePos(src, p)
		}
		remapRuleset(scratch, remap)
		for i := range d.Items {
			d.Items[i].Pos = remap(d.Items[i].Pos)
		}
		failed := d.HasErrors()
		s.mu.Lock()
		for _, t := range scratch.Tables {
			old := s.rs.Table(fam, t.Name)
			switch {
			case failed || test:
				if old == nil {
					s.rs.Tables = append(s.rs.Tables, iptables.NewTable(fam, t.Name, t.Src))
				}
			case old == nil:
				s.rs.Tables = append(s.rs.Tables, t)
			default:
				*old = *t
			}
		}
		s.mu.Unlock()
		if failed {
			c.settle(d, refusal{tool: tool, own: s.ownRefusal(strings.Fields(text), fam)})
			return interp.NewExitStatus(2) // as iptables-restore 1.8.9 on a bad line
		}
		s.addAll(d, "")
	}
	return nil
}

// batch is a run of restore input lines [lo, hi): one table from its
// *table line to its COMMIT, or lines outside any table.
type batch struct {
	lo, hi int
	table  string
}

func restoreBatches(lines []string) []batch {
	var out []batch
	start, table, in := 0, "", false
	flush := func(hi int) {
		if hi > start {
			out = append(out, batch{start, hi, table})
		}
		start = hi
	}
	for i, l := range lines {
		body := strings.Trim(l, " \t\r\n")
		switch {
		case strings.HasPrefix(body, "*"):
			flush(i)
			table, in = strings.TrimSpace(body[1:]), true
		case body == "COMMIT" && in:
			flush(i + 1)
			table, in = "", false
		}
	}
	flush(len(lines))
	return out
}

// cloneTable copies a table deeply enough for an editor to change the
// copy alone: chains, their rule lists and the rules themselves.
func cloneTable(t *ir.Table) *ir.Table {
	c := *t
	c.Chains = make([]*ir.Chain, len(t.Chains))
	for i, ch := range t.Chains {
		cc := *ch
		cc.Rules = make([]*ir.Rule, len(ch.Rules))
		for j, r := range ch.Rules {
			rc := *r
			cc.Rules[j] = &rc
		}
		c.Chains[i] = &cc
	}
	return &c
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
				// f only maps positions of the restore input, so a match
				// shared by several rules (an address list) or kept from
				// an earlier table is mapped once.
				for _, m := range r.Matches {
					m.SetPos(f(m.Pos()))
				}
				if r.Target != nil {
					r.Target.SetPos(f(r.Target.Pos()))
				}
			}
		}
	}
}
