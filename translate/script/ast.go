package script

import (
	"strings"
	"unicode/utf8"

	"mvdan.cc/sh/v3/syntax"

	"github.com/ruleshift/ruleshift/translate/diag"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// unit is one parsed piece of shell text: the script itself, or the text
// of a nested `sh -c '...'`, a script run with `sh FILE`, or a script read
// by `sh` from a pipe. The handlers only see a position and the expanded
// arguments; the unit maps that position back to the syntax tree, which
// tells the words the arguments came from, whether the script checks the
// command's status, and where a here-document starts.
type unit struct {
	s       *session
	file    string // file name for positions
	lineOff int
	colOff  int
	fixed   *ir.Pos // every position is this one (text read from a pipe)

	calls   map[uint]*syntax.CallExpr // by the offset of the first word
	handled map[uint]bool             // calls whose failure the script checks
	input   map[uint]stdinSource      // calls whose stdin is a heredoc or a file
	redirs  []*syntax.Redirect
	funcs   map[string]bool
}

// stdinSource says where a command's standard input comes from, so that
// iptables-restore input keeps the positions of its lines.
type stdinSource struct {
	hdocLine int    // first line of the here-document body, or 0
	file     string // file redirected or given to cat, as written
}

func newUnit(s *session, file string, f *syntax.File, lineOff, colOff int) *unit {
	u := &unit{s: s, file: file, lineOff: lineOff, colOff: colOff,
		calls: map[uint]*syntax.CallExpr{}, handled: map[uint]bool{},
		input: map[uint]stdinSource{}, funcs: map[string]bool{}}
	u.analyze(f)
	return u
}

// analyze records what the handlers need to know about each command.
func (u *unit) analyze(f *syntax.File) {
	var pipes []*syntax.BinaryCmd
	syntax.Walk(f, func(n syntax.Node) bool {
		switch n := n.(type) {
		case *syntax.CallExpr:
			if len(n.Args) > 0 {
				u.calls[n.Args[0].Pos().Offset()] = n
			}
		case *syntax.FuncDecl:
			if n.Name != nil {
				u.funcs[n.Name.Value] = true
			}
			for _, l := range n.Names {
				u.funcs[l.Value] = true
			}
		case *syntax.BinaryCmd:
			switch n.Op {
			case syntax.AndStmt, syntax.OrStmt:
				u.markHandled(n.X)
			case syntax.Pipe, syntax.PipeAll:
				pipes = append(pipes, n)
			}
		case *syntax.IfClause:
			for _, st := range n.Cond {
				u.markHandled(st)
			}
		case *syntax.WhileClause:
			for _, st := range n.Cond {
				u.markHandled(st)
			}
		case *syntax.Stmt:
			u.stmt(n)
		}
		return true
	})
	// `cat <<EOF | iptables-restore` and `cat rules | iptables-restore`:
	// the restore reads what cat was given.
	for _, p := range pipes {
		left, lok := p.X.Cmd.(*syntax.CallExpr)
		right, rok := p.Y.Cmd.(*syntax.CallExpr)
		if !lok || !rok || len(left.Args) == 0 || len(right.Args) == 0 || left.Args[0].Lit() != "cat" {
			continue
		}
		src, ok := u.input[left.Args[0].Pos().Offset()]
		if !ok && len(left.Args) == 2 {
			if v, simple := simpleWord(left.Args[1]); simple {
				src, ok = stdinSource{file: v}, true
			}
		}
		if _, own := u.input[right.Args[0].Pos().Offset()]; ok && !own {
			u.input[right.Args[0].Pos().Offset()] = src
		}
	}
}

func (u *unit) stmt(st *syntax.Stmt) {
	if st.Negated {
		u.markHandled(st)
	}
	u.redirs = append(u.redirs, st.Redirs...)
	call, ok := st.Cmd.(*syntax.CallExpr)
	if !ok || len(call.Args) == 0 {
		return
	}
	off := call.Args[0].Pos().Offset()
	for _, rd := range st.Redirs {
		switch rd.Op {
		case syntax.Hdoc, syntax.DashHdoc:
			if rd.Hdoc != nil {
				u.input[off] = stdinSource{hdocLine: int(rd.Hdoc.Pos().Line())}
			}
		case syntax.RdrIn:
			if v, ok := simpleWord(rd.Word); ok {
				u.input[off] = stdinSource{file: v}
			}
		}
	}
}

// markHandled marks every command under n as one whose failure the script
// tests (if, while, &&, ||, !), so that a failing edit there is expected
// flow rather than an error.
func (u *unit) markHandled(n syntax.Node) {
	syntax.Walk(n, func(n syntax.Node) bool {
		if c, ok := n.(*syntax.CallExpr); ok && len(c.Args) > 0 {
			u.handled[c.Args[0].Pos().Offset()] = true
		}
		return true
	})
}

// lookup finds the command at an interpreter position. Text run by eval or
// source has positions of its own that may not belong to this unit; the
// line and column must match too.
func (u *unit) lookup(p syntax.Pos) *syntax.CallExpr {
	if !p.IsValid() {
		return nil
	}
	c := u.calls[p.Offset()]
	if c == nil {
		return nil
	}
	if q := c.Args[0].Pos(); q.Line() != p.Line() || q.Col() != p.Col() {
		return nil
	}
	return c
}

// pos converts a position of this unit's text.
func (u *unit) pos(p syntax.Pos) ir.Pos {
	if u.fixed != nil {
		return *u.fixed
	}
	return convPos(u.file, p, u.lineOff, u.colOff)
}

// simpleWord returns the value of a word that expands to exactly itself:
// literals and quoted literals without expansions, globs, braces or
// escapes.
func simpleWord(w *syntax.Word) (string, bool) {
	if w == nil || len(w.Parts) == 0 {
		return "", false
	}
	var b strings.Builder
	for _, p := range w.Parts {
		switch p := p.(type) {
		case *syntax.Lit:
			if strings.ContainsAny(p.Value, "{}*?[~\\") {
				return "", false
			}
			b.WriteString(p.Value)
		case *syntax.SglQuoted:
			if p.Dollar {
				return "", false
			}
			b.WriteString(p.Value)
		case *syntax.DblQuoted:
			if p.Dollar {
				return "", false
			}
			for _, q := range p.Parts {
				l, ok := q.(*syntax.Lit)
				if !ok || strings.ContainsRune(l.Value, '\\') {
					return "", false
				}
				b.WriteString(l.Value)
			}
		default:
			return "", false
		}
	}
	return b.String(), true
}

// argWords gives each expanded argument the position of the word it came
// from, and that word when the argument is exactly its text (a literal).
// Literal words give exactly one argument; the arguments between two
// literal words belong to the expansions between them. When the words
// cannot be matched up, the command's position is used.
func (u *unit) argWords(call *syntax.CallExpr, args []string, def ir.Pos) ([]ir.Pos, []*syntax.Word) {
	pos := make([]ir.Pos, len(args))
	words := make([]*syntax.Word, len(args))
	for i := range pos {
		pos[i] = def
	}
	if call == nil {
		return pos, words
	}
	ws := call.Args
	i := 0
	for j := 0; j < len(ws) && i < len(args); j++ {
		if v, ok := simpleWord(ws[j]); ok {
			if args[i] != v {
				return pos, words
			}
			pos[i], words[i] = u.pos(ws[j].Pos()), ws[j]
			i++
			continue
		}
		k := j + 1
		for k < len(ws) {
			if _, ok := simpleWord(ws[k]); ok {
				break
			}
			k++
		}
		end := len(args)
		if k < len(ws) {
			v, _ := simpleWord(ws[k])
			end = -1
			for e := i; e < len(args); e++ {
				if args[e] == v {
					end = e
					break
				}
			}
			if end < 0 {
				return pos, words
			}
		}
		for ; i < end; i++ {
			pos[i] = u.pos(ws[j].Pos())
		}
		j = k - 1
	}
	return pos, words
}

// quoteMsg is the hint for a typographic quote pasted from a web page.
func quoteMsg(r rune) string {
	return "typographic quote " + string(r) + " is not a shell quote (pasted from a web page?): use a plain \" or '"
}

func isTypographic(r rune) bool {
	switch r {
	case '“', '”', '‘', '’', '„', '‚', '«', '»':
		return true
	}
	return false
}

// checkQuotes reports typographic quotes in unquoted text, where the shell
// takes them as part of a word and the real script would misbehave. Inside
// plain quotes, comments and here-documents they are just text. As run,
// the script goes on with the quote inside the word, and so does the
// translation.
func checkQuotes(diags *diag.List, name string, f *syntax.File, asRun bool) {
	hdocs := map[*syntax.Word]bool{}
	syntax.Walk(f, func(n syntax.Node) bool {
		if r, ok := n.(*syntax.Redirect); ok && r.Hdoc != nil {
			hdocs[r.Hdoc] = true
		}
		return true
	})
	syntax.Walk(f, func(n syntax.Node) bool {
		w, ok := n.(*syntax.Word)
		if !ok || hdocs[w] {
			return !ok
		}
		for _, p := range w.Parts {
			l, ok := p.(*syntax.Lit)
			if !ok {
				continue
			}
			for i, r := range l.Value {
				if isTypographic(r) {
					pos := convPos(name, l.Pos(), 0, 0)
					pos.Col += i
					if asRun {
						diags.Report(diag.Script, pos, "%s (as run, the shell keeps it as part of the word)", quoteMsg(r))
					} else {
						diags.Errorf(pos, "%s", quoteMsg(r))
					}
					break
				}
			}
		}
		return true
	})
}

// firstTypographicQuote finds a typographic quote outside comment lines,
// for the hint after a parse error.
func firstTypographicQuote(name string, src []byte) (ir.Pos, rune, bool) {
	for ln, line := range strings.Split(string(src), "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		for i, r := range line {
			if r == utf8.RuneError {
				continue
			}
			if isTypographic(r) {
				return ir.Pos{File: name, Line: ln + 1, Col: i + 1}, r, true
			}
		}
	}
	return ir.Pos{}, 0, false
}

// checkUnsupported rejects what the interpreter would do for real, and
// runs background jobs in the foreground so that edits apply in order.
// Process substitution is rewritten afterwards (procSubsts.rewrite).
func checkUnsupported(diags *diag.List, name string, f *syntax.File) {
	syntax.Walk(f, func(n syntax.Node) bool {
		switch n := n.(type) {
		case *syntax.CoprocClause:
			diags.Errorf(convPos(name, n.Pos(), 0, 0), "coproc is not supported")
		case *syntax.Stmt:
			if n.Background {
				n.Background = false
				diags.Report(diag.Script, convPos(name, n.Pos(), 0, 0), "background job (&) is interpreted in the foreground, so that its rules apply in order")
			}
		}
		return true
	})
}
