// Package script is the shell-script frontend of the translate stage: it
// reads the iptables scripts administrators really have (sudo, $IPT,
// loops, functions, heredocs fed to iptables-restore) and turns them into
// the ir.Ruleset the kernel would hold after running them on a fresh
// machine.
//
// The script is parsed and interpreted with mvdan.cc/sh/v3, but nothing is
// ever executed: every command goes through the handlers in this package.
// iptables and ip6tables calls become edits of the model, applied in order
// by translate/iptables' Editor; iptables-restore input goes through
// ParseSave; a few side-effect-free helpers (cat of a file beside the
// script, seq, id, which) answer as they would on the target; every other
// command is skipped with a warning naming its line. Files are never
// written, and only files in the script's directory can be read.
//
// A command iptables would refuse changes nothing and fails with the real
// tool's status; it is an error unless the script checks that status, or
// a warning everywhere with Options.AsRun, whose result is then what a run
// leaves (refuse.go). Process substitution runs like command substitution,
// without a named pipe (procsubst.go).
//
// Interpretation is bounded (commands run, time, nesting, concurrent
// pipelines, memory) so that a hostile or broken script ends with an error
// instead of hanging the translation.
package script

import (
	"context"
	"errors"
	"io"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/interp"
	"mvdan.cc/sh/v3/syntax"

	"github.com/ruleshift/ruleshift/translate/diag"
	"github.com/ruleshift/ruleshift/translate/iptables"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// Default limits; a real firewall script stays far below them.
const (
	DefaultMaxSteps  = 1_000_000
	DefaultTimeout   = 20 * time.Second
	DefaultMaxMemory = 512 << 20
)

// Options tune Load.
type Options struct {
	// Name is the script's name as the user gave it; positions use it.
	Name string
	// Dir is the directory relative paths resolve against and the only one
	// the script may read from. "" means the directory of Name.
	Dir string
	// Readable lists further files the script may read (explicit inputs).
	Readable []string
	// Resolve looks up host names in -s/-d; nil makes them an error.
	Resolve iptables.Resolver
	// MaxSteps bounds the number of simple commands run (0: default).
	MaxSteps int
	// Timeout bounds the interpretation's wall time (0: default).
	Timeout time.Duration
	// MaxMemory bounds how much the heap may grow while interpreting, in
	// bytes (0: default), against a variable doubled in a loop.
	MaxMemory uint64
	// AsRun makes a command that iptables would refuse, where the script
	// does not check its status, a warning instead of an error: the result
	// is then what running the script leaves in the kernel, failures
	// included.
	AsRun bool
	// FormatWhy says why the input is read as a script (from
	// translate.Detect), for the error at an iptables-save line met as a
	// command.
	FormatWhy string
}

// session is the state one Load shares between the script, its
// subshells, pipelines and nested `sh -c` runs. Pipelines run concurrently,
// so everything here is guarded by mu.
type session struct {
	o       Options
	dir     string // absolute, symlinks resolved
	rs      *ir.Ruleset
	cancel  context.CancelCauseFunc
	stdout  *discard // the script's own standard output
	stderr  *discard
	mu      sync.Mutex
	diags   *diag.List
	seen    map[diag.Diagnostic]bool
	steps   int
	stopped bool
	restore int // counter for private file names of restore input
	limits  *limits
	sinks   []*sink
	last    ir.Pos // the last command with a known position
	// failed is the last command that returned a failure, and exited
	// whether the last command was the exit builtin; together they say
	// why a script under set -e stopped.
	failed ir.Pos
	exited bool
	procs  *procSubsts
	// saveLine is set once an iptables-save line met as a command has
	// been reported with the reason the input is a script.
	saveLine bool
}

func (s *session) lastPos() ir.Pos {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.last.IsZero() {
		return ir.Pos{File: s.o.Name}
	}
	return s.last
}

func (s *session) setLast(p ir.Pos) {
	s.mu.Lock()
	s.last = p
	s.mu.Unlock()
}

// discard is a writer whose identity tells the handlers where output goes.
type discard struct{ name string }

func (d *discard) Write(p []byte) (int, error) { return len(p), nil }

// Load interprets the script src and applies its iptables commands to rs.
func Load(rs *ir.Ruleset, src []byte, o Options) *diag.List {
	if o.MaxSteps <= 0 {
		o.MaxSteps = DefaultMaxSteps
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxMemory == 0 {
		o.MaxMemory = DefaultMaxMemory
	}
	if o.Dir == "" {
		o.Dir = filepath.Dir(o.Name)
	}
	s := &session{o: o, rs: rs, diags: &diag.List{}, seen: map[diag.Diagnostic]bool{},
		stdout: &discard{"stdout"}, stderr: &discard{"stderr"}, procs: newProcSubsts()}
	dir, err := filepath.Abs(o.Dir)
	if err == nil {
		dir, err = filepath.EvalSymlinks(dir)
	}
	if err != nil {
		s.diags.Errorf(ir.Pos{File: o.Name}, "cannot use directory %s: %v", o.Dir, err)
		return s.diags
	}
	s.dir = dir
	file, ok := s.parse(o.Name, src)
	if !ok {
		return s.diags
	}
	s.run(file)
	return s.diags
}

// parse parses the script and rejects what cannot be interpreted safely,
// reporting every problem it finds.
func (s *session) parse(name string, src []byte) (*syntax.File, bool) {
	p := syntax.NewParser(syntax.Variant(syntax.LangBash))
	f, err := p.Parse(strings.NewReader(string(src)), name)
	if err != nil {
		s.parseError(name, src, err)
		return nil, false
	}
	checkQuotes(s.diags, name, f, s.o.AsRun)
	checkUnsupported(s.diags, name, f)
	for _, d := range s.procs.rewrite(f, func(p syntax.Pos) ir.Pos { return convPos(name, p, 0, 0) }) {
		s.addLocked(d)
	}
	return f, !s.diags.HasErrors()
}

func (s *session) parseError(name string, src []byte, err error) {
	var pe syntax.ParseError
	var le syntax.LangError
	switch {
	case errors.As(err, &pe):
		pos := convPos(name, pe.Pos, 0, 0)
		msg := pe.Text
		if qp, r, ok := firstTypographicQuote(name, src); ok {
			// The parse error is usually a consequence of a pasted quote.
			s.diags.Errorf(qp, "%s", quoteMsg(r))
		}
		s.diags.Errorf(pos, "%s", msg)
	case errors.As(err, &le):
		s.diags.Errorf(convPos(name, le.Pos, 0, 0), "%s is not supported by the shell interpreter", le.Feature)
	default:
		s.diags.Errorf(ir.Pos{File: name}, "%v", err)
	}
}

// run interprets the parsed script under the session's limits.
func (s *session) run(f *syntax.File) {
	ctx, cancel := context.WithCancelCause(context.Background())
	defer cancel(nil)
	ctx, stop := context.WithTimeoutCause(ctx, s.o.Timeout, errTimeout)
	defer stop()
	s.cancel = cancel
	s.limits = startLimits(s)
	defer s.limits.stop()
	u := newUnit(s, s.o.Name, f, 0, 0)
	// $0 is the script's real path, so that `$(dirname "$0")` finds the
	// files beside it.
	f.Name = filepath.Join(s.dir, filepath.Base(s.o.Name))
	r, err := u.runner(nil, s.stdout, s.stderr, nil, nil, nil)
	if err != nil {
		s.errorf(ir.Pos{File: s.o.Name}, "cannot start the interpreter: %v", err)
		return
	}
	err = r.Run(ctx, f)
	s.stoppedBy(r, err, "the script")
	s.finish(u, ctx, err)
}

// stoppedBy reports a shell that ended early because a command failed
// under set -e: what follows that command is not translated, as it would
// not run.
func (s *session) stoppedBy(r *interp.Runner, err error, what string) {
	code, ok := interp.IsExitStatus(err)
	if !ok || code == 0 || !r.Exited() {
		return
	}
	s.mu.Lock()
	pos, explicit, failing := s.failed, s.exited, s.diags.HasErrors()
	s.mu.Unlock()
	if explicit || failing {
		// exit N has reported itself; an error already fails the
		// translation, most likely at that very command.
		return
	}
	if pos.IsZero() {
		pos = s.lastPos()
	}
	s.warnf(pos, "%s stops here: it runs with set -e and this command fails (status %d), so nothing after it runs or is translated", what, code)
}

var errTimeout = errors.New("timeout")

// finish turns the way the run ended into diagnostics.
func (s *session) finish(u *unit, ctx context.Context, err error) {
	u.flushSinks()
	switch cause := context.Cause(ctx); {
	case errors.Is(cause, errTimeout):
		s.errorf(s.lastPos(), "interpretation stopped after %v: the script runs too long or loops forever (last command here)", s.o.Timeout)
		return
	case cause != nil && !errors.Is(cause, context.Canceled):
		// A limit already reported itself.
		return
	}
	if err == nil {
		return
	}
	if _, ok := interp.IsExitStatus(err); ok {
		return
	}
	s.errorf(s.lastPos(), "%v", err)
}

// errorf and warnf add a diagnostic once: a loop that repeats a command
// repeats its warning, which says nothing new.
func (s *session) errorf(pos ir.Pos, format string, args ...any) {
	s.add(pos, diag.Error, format, args...)
}

func (s *session) warnf(pos ir.Pos, format string, args ...any) {
	s.add(pos, diag.Warning, format, args...)
}

func (s *session) add(pos ir.Pos, sev diag.Severity, format string, args ...any) {
	var l diag.List
	if sev == diag.Error {
		l.Errorf(pos, format, args...)
	} else {
		l.Report(diag.Script, pos, format, args...)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.addLocked(l.Items[0])
}

func (s *session) addLocked(d diag.Diagnostic) {
	if s.seen[d] {
		return
	}
	s.seen[d] = true
	s.diags.Items = append(s.diags.Items, d)
}

// convPos turns an interpreter position into an ir.Pos. Positions of a
// nested script (`sh -c '...'`) are shifted by the place its text starts.
func convPos(file string, p syntax.Pos, lineOff, colOff int) ir.Pos {
	if !p.IsValid() {
		return ir.Pos{File: file}
	}
	line, col := int(p.Line()), int(p.Col())
	if line == 1 {
		col += colOff
	}
	return ir.Pos{File: file, Line: line + lineOff, Col: col}
}

// environ is the environment a fresh root shell on the target has. The
// translating machine's own environment is not passed on, so that the
// result does not depend on who runs ruleshift.
func environ(extra []string) expand.Environ {
	base := []string{
		"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		"HOME=/root", "USER=root", "LOGNAME=root", "SHELL=/bin/sh", "LANG=C.UTF-8",
		"UID=0", "EUID=0", "GID=0",
	}
	return expand.ListEnviron(append(base, extra...)...)
}

// readAllLimit reads r up to max bytes; more is an error.
func readAllLimit(r io.Reader, max int64) ([]byte, error) {
	if r == nil {
		return nil, nil
	}
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return data, err
	}
	if int64(len(data)) > max {
		return data[:max], errors.New("input too large")
	}
	return data, nil
}
