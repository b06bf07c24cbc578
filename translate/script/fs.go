package script

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"mvdan.cc/sh/v3/interp"

	"github.com/ruleshift/ruleshift/translate/ir"
)

// sink stands for a file the script writes to. Nothing is written; the
// write is reported once, at the first command whose output goes there
// (that is the command that would have written), or at the end.
type sink struct {
	path     string
	null     bool // /dev/null and friends: silent
	pos      ir.Pos
	reported bool
}

func (*sink) Read([]byte) (int, error)    { return 0, io.EOF }
func (*sink) Write(p []byte) (int, error) { return len(p), nil }
func (*sink) Close() error                { return nil }

// silentWrites are files a script may write to without effect worth a
// warning.
var silentWrites = map[string]bool{
	"/dev/null": true, "/dev/stdout": true, "/dev/stderr": true, "/dev/tty": true,
	"/dev/fd/1": true, "/dev/fd/2": true, "/proc/self/fd/1": true, "/proc/self/fd/2": true,
}

func (u *unit) absPath(dir, path string) string {
	if !filepath.IsAbs(path) {
		path = filepath.Join(dir, path)
	}
	return filepath.Clean(path)
}

// open is the interpreter's only way to files: writes go to a sink, reads
// are allowed in the script's directory only.
func (u *unit) open(ctx context.Context, path string, flag int, _ os.FileMode) (io.ReadWriteCloser, error) {
	hc := interp.HandlerCtx(ctx)
	abs := u.absPath(hc.Dir, path)
	if u.s.procs.has(abs) {
		return u.s.procs.open(abs, flag), nil
	}
	if flag&(os.O_WRONLY|os.O_RDWR|os.O_APPEND|os.O_CREATE|os.O_TRUNC) != 0 {
		d := &sink{path: path, null: silentWrites[abs], pos: u.redirPos(path)}
		if !d.null {
			u.s.mu.Lock()
			u.s.sinks = append(u.s.sinks, d)
			u.s.mu.Unlock()
		}
		return d, nil
	}
	if abs == "/dev/null" {
		return &sink{path: path, null: true}, nil
	}
	if !u.s.readable(abs) {
		u.s.errorf(u.redirPos(path), "%s", u.s.outsideMsg(path))
		return nil, &os.PathError{Op: "open", Path: path, Err: fs.ErrPermission}
	}
	f, err := os.Open(abs)
	if err != nil {
		u.s.unreadable(u.redirPos(path), path, err)
	}
	return f, err
}

// unreadable reports a file of the script's directory that cannot be
// opened. As run, a missing file makes only the command reading it fail
// (". FILE", "< FILE", "cat FILE"): bash goes on with what follows, so
// the result is what a run leaves. Bash, not sh: dash ends the script at
// a "." that finds no file.
func (s *session) unreadable(pos ir.Pos, path string, err error) {
	if s.o.AsRun && errors.Is(err, fs.ErrNotExist) {
		s.warnf(pos, "cannot read %s: %v (as run, the command reading it fails and bash goes on; dash ends the script at a failed \".\")", path, unwrapPathErr(err))
		return
	}
	s.errorf(pos, "cannot read %s: %v", path, unwrapPathErr(err))
}

func (s *session) outsideMsg(path string) string {
	return "cannot read " + path + ": a translated script may read only files in its own directory; copy the file beside " + filepath.Base(s.o.Name)
}

// redirPos guesses where a redirection to path is written: the handlers
// get no position for it, so look for a redirection with that literal
// word, preferring one after the last command seen.
func (u *unit) redirPos(path string) ir.Pos {
	last := u.s.lastPos()
	var first *ir.Pos
	for _, rd := range u.redirs {
		if v, ok := simpleWord(rd.Word); !ok || v != path {
			continue
		}
		p := u.pos(rd.OpPos)
		if first == nil {
			first = &p
		}
		if p.Line > last.Line || p.Line == last.Line && p.Col >= last.Col {
			return p
		}
	}
	if first != nil {
		return *first
	}
	return last
}

// readable reports whether the script may read abs: a file inside its
// directory (after symlinks) or one of the explicit inputs.
func (s *session) readable(abs string) bool {
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		// A missing file inside the directory reads as "not found".
		return within(s.dir, filepath.Clean(abs))
	}
	if within(s.dir, real) {
		return true
	}
	for _, r := range s.o.Readable {
		if a, err := filepath.Abs(r); err == nil {
			if ra, err := filepath.EvalSymlinks(a); err == nil && ra == real {
				return true
			}
		}
	}
	return false
}

func within(dir, path string) bool {
	return path == dir || strings.HasPrefix(path, strings.TrimSuffix(dir, "/")+"/")
}

// readFile reads a file named by a command argument (cat FILE, sh FILE,
// iptables-restore FILE) under the same rule as open.
func (c *cmdCtx) readFile(path string, pos ir.Pos) ([]byte, bool) {
	s := c.u.s
	abs := c.u.absPath(c.hc.Dir, path)
	if abs == "/dev/null" {
		return nil, true
	}
	if s.procs.has(abs) {
		return s.procs.read(abs), true
	}
	if !s.readable(abs) {
		s.errorf(pos, "%s", s.outsideMsg(path))
		return nil, false
	}
	f, err := os.Open(abs)
	if err != nil {
		s.unreadable(pos, path, err)
		return nil, false
	}
	defer f.Close()
	data, err := readAllLimit(f, 64<<20)
	if err != nil {
		s.errorf(pos, "cannot read %s: %v", path, err)
		return nil, false
	}
	return data, true
}

func unwrapPathErr(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// display names a file the script refers to the way positions name the
// script: relative to where the user pointed.
func (s *session) display(path string) string {
	if filepath.IsAbs(path) {
		return path
	}
	return filepath.Join(filepath.Dir(s.o.Name), path)
}

// reportSinks reports the writes of the command about to run.
func (s *session) reportSinks(hc interp.HandlerContext, name string, pos ir.Pos) {
	for _, w := range []io.Writer{hc.Stdout, hc.Stderr} {
		d, ok := w.(*sink)
		if !ok || d.null {
			continue
		}
		s.mu.Lock()
		done := d.reported
		d.reported = true
		s.mu.Unlock()
		if !done {
			s.warnf(pos, "%s writes to %s, which is not done: ruleshift writes no files while translating", name, d.path)
		}
	}
}

// flushSinks reports writes that no command made, such as `> file`.
func (u *unit) flushSinks() {
	s := u.s
	s.mu.Lock()
	var todo []*sink
	for _, d := range s.sinks {
		if !d.reported {
			d.reported = true
			todo = append(todo, d)
		}
	}
	s.mu.Unlock()
	for _, d := range todo {
		s.warnf(d.pos, "the script writes to %s, which is not done: ruleshift writes no files while translating", d.path)
	}
}

// stat answers file tests ([ -f ], [ -x ], cd) as the target would for the
// script's own directory and the iptables tools; every other path is taken
// as missing, so that the result does not depend on the translating
// machine.
func (u *unit) stat(ctx context.Context, name string, follow bool) (fs.FileInfo, error) {
	hc := interp.HandlerCtx(ctx)
	abs := u.absPath(hc.Dir, name)
	switch {
	case silentWrites[abs] || abs == "/":
		return os.Stat(abs)
	case u.s.readable(abs):
		if follow {
			return os.Stat(abs)
		}
		return os.Lstat(abs)
	case isToolPath(abs):
		return toolInfo(filepath.Base(abs)), nil
	}
	u.s.warnf(u.s.lastPos(), "%s is outside the script's directory: a test of it is taken as false (the file is not looked at)", name)
	return nil, &os.PathError{Op: "stat", Path: name, Err: fs.ErrNotExist}
}

func (u *unit) access(ctx context.Context, path string, mode interp.AccessMode) error {
	_, err := u.stat(ctx, path, true)
	if err != nil {
		return err
	}
	abs := u.absPath(interp.HandlerCtx(ctx).Dir, path)
	if isToolPath(abs) || silentWrites[abs] {
		return nil
	}
	return interp.DefaultAccessHandler()(ctx, abs, mode)
}

// readDir serves globs: the script's directory only; elsewhere a glob
// matches nothing and stays literal, as in a shell.
func (u *unit) readDir(ctx context.Context, path string) ([]fs.DirEntry, error) {
	abs := u.absPath(interp.HandlerCtx(ctx).Dir, path)
	if !u.s.readable(abs) {
		// An error would fail the whole command; an empty directory makes
		// the pattern match nothing.
		return nil, nil
	}
	return os.ReadDir(abs)
}

var toolDirs = map[string]bool{"/sbin": true, "/usr/sbin": true, "/bin": true, "/usr/bin": true, "/usr/local/sbin": true}

func isToolPath(abs string) bool {
	return toolDirs[filepath.Dir(abs)] && (isTool(filepath.Base(abs)) || isShell(filepath.Base(abs)))
}

func isShell(name string) bool {
	switch name {
	case "sh", "bash", "dash":
		return true
	}
	return false
}

// toolInfo is what stat says about an installed iptables tool.
type toolInfo string

func (t toolInfo) Name() string     { return string(t) }
func (toolInfo) Size() int64        { return 0 }
func (toolInfo) Mode() fs.FileMode  { return 0o755 }
func (toolInfo) ModTime() time.Time { return time.Time{} }
func (toolInfo) IsDir() bool        { return false }
func (toolInfo) Sys() any           { return nil }
