package iptables

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/ruleshift/ruleshift/translate/diag"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// SaveOptions tunes ParseSave.
type SaveOptions struct {
	// Family of the file; 0 detects it from the contents.
	Family ir.Family
	// NoFlush keeps what a table already holds (iptables-restore --noflush).
	NoFlush bool
	Resolve Resolver
}

// ParseSave reads iptables-save / iptables-restore input into rs (which may
// already hold tables, as when a script feeds several restores). name is the
// file name as the user gave it, used in positions.
func ParseSave(rs *ir.Ruleset, name string, data []byte, o SaveOptions) *diag.List {
	diags := &diag.List{}
	if o.Family == 0 {
		f, why, guessed := DetectFamily(name, data)
		o.Family = f
		if guessed {
			diags.Warnf(ir.Pos{File: name}, "%s; assuming %s (use --family to say otherwise)", why, famWord(f))
		}
	}
	sp := &saveParser{rs: rs, name: name, o: o, diags: diags, ed: &Editor{RS: rs, Diags: diags}}
	lineNo := 0
	for len(data) > 0 {
		lineNo++
		var line []byte
		if i := bytes.IndexByte(data, '\n'); i >= 0 {
			line, data = data[:i], data[i+1:]
		} else {
			line, data = data, nil
		}
		sp.line(string(line), lineNo)
	}
	if sp.table != nil {
		diags.Errorf(sp.tablePos, "table %s is not closed: COMMIT is missing", sp.table.Name)
	}
	return diags
}

type saveParser struct {
	rs       *ir.Ruleset
	name     string
	o        SaveOptions
	diags    *diag.List
	ed       *Editor
	table    *ir.Table
	tablePos ir.Pos
	declared map[string]bool
}

func (sp *saveParser) line(text string, n int) {
	pos := ir.Pos{File: sp.name, Line: n, Col: 1}
	trimmed := strings.TrimRight(text, " \t\r")
	if trimmed == "" {
		if text != "" && strings.TrimRight(text, "\r") != "" {
			sp.diags.Errorf(pos, "line holds only blanks, which iptables-restore refuses")
		}
		return
	}
	lead := len(trimmed) - len(strings.TrimLeft(trimmed, " \t"))
	body := trimmed[lead:]
	pos.Col += lead
	switch {
	case body[0] == '#':
		return
	case body[0] == '*':
		sp.startTable(body[1:], pos)
	case body == "COMMIT":
		if sp.table == nil {
			sp.diags.Errorf(pos, "COMMIT without a table (no *table line before it)")
			return
		}
		sp.table = nil
	case body[0] == ':':
		sp.chainLine(body, pos)
	default:
		sp.ruleLine(body, pos)
	}
}

func (sp *saveParser) startTable(name string, pos ir.Pos) {
	if sp.table != nil {
		sp.diags.Errorf(sp.tablePos, "table %s is not closed: COMMIT is missing before the next table", sp.table.Name)
	}
	name = strings.TrimSpace(name)
	if !validTable(name) {
		sp.diags.Errorf(pos, "unknown table %q (tables are filter, nat, mangle, raw, security)", name)
		sp.table = nil
		return
	}
	t := sp.rs.Table(sp.o.Family, name)
	switch {
	case t == nil:
		t = NewTable(sp.o.Family, name, pos)
		sp.rs.Tables = append(sp.rs.Tables, t)
	case !sp.o.NoFlush:
		// A restore replaces the whole table.
		*t = *NewTable(sp.o.Family, name, pos)
	}
	sp.table, sp.tablePos = t, pos
	sp.declared = map[string]bool{}
}

// chainLine handles ":NAME POLICY [pkts:bytes]".
func (sp *saveParser) chainLine(body string, pos ir.Pos) {
	if sp.table == nil {
		sp.diags.Errorf(pos, "chain line outside a table (no *table line before it)")
		return
	}
	fields := strings.Fields(body[1:])
	if len(fields) < 2 || len(fields) > 3 {
		sp.diags.Errorf(pos, "malformed chain line: want \":CHAIN POLICY [PACKETS:BYTES]\"")
		return
	}
	name, policy := fields[0], fields[1]
	var counters *ir.Counters
	if len(fields) == 3 {
		c, ok := parseCounters(fields[2])
		if !ok {
			sp.diags.Errorf(pos, "malformed counters %q on chain line", fields[2])
			return
		}
		counters = c
	}
	if sp.declared[name] {
		sp.diags.Errorf(pos, "chain %q declared twice in table %s", name, sp.table.Name)
		return
	}
	sp.declared[name] = true
	if IsBuiltin(sp.table.Name, name) {
		c := sp.table.Chain(name)
		switch policy {
		case "ACCEPT":
			c.Policy = ir.PolicyAccept
		case "DROP":
			c.Policy = ir.PolicyDrop
		default:
			sp.diags.Errorf(pos, "bad policy %q for built-in chain %s (ACCEPT or DROP)", policy, name)
			return
		}
		c.Counters, c.Src = counters, pos
		return
	}
	if policy != "-" {
		sp.diags.Errorf(pos, "user chain %q cannot have policy %q (write \"-\")", name, policy)
		return
	}
	if err := checkChainName(name, sp.o.Family); err != nil {
		sp.diags.Errorf(pos, "%v", err)
		return
	}
	if c := sp.table.Chain(name); c != nil {
		// --noflush: the chain is already there; the line is a no-op.
		return
	}
	sp.table.Chains = append(sp.table.Chains, &ir.Chain{Name: name, Counters: counters, Src: pos})
}

func parseCounters(s string) (*ir.Counters, bool) {
	if len(s) < 5 || s[0] != '[' || s[len(s)-1] != ']' {
		return nil, false
	}
	a, b, ok := strings.Cut(s[1:len(s)-1], ":")
	if !ok {
		return nil, false
	}
	p, err1 := strconv.ParseUint(a, 10, 64)
	y, err2 := strconv.ParseUint(b, 10, 64)
	if err1 != nil || err2 != nil {
		return nil, false
	}
	return &ir.Counters{Packets: p, Bytes: y}, true
}

func (sp *saveParser) ruleLine(body string, pos ir.Pos) {
	var counters *ir.Counters
	if body[0] == '[' {
		end := strings.IndexByte(body, ']')
		if end < 0 {
			sp.diags.Errorf(pos, "malformed counters prefix")
			return
		}
		c, ok := parseCounters(body[:end+1])
		if !ok {
			sp.diags.Errorf(pos, "malformed counters prefix %q", body[:end+1])
			return
		}
		counters = c
		rest := body[end+1:]
		skip := end + 1 + len(rest) - len(strings.TrimLeft(rest, " \t"))
		body = body[skip:]
		pos.Col += skip
	}
	if sp.table == nil {
		sp.diags.Errorf(pos, "rule outside a table (no *table line before it)")
		return
	}
	toks, badCol, ok := SplitLine(body, pos)
	if !ok {
		p := pos
		p.Col = badCol
		sp.diags.Errorf(p, "unterminated quote")
		return
	}
	if len(toks) == 0 {
		return
	}
	if !strings.HasPrefix(toks[0].Text, "-") {
		sp.diags.Errorf(pos, "unexpected line: want a *table, :CHAIN, rule or COMMIT line")
		return
	}
	cmd, diags := ParseCommand(toks, ParseOptions{Family: sp.o.Family, Resolve: sp.o.Resolve, InRestore: true, Table: sp.table.Name})
	sp.diags.Add(diags)
	if diags.HasErrors() {
		return
	}
	if cmd.OnlyFamily != 0 && cmd.OnlyFamily != sp.o.Family {
		return
	}
	for _, h := range cmd.Hosts {
		sp.diags.Warnf(h.Pos, "host name %q resolved at translate time to %s", h.Name, joinAddrs(h.Addrs))
	}
	cmd.Table = sp.table.Name
	if counters != nil {
		for _, r := range cmd.Rules {
			r.Counters = counters
		}
	}
	sp.ed.Apply(cmd, sp.o.Family)
}
