package script

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"mvdan.cc/sh/v3/syntax"

	"github.com/ruleshift/ruleshift/translate/diag"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// Process substitution, `done < <(cmd)` or `mapfile -t X < <(cmd)`, is
// run by the interpreter through a named pipe it creates in $TMPDIR. A
// translation creates no files, so the syntax tree is rewritten before it
// runs: <(LIST) becomes
//
//	$( { LIST; } >PATH )PATH
//
// that is, LIST runs like a command substitution, through the same
// handlers (an `ip` or `curl` there is not run, yields no output and is
// warned about at its line; `cat` of a file beside the script answers),
// and its output goes to PATH, a name only the handlers know, which then
// reads back that output from memory. >(LIST), fed by the command it
// stands in, is not run at all: what is written to it is discarded.

// procSubsts holds the outputs of the process substitutions of a session.
type procSubsts struct {
	mu   sync.Mutex
	n    int
	out  map[string][]byte // <(…): the output of its last run
	sink map[string]bool   // >(…)
}

func newProcSubsts() *procSubsts {
	return &procSubsts{out: map[string][]byte{}, sink: map[string]bool{}}
}

// procPrefix starts the names of process substitutions; bash gives
// /dev/fd/63 and below, these count up so that they never meet the
// standard descriptors.
const procPrefix = "/dev/fd/"

// rewrite replaces every process substitution of f; pos converts the
// positions of f for the warnings it returns.
func (p *procSubsts) rewrite(f *syntax.File, pos func(syntax.Pos) ir.Pos) []diag.Diagnostic {
	var warns []diag.Diagnostic
	syntax.Walk(f, func(n syntax.Node) bool {
		w, ok := n.(*syntax.Word)
		if !ok {
			return true
		}
		var parts []syntax.WordPart
		changed := false
		for _, part := range w.Parts {
			ps, ok := part.(*syntax.ProcSubst)
			if !ok {
				parts = append(parts, part)
				continue
			}
			changed = true
			path := p.add(ps.Op == syntax.CmdIn)
			lit := &syntax.Lit{ValuePos: ps.OpPos, ValueEnd: ps.OpPos, Value: path}
			if ps.Op != syntax.CmdIn {
				warns = append(warns, diag.Diagnostic{Pos: pos(ps.OpPos), Severity: diag.Warning, Code: diag.Script,
					Msg: "process substitution >(…) is not run: what is written to it is discarded"})
				parts = append(parts, lit)
				continue
			}
			target := &syntax.Word{Parts: []syntax.WordPart{&syntax.Lit{ValuePos: ps.OpPos, ValueEnd: ps.OpPos, Value: path}}}
			run := &syntax.Stmt{
				Position: ps.OpPos,
				Cmd:      &syntax.Block{Lbrace: ps.OpPos, Rbrace: ps.Rparen, Stmts: ps.Stmts, Last: ps.Last},
				Redirs:   []*syntax.Redirect{{OpPos: ps.OpPos, Op: syntax.RdrOut, Word: target}},
			}
			parts = append(parts, &syntax.CmdSubst{Left: ps.OpPos, Right: ps.Rparen, Stmts: []*syntax.Stmt{run}}, lit)
		}
		if changed {
			w.Parts = parts
		}
		return true
	})
	return warns
}

// add names one more process substitution.
func (p *procSubsts) add(in bool) string {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.n++
	path := fmt.Sprintf("%s%d", procPrefix, 62+p.n)
	if in {
		p.out[path] = nil
	} else {
		p.sink[path] = true
	}
	return path
}

// has reports whether abs names a process substitution.
func (p *procSubsts) has(abs string) bool {
	if !strings.HasPrefix(abs, procPrefix) {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	_, in := p.out[abs]
	return in || p.sink[abs]
}

// read returns what the last run of a <(…) wrote.
func (p *procSubsts) read(abs string) []byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out[abs]
}

// open serves a process substitution to the interpreter: writing to a
// <(…) name captures its list's output, reading gives it back.
func (p *procSubsts) open(abs string, flag int) io.ReadWriteCloser {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.sink[abs] {
		return &sink{path: abs, null: true}
	}
	if flag&(os.O_WRONLY|os.O_RDWR|os.O_APPEND|os.O_CREATE|os.O_TRUNC) != 0 {
		if flag&os.O_APPEND == 0 {
			p.out[abs] = nil
		}
		return &procWriter{p: p, path: abs}
	}
	return &procReader{bytes.NewReader(p.out[abs])}
}

type procWriter struct {
	p    *procSubsts
	path string
}

func (w *procWriter) Write(b []byte) (int, error) {
	w.p.mu.Lock()
	defer w.p.mu.Unlock()
	w.p.out[w.path] = append(w.p.out[w.path], b...)
	return len(b), nil
}

func (*procWriter) Read([]byte) (int, error) { return 0, io.EOF }
func (*procWriter) Close() error             { return nil }

type procReader struct{ *bytes.Reader }

func (*procReader) Write(b []byte) (int, error) { return len(b), nil }
func (*procReader) Close() error                { return nil }
