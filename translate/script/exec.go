package script

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/interp"
	"mvdan.cc/sh/v3/syntax"

	"github.com/ruleshift/ruleshift/translate/diag"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// commandV stands in for the `command -v` builtin, which would look at the
// translating machine's PATH.
const commandV = "\x00command-v"

// cmdCtx is one intercepted command.
type cmdCtx struct {
	u       *unit
	ctx     context.Context
	hc      interp.HandlerContext
	call    *syntax.CallExpr
	pos     ir.Pos
	handled bool     // the script checks the status, or hides the errors
	argp    []ir.Pos // positions of the arguments of the command dispatched
	words   []*syntax.Word
}

func (c *cmdCtx) argPos(i int) ir.Pos {
	if i < len(c.argp) {
		return c.argp[i]
	}
	return c.pos
}

// runner makes an interpreter whose every side effect goes through this
// unit's handlers.
func (u *unit) runner(stdin io.Reader, stdout, stderr io.Writer, env, opts, params []string) (*interp.Runner, error) {
	var set []string
	for _, o := range opts {
		// Only the options that change how a script runs; -x and the like
		// change nothing here.
		if o == "-e" || o == "-u" || o == "-f" {
			set = append(set, o)
		}
	}
	return interp.New(
		interp.StdIO(stdin, stdout, stderr),
		interp.Dir(u.s.dir),
		interp.Env(environ(env)),
		interp.Params(append(append(set, "--"), params...)...),
		interp.CallHandler(u.callHandler),
		interp.ExecHandlers(func(interp.ExecHandlerFunc) interp.ExecHandlerFunc { return u.execHandler }),
		interp.OpenHandler(u.open),
		interp.ReadDirHandler2(u.readDir),
		interp.StatHandler(u.stat),
		interp.AccessHandler(u.access),
	)
}

// callPos is the position of the command at p; text run by eval or source
// has no position in this unit and takes that of the last command that had
// one (the eval or source itself).
func (u *unit) callPos(p syntax.Pos, c *syntax.CallExpr) ir.Pos {
	if c == nil {
		return u.s.lastPos()
	}
	pos := u.pos(p)
	u.s.setLast(pos)
	return pos
}

// callHandler runs before every simple command, builtins and functions
// included: it counts steps, enforces the limits and replaces the builtins
// that would look at the translating machine.
func (u *unit) callHandler(ctx context.Context, args []string) ([]string, error) {
	hc := interp.HandlerCtx(ctx)
	pos := u.callPos(hc.Pos, u.lookup(hc.Pos))
	if err := u.s.limits.step(pos); err != nil {
		return nil, err
	}
	if u.funcs[args[0]] {
		if err := u.s.limits.depth(pos); err != nil {
			return nil, err
		}
	}
	if !isSaveTool(filepath.Base(args[0])) {
		u.s.reportSinks(hc, args[0], pos)
	}
	u.s.mu.Lock()
	u.s.failed, u.s.exited = ir.Pos{}, args[0] == "exit"
	u.s.mu.Unlock()
	switch args[0] {
	case "exit":
		if len(args) > 1 && args[1] != "0" {
			u.s.warnf(pos, "the script exits here with status %s; nothing after this point is translated", args[1])
		}
	case "command":
		if len(args) > 2 && args[1] == "-v" {
			return append([]string{commandV}, args[2:]...), nil
		}
	case "read", "mapfile", "readarray":
		if hc.Stdin == nil {
			u.s.warnf(pos, "%s gets no input: a translated script has no terminal", args[0])
		}
		if args[0] != "read" {
			return mapfileFix(args), nil
		}
	}
	return args, nil
}

// mapfileFix works around the interpreter's mapfile (mvdan.cc/sh 3.14),
// which leaves the array unset when it reads nothing, so that
// "${X[@]}" gives one empty word where bash gives none: a loop over the
// lines of a command that is not run would add a rule for "". The
// builtin runs as written, then the array is assigned its own elements,
// which makes it a set array as in bash.
func mapfileFix(args []string) []string {
	name := "MAPFILE"
	var rest []string
	for i := 1; i < len(args); i++ {
		switch a := args[i]; {
		case a == "-t":
		case a == "-d" && i+1 < len(args):
			i++
		case strings.HasPrefix(a, "-"):
			return args // the builtin refuses it
		default:
			rest = append(rest, a)
		}
	}
	if len(rest) > 1 || len(rest) == 1 && !syntax.ValidName(rest[0]) {
		return args
	}
	if len(rest) == 1 {
		name = rest[0]
	}
	var b strings.Builder
	b.WriteString("builtin")
	for _, a := range args {
		q, err := syntax.Quote(a, syntax.LangBash)
		if err != nil {
			return args
		}
		b.WriteString(" " + q)
	}
	// ${X[0]+x} is the one test that sees the elements of that array
	// under set -u too.
	fmt.Fprintf(&b, ` && { if [ -n "${%[1]s[0]+x}" ]; then %[1]s=("${%[1]s[@]}"); else %[1]s=(); fi; }`, name)
	return []string{"eval", b.String()}
}

// execHandler receives every command that is neither a builtin nor a
// function. Nothing is ever executed.
func (u *unit) execHandler(ctx context.Context, args []string) error {
	hc := interp.HandlerCtx(ctx)
	call := u.lookup(hc.Pos)
	c := &cmdCtx{u: u, ctx: ctx, hc: hc, call: call, pos: u.callPos(hc.Pos, call)}
	if call != nil && u.handled[call.Args[0].Pos().Offset()] {
		c.handled = true
	}
	if d, ok := hc.Stderr.(*sink); ok && d.null {
		c.handled = true
	}
	pos, words := u.argWords(call, args, c.pos)
	c.words = words
	err := c.dispatch(args, pos)
	if code, ok := interp.IsExitStatus(err); ok && code != 0 {
		u.s.mu.Lock()
		u.s.failed = c.pos
		u.s.mu.Unlock()
	}
	return err
}

// word returns the literal word argument i of the dispatched command came
// from, or nil. Wrappers shift the arguments; the words shift with them.
func (c *cmdCtx) word(i int, args []string) *syntax.Word {
	j := len(c.words) - len(args) + i
	if j < 0 || j >= len(c.words) {
		return nil
	}
	return c.words[j]
}

// dispatch runs one command by name; wrappers such as sudo call it again
// with what they wrap.
func (c *cmdCtx) dispatch(args []string, pos []ir.Pos) error {
	name := filepath.Base(args[0])
	if files, ok := loadsRules(args); ok {
		// Before iptablesTools: /etc/init.d/iptables is a service.
		c.u.s.warnf(pos[0], "%q is not run: it loads the rules saved in %s into the kernel, which ruleshift does not read, so the result lacks them; give those files to ruleshift as inputs", strings.Join(args, " "), files)
		return nil
	}
	if fam, ok := iptablesTools[name]; ok {
		return c.iptables(fam, name, args[1:], pos[1:])
	}
	if fam, ok := restoreTools[name]; ok {
		return c.restore(fam, name, args[1:], pos[1:])
	}
	switch name {
	case "sudo", "doas", "nohup", "nice", "env", "timeout", "stdbuf", "chroot":
		return c.wrapper(name, args, pos)
	case "sh", "bash", "dash", "ash", "ksh", "zsh", "busybox":
		return c.shell(args, pos)
	}
	if isSaveTool(name) {
		return c.save(name)
	}
	if h, ok := helpers[name]; ok {
		c.argp = pos
		return h(c, args)
	}
	c.unknown(name, pos[0])
	return nil
}

// wrapper strips a command that runs another one (sudo, env, nice...) and
// its options.
func (c *cmdCtx) wrapper(name string, args []string, pos []ir.Pos) error {
	i := 1
	needDuration := name == "timeout"
loop:
	for i < len(args) {
		a := args[i]
		switch {
		case a == "--":
			i++
			break loop
		case name == "env" && strings.Contains(a, "=") && !strings.HasPrefix(a, "-"):
			i++
		case strings.HasPrefix(a, "-") && len(a) > 1:
			i++
			if wrapperArgOpt(name, a) {
				i++
			}
		case needDuration:
			i++
			needDuration = false
		default:
			break loop
		}
	}
	if i >= len(args) {
		return nil
	}
	return c.dispatch(args[i:], pos[i:])
}

// wrapperArgOpt reports whether a wrapper option takes the next argument.
func wrapperArgOpt(name, opt string) bool {
	switch name {
	case "sudo", "doas":
		switch opt {
		case "-u", "-g", "-p", "-C", "-h", "-r", "-t", "-U", "-D", "-R", "-T":
			return true
		}
	case "nice":
		return opt == "-n"
	case "env":
		return opt == "-u" || opt == "-C" || opt == "-S"
	case "timeout":
		return opt == "-s" || opt == "-k"
	case "chroot":
		return false
	}
	return false
}

// shell runs `sh -c TEXT`, `sh FILE` or `sh` reading its standard input as
// a nested script: same session, same handlers.
func (c *cmdCtx) shell(args []string, pos []ir.Pos) error {
	i := 1
	if filepath.Base(args[0]) == "busybox" && len(args) > 1 {
		i = 2
	}
	var opts []string
	for i < len(args) && strings.HasPrefix(args[i], "-") && args[i] != "-c" && args[i] != "--" {
		opts = append(opts, args[i])
		i++
	}
	if i < len(args) && args[i] == "--" {
		i++
	}
	switch {
	case i < len(args) && args[i] == "-c":
		if i+1 >= len(args) {
			return c.fail(pos[i], 2, "%s -c needs a command string", args[0])
		}
		return c.nested(args[i+1], c.word(i+1, args), opts, args[min(i+2, len(args)):])
	case i < len(args):
		data, ok := c.readFile(args[i], pos[i])
		if !ok {
			return interp.NewExitStatus(127)
		}
		return c.nestedFile(c.u.s.display(args[i]), data, opts, args[i:])
	}
	data, err := readAllLimit(c.hc.Stdin, 1<<20)
	if err != nil {
		return c.fail(c.pos, 1, "%s reads a script from its input: %v", args[0], err)
	}
	fixed := c.pos
	return c.run(c.pos.File, string(data), &fixed, 0, 0, opts, nil)
}

// nested runs the text of `sh -c TEXT`. When TEXT is a literal word of
// the script, its commands keep their own positions inside it; text built
// from variables takes the position of the sh command.
func (c *cmdCtx) nested(text string, w *syntax.Word, opts, params []string) error {
	if w == nil || c.u.fixed != nil {
		fixed := c.pos
		return c.run(c.pos.File, text, &fixed, 0, 0, opts, params)
	}
	at := c.u.pos(w.Pos())
	colOff := at.Col - 1
	switch w.Parts[0].(type) {
	case *syntax.SglQuoted, *syntax.DblQuoted:
		colOff++
	}
	// A multi-line string keeps its own columns after the first line.
	return c.run(c.u.file, text, nil, at.Line-1, colOff, opts, params)
}

// nestedFile runs `sh FILE ARGS...`; params starts with FILE, which is $0.
func (c *cmdCtx) nestedFile(name string, data []byte, opts, params []string) error {
	return c.run(name, string(data), nil, 0, 0, opts, params)
}

// run parses and interprets shell text inside the current session.
func (c *cmdCtx) run(file, text string, fixed *ir.Pos, lineOff, colOff int, opts, params []string) error {
	s := c.u.s
	if err := s.limits.depth(c.pos); err != nil {
		return err
	}
	f, err := syntax.NewParser(syntax.Variant(syntax.LangBash)).Parse(strings.NewReader(text), file)
	if err != nil {
		var pe syntax.ParseError
		p, msg := c.pos, err.Error()
		if errors.As(err, &pe) {
			msg = pe.Text
			if fixed == nil {
				p = convPos(file, pe.Pos, lineOff, colOff)
			}
		}
		return c.fail(p, 2, "in the nested shell: %s", msg)
	}
	s.mu.Lock()
	checkQuotes(s.diags, file, f, s.o.AsRun)
	checkUnsupported(s.diags, file, f)
	for _, d := range s.procs.rewrite(f, func(p syntax.Pos) ir.Pos {
		if fixed != nil {
			return *fixed
		}
		return convPos(file, p, lineOff, colOff)
	}) {
		s.addLocked(d)
	}
	s.mu.Unlock()
	u := newUnit(s, file, f, lineOff, colOff)
	u.fixed = fixed
	var env []string
	c.hc.Env.Each(func(name string, vr expand.Variable) bool {
		if vr.Exported && vr.Kind == expand.String {
			env = append(env, name+"="+vr.Str)
		}
		return true
	})
	var stdin io.Reader
	if c.hc.Stdin != nil {
		stdin = c.hc.Stdin
	}
	if len(params) > 0 {
		params = params[1:] // the first is $0
	}
	r, err := u.runner(stdin, c.hc.Stdout, c.hc.Stderr, env, opts, params)
	if err != nil {
		return c.fail(c.pos, 2, "cannot start the nested shell: %v", err)
	}
	err = r.Run(c.ctx, f)
	s.stoppedBy(r, err, "the nested shell")
	if err == nil {
		return nil
	}
	if code, ok := interp.IsExitStatus(err); ok {
		return interp.NewExitStatus(code)
	}
	return err
}

// unknown warns about a command that is not run. It succeeds with no
// output, as the issue asks: a script goes on as if it had worked. A line
// of an iptables-save file met as a command is an error instead.
func (c *cmdCtx) unknown(name string, pos ir.Pos) {
	if isSaveLine(name) {
		// A dump pasted into a script, or a save file read as one: the
		// shell would fail on it too, and nothing of it would be loaded.
		why := ""
		s := c.u.s
		s.mu.Lock()
		first := !s.saveLine
		s.saveLine = true
		s.mu.Unlock()
		if first && s.o.FormatWhy != "" && pos.File == s.o.Name {
			why = fmt.Sprintf(" (%s is read as a script because %s)", pos.File, s.o.FormatWhy)
		}
		s.errorf(pos, "%q is a line of an iptables-save file, not a command%s: feed such lines to iptables-restore with a here-document, or give them to ruleshift as a save file", name, why)
		return
	}
	msg := fmt.Sprintf("%q is not run: only iptables commands are translated", name)
	if why, ok := rulesetTools[name]; ok {
		msg = fmt.Sprintf("%q is not translated: %s, so its rules are not in the result", name, why)
	} else if t := misspeltTool(name); t != "" {
		msg += fmt.Sprintf(" (did you mean %s? as written, the shell finds no such command and goes on)", t)
	}
	if c.consumed() {
		msg += "; its output is taken as empty"
	}
	c.u.s.warnf(pos, "%s", msg)
}

// misspeltTool is the iptables tool name is a typo of ("ip6tbales"), or "".
func misspeltTool(name string) string {
	tools := []string{"iptables", "ip6tables", "iptables-restore", "ip6tables-restore", "iptables-save", "ip6tables-save"}
	t := diag.Suggest(name, tools)
	if t == "" || len(name) < len(t)-1 || len(name) > len(t)+1 {
		return ""
	}
	return t
}

// isSaveLine recognises the first word of a line of the iptables-save
// format: "*filter", ":INPUT", "COMMIT", "-A", "[0:0]".
func isSaveLine(w string) bool {
	switch {
	case w == "COMMIT":
		return true
	case len(w) < 2:
		return false
	case w[0] == '*' || w[0] == ':':
		return true
	case w[0] == '-':
		return w[1] >= 'A' && w[1] <= 'Z'
	case w[0] == '[':
		return strings.HasSuffix(w, "]") && strings.Contains(w, ":")
	}
	return false
}

// consumed reports whether the command's output goes somewhere that reads
// it: a pipe or a command substitution.
func (c *cmdCtx) consumed() bool {
	if c.hc.Stdout == io.Writer(c.u.s.stdout) {
		return false
	}
	_, isSink := c.hc.Stdout.(*sink)
	return !isSink
}

// fail records an error for a command and returns the exit status the
// real tool would have.
func (c *cmdCtx) fail(pos ir.Pos, code uint8, format string, args ...any) error {
	c.u.s.errorf(pos, format, args...)
	return interp.NewExitStatus(code)
}

// rulesetTools are commands that hold rules of their own, which a user
// must know are missing from the translation.
var rulesetTools = map[string]string{
	"nft":            "nftables commands are not read from scripts",
	"ufw":            "ufw commands are not read from scripts",
	"firewall-cmd":   "firewalld commands are not read from scripts",
	"ebtables":       "ebtables is a bridge firewall ruleshift does not read",
	"arptables":      "arptables is an ARP firewall ruleshift does not read",
	"ipset":          "ipset commands are not read (rules using -m set need the sets created separately)",
	"iptables-apply": "iptables-apply is interactive; give its rules file to ruleshift as an input",
}
