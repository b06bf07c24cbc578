package iptables

import (
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"sync"

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
	// One copy of the input as a string: tokens are substrings of it, so
	// most of a large file needs no further copying.
	text := string(data)
	diags := &diag.List{}
	if o.Family == 0 {
		d := detectFamily(name, text)
		o.Family = d.Family
		if d.Warning != "" {
			diags.Report(diag.Family, d.WarnPos, "%s", d.Warning)
		}
	}
	sp := &saveParser{rs: rs, name: name, o: o, diags: diags, ed: &Editor{RS: rs, Diags: diags}}
	lines := splitLines(text)
	pre := sp.preparse(lines)
	for i, line := range lines {
		sp.line(line, i+1, pre[i])
	}
	sp.endOutside()
	if sp.table != nil {
		// Where iptables-restore says "COMMIT expected at line N": the
		// line after the last.
		end := ir.Pos{File: name, Line: len(lines) + 1, Col: 1}
		diags.Errorf(end, "COMMIT expected at the end of the input: table %s, begun at %s, is not closed", sp.table.Name, sp.lineRef(sp.tablePos))
	}
	sp.reportDamage(text, lines)
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
	damage   [dmgKinds]damage
	// outside counts the rule lines of the current run outside any table,
	// reported once at outsideAt (an index into diags.Items).
	outside, outsideAt int
	sc                 scratch // for the rules parsed in order
}

// scratch is the storage one goroutine reuses from rule line to rule
// line: the parser and the token slice.
type scratch struct {
	p    parser
	toks []Token
}

// lineRef names a line of the input in a message.
func (sp *saveParser) lineRef(p ir.Pos) string {
	if strings.HasPrefix(sp.name, "\x00") {
		// Restore input inside a script: positions are mapped into the
		// script afterwards, but message text is not.
		return fmt.Sprintf("line %d of the restore input", p.Line)
	}
	return fmt.Sprintf("line %d", p.Line)
}

func splitLines(text string) []string {
	out := make([]string, 0, strings.Count(text, "\n")+1)
	for len(text) > 0 {
		i := strings.IndexByte(text, '\n')
		if i < 0 {
			out = append(out, text)
			break
		}
		out = append(out, text[:i])
		text = text[i+1:]
	}
	return out
}

// parsed is a rule line parsed ahead of time.
type parsed struct {
	cmd      *Command
	diags    *diag.List
	counters *ir.Counters
	done     bool
}

// parallelMin is the number of lines from which parsing is spread over
// the CPUs; below it the goroutines cost more than they save. A variable
// so that a test can compare both paths.
var parallelMin = 4096

// preparse parses the rule lines of large inputs in parallel. Each rule
// line depends only on the table it is in, which a cheap first pass finds;
// applying the commands stays sequential and in order.
func (sp *saveParser) preparse(lines []string) []parsed {
	pre := make([]parsed, len(lines))
	workers := runtime.GOMAXPROCS(0)
	if len(lines) < parallelMin || workers < 2 {
		return pre
	}
	tables := make([]string, len(lines))
	cur := ""
	for i, l := range lines {
		switch {
		case strings.HasPrefix(l, "*"):
			cur = strings.TrimSpace(l[1:])
		case strings.HasPrefix(strings.TrimSpace(l), "COMMIT"):
			cur = ""
		}
		tables[i] = cur
	}
	var wg sync.WaitGroup
	chunk := (len(lines) + workers - 1) / workers
	for w := 0; w < workers; w++ {
		lo, hi := w*chunk, min((w+1)*chunk, len(lines))
		wg.Add(1)
		go func() {
			defer wg.Done()
			var sc scratch
			for i := lo; i < hi; i++ {
				l := lines[i]
				if len(l) == 0 || (l[0] != '-' && l[0] != '[') || !validTable(tables[i]) {
					continue
				}
				pos := ir.Pos{File: sp.name, Line: i + 1, Col: 1}
				pre[i] = sp.parseRule(&sc, strings.TrimRight(l, " \t\r"), pos, tables[i])
			}
		}()
	}
	wg.Wait()
	return pre
}

func (sp *saveParser) line(text string, n int, pre parsed) {
	pos := ir.Pos{File: sp.name, Line: n, Col: 1}
	trimmed := strings.TrimRight(text, " \t\r")
	lead := len(trimmed) - len(strings.TrimLeft(trimmed, " \t"))
	body := trimmed[lead:]
	if len(text) > 0 && (text[0] == ' ' || text[0] == '\t' || text[len(text)-1] == '\r' || body == "COMMIT" && len(trimmed) < len(text)) {
		sp.noteDamage(text, body, n)
	}
	if body == "" {
		return
	}
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
		if msg := strayLine(body); msg != "" {
			sp.diags.Errorf(pos, "%s", msg)
			return
		}
		if !pre.done || sp.table == nil {
			if sp.table == nil {
				sp.outsideTable(body, pos)
				return
			}
			pre = sp.parseRule(&sp.sc, body, pos, sp.table.Name)
		}
		sp.applyRule(pre)
	}
}

// outsideTable reports a rule line with no table open: once for a run of
// them, as iptables-restore stops at the first. A file of "-P", "-N" and
// "-A" lines alone is what iptables -S prints, which restore reads only
// inside a table.
func (sp *saveParser) outsideTable(body string, pos ir.Pos) {
	sp.outside++
	if sp.outside > 1 {
		return
	}
	msg := "rule outside a table (no *table line before it)"
	if strings.HasPrefix(body, "-P ") || strings.HasPrefix(body, "-N ") {
		msg += "; lines like this are what iptables -S prints: iptables-restore reads them only after a *table line (*filter) and before COMMIT"
	}
	sp.diags.Errorf(pos, "%s", msg)
	sp.outsideAt = len(sp.diags.Items) - 1
}

// endOutside closes a run of rule lines outside any table.
func (sp *saveParser) endOutside() {
	if sp.outside > 1 {
		sp.diags.Items[sp.outsideAt].Msg += fmt.Sprintf(" (and the %d rule lines after it up to the next table)", sp.outside-1)
	}
	sp.outside = 0
}

func (sp *saveParser) startTable(name string, pos ir.Pos) {
	sp.endOutside()
	if sp.table != nil {
		sp.diags.Errorf(pos, "COMMIT expected before this table: table %s, begun at %s, is not closed", sp.table.Name, sp.lineRef(sp.tablePos))
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
			c.Base.Policy = ir.PolicyAccept
		case "DROP":
			c.Base.Policy = ir.PolicyDrop
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
		// --noflush: declaring a user chain that is already there flushes
		// it, as both iptables-restore variants do (1.8.9: flush_entries,
		// nft_chain_restore); ufw-init relies on it.
		c.Rules = nil
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

// parseRule parses one rule line of table; it touches no parser state, so
// it may run in parallel with other lines.
func (sp *saveParser) parseRule(sc *scratch, body string, pos ir.Pos, table string) parsed {
	res := parsed{done: true, diags: &diag.List{}}
	if body[0] == '[' {
		end := strings.IndexByte(body, ']')
		if end < 0 {
			res.diags.Errorf(pos, "malformed counters prefix")
			return res
		}
		c, ok := parseCounters(body[:end+1])
		if !ok {
			res.diags.Errorf(pos, "malformed counters prefix %q", body[:end+1])
			return res
		}
		res.counters = c
		rest := body[end+1:]
		skip := end + 1 + len(rest) - len(strings.TrimLeft(rest, " \t"))
		body = body[skip:]
		pos.Col += skip
	}
	toks, badCol, ok := splitLineInto(sc.toks[:0], body, pos)
	if !ok {
		p := pos
		p.Col = badCol
		res.diags.Errorf(p, "unterminated quote")
		return res
	}
	sc.toks = toks
	if len(toks) == 0 {
		return res
	}
	if !strings.HasPrefix(toks[0].Text, "-") {
		res.diags.Errorf(pos, "unexpected line: want a *table, :CHAIN, rule or COMMIT line")
		return res
	}
	res.cmd, res.diags = sc.p.parse(toks, ParseOptions{Family: sp.o.Family, Resolve: sp.o.Resolve, InRestore: true, Table: table})
	return res
}

// applyRule carries out a parsed rule line in order.
func (sp *saveParser) applyRule(p parsed) {
	sp.diags.Add(p.diags)
	cmd := p.cmd
	if cmd == nil || p.diags.HasErrors() {
		return
	}
	if cmd.OnlyFamily != 0 && cmd.OnlyFamily != sp.o.Family {
		return
	}
	for _, h := range cmd.Hosts {
		sp.diags.Report(diag.HostName, h.Pos, "host name %q resolved at translate time to %s", h.Name, joinAddrs(h.Addrs))
	}
	cmd.Table = sp.table.Name
	if p.counters != nil {
		for _, r := range cmd.Rules {
			r.Counters = p.counters
		}
	}
	sp.ed.Apply(cmd, sp.o.Family)
}
