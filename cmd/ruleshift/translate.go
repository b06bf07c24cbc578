package main

import (
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ruleshift/ruleshift/backends"
	"github.com/ruleshift/ruleshift/backends/nftables"
	"github.com/ruleshift/ruleshift/hostsets"
	"github.com/ruleshift/ruleshift/internal/atomicfile"
	"github.com/ruleshift/ruleshift/translate"
	"github.com/ruleshift/ruleshift/translate/diag"
	"github.com/ruleshift/ruleshift/translate/hosts"
	"github.com/ruleshift/ruleshift/translate/iptables"
	"github.com/ruleshift/ruleshift/translate/ir"
	"github.com/ruleshift/ruleshift/translate/passes"
)

// inputFlags are the flags every command that reads rules shares.
type inputFlags struct {
	From   string   `help:"Input format: auto, nft (nft -j list ruleset output, or an nftables file, loaded in a scratch network namespace: needs root), policy (a TOML policy), save (iptables-save), script (shell script) or ufw (a ufw machine: a directory, / when no FILE is given)." enum:"auto,nft,policy,save,script,ufw" default:"auto"`
	Family string   `help:"Family of save files: auto (detect), ipv4 or ipv6. For iptables output, the family to print." enum:"auto,ipv4,ipv6" default:"auto"`
	Files  []string `arg:"" optional:"" help:"Input files; - or none reads standard input."`
	// Host names in -s/-d are pinned at translate time, as iptables pins
	// them when a rule is added.
	Hosts     string `help:"Resolve host names in -s/-d from this hosts(5) file only, never the network." placeholder:"FILE" xor:"resolve"`
	NoResolve bool   `help:"Make host names in -s/-d an error instead of resolving them." xor:"resolve"`
	// allowLockout is --allow-lockout of the commands that take it
	// (policyFlags).
	allowLockout bool
	// hostSets keeps a policy's host names in named sets, for nftables,
	// which refresh keeps current; hostState supplies the cached
	// addresses of a name that does not resolve now, reported by cache.
	hostSets  bool
	hostState *hostsets.State
	// lint runs the lint checks on the way (lint_wire.go).
	lint  lintMode
	cache func(host string, fam ir.Family, n int)
	// opt is --optimize and --explain of the commands that take them
	// (optimizeFlags).
	opt   optimizeFlags
	AsRun bool `name:"as-run" help:"Scripts: a command iptables would refuse, where the script does not check its status, is a warning instead of an error, and the result is what running the script leaves, failures included."`
}

// resolver builds the host name resolver the flags ask for; nil means
// names are an error.
func (f *inputFlags) resolver(e *env) (iptables.Resolver, error) {
	switch {
	case f.NoResolve:
		return nil, nil
	case f.Hosts != "":
		data, err := os.ReadFile(f.Hosts)
		if err != nil {
			return nil, fail(exitIO, "%v", err)
		}
		file, diags := hosts.Parse(f.Hosts, data)
		if err := report(e, diags); err != nil {
			return nil, err
		}
		return file.Resolver(), nil
	}
	return hosts.System(5 * time.Second), nil
}

type translateCmd struct {
	inputFlags
	ufwInputFlags
	ufwFlags
	policyFlags
	optimizeFlags
	To     string `help:"Output: ${backends_text}." enum:"${backends}" default:"nftables"`
	Output string `short:"o" help:"Write to FILE instead of standard output; a directory (ending in /) gets every file of the output (rules.v4 and rules.v6 for iptables)." placeholder:"FILE"`
}

func (f *inputFlags) family() ir.Family {
	switch f.Family {
	case "ipv4":
		return ir.IPv4
	case "ipv6":
		return ir.IPv6
	}
	return 0
}

// load reads and parses the inputs, printing diagnostics. It fails with
// exitRules when any input has errors.
func (f *inputFlags) load(e *env) (*ir.Ruleset, error) {
	var inputs []translate.Input
	files := f.Files
	if len(files) == 0 {
		files = []string{"-"}
		if f.From == string(translate.UFW) {
			files = []string{"/"} // this machine's ufw
		}
	}
	for _, name := range files {
		var data []byte
		var err error
		dir := "."
		if st, serr := os.Stat(name); name != "-" && serr == nil && st.IsDir() {
			// A directory: a ufw machine, read by its frontend.
			inputs = append(inputs, translate.Input{Name: name, Dir: name, IsDir: true})
			continue
		}
		if name == "-" {
			data, err = io.ReadAll(e.stdin)
			name = "<stdin>"
		} else {
			data, err = os.ReadFile(name)
			dir = filepath.Dir(name)
		}
		if err != nil {
			return nil, fail(exitIO, "%v", err)
		}
		inputs = append(inputs, translate.Input{Name: name, Data: data, Dir: dir})
	}
	resolve, err := f.resolver(e)
	if err != nil {
		return nil, err
	}
	size := 0
	for _, in := range inputs {
		size += len(in.Data)
	}
	limitMemory(size)
	if resolve != nil && f.hostState != nil {
		resolve = f.hostState.Cached(resolve, func(host string, fam ir.Family, addrs []netip.Addr) { f.cache(host, fam, len(addrs)) })
	}
	rs, diags := translate.Load(inputs, translate.Options{From: translate.Format(f.From), Family: f.family(), Resolve: resolve, AsRun: f.AsRun, AllowLockout: f.allowLockout, HostSets: f.hostSets})
	if !diags.HasErrors() {
		diags.Add(runPasses(rs))
		quietUFWChains(diags)
	}
	if !diags.HasErrors() {
		diags.Add(lintDiags(rs, f.lint, f.allowLockout))
	}
	if err := report(e, diags); err != nil {
		return nil, err
	}
	if f.hostSets {
		rs = policyInet(rs, inputs, translate.Format(f.From))
	}
	return f.optimized(e, rs), nil
}

// policyInet gives nftables a policy's two families as one inet table
// (passes.MergeInet): one policy, one table. Scripts and dumps keep a
// table per family, as iptables has them.
func policyInet(rs *ir.Ruleset, inputs []translate.Input, from translate.Format) *ir.Ruleset {
	for _, in := range inputs {
		f := from
		if f == translate.Auto {
			// The policy frontend's own claim is enough, and cheap: a
			// 100,000-rule save file is refused at its first line, where
			// asking every frontend again cost a tenth of translate.
			if c, _ := translate.Lookup(string(translate.Policy)).Detect(in); c > translate.Fallback {
				f = translate.Policy
			}
		}
		if f != translate.Policy {
			return rs
		}
	}
	return passes.MergeInet(rs, nftables.SameInBoth)
}

// report prints diagnostics sorted by position and turns errors into an
// exitRules failure.
func report(e *env, diags *diag.List) error {
	e.policy.Apply(diags)
	diags.Sort()
	nerr := 0
	for _, d := range diags.Items {
		fmt.Fprintln(e.stderr, d.String())
		if d.Severity == diag.Error {
			nerr++
		}
	}
	if nerr > 0 {
		s := "s"
		if nerr == 1 {
			s = ""
		}
		return fail(exitRules, "%d error%s; nothing written", nerr, s)
	}
	return nil
}

func (c *translateCmd) Run(e *env) error {
	if err := c.ufwInputFlags.apply(&c.inputFlags); err != nil {
		return err
	}
	c.policyFlags.apply(&c.inputFlags)
	if err := c.optimizeFlags.apply(&c.inputFlags); err != nil {
		return err
	}
	c.hostSets = c.To == "nftables"
	c.lint = lintWarn
	rs, err := c.load(e)
	if err != nil {
		return err
	}
	b, err := backend(c.To)
	if err != nil {
		return err
	}
	out := map[string]string{} // file name -> contents; "" key is stdout
	o := backends.RenderOptions{Header: true, Params: c.params()}
	if f := c.family(); f != 0 {
		o.Families = []ir.Family{f}
	}
	toDir := strings.HasSuffix(c.Output, "/") || isDir(c.Output)
	o.EveryFile = toDir
	files, diags := b.Render(rs, o)
	rules := files.Of(backends.RoleRules)
	if toDir {
		for _, f := range rules {
			out[filepath.Join(c.Output, f.Name)] = f.Text
		}
	} else if len(rules) > 0 && rules[0].Banner != "" {
		out[""] = bannered(rules)
	} else if len(rules) > 0 {
		// One output takes one file, the first; the families of the
		// others are named, not silently left out.
		out[""] = rules[0].Text
		if f := rules[0].Family; f != 0 {
			for _, other := range rs.Families() {
				if other != f {
					diags.Report(diag.LeftOut, ir.Pos{}, "the input also has %s rules, which this output leaves out: use --family %s, or -o DIR/ for both", other, familyFlag(other))
				}
			}
		}
	}
	if err := report(e, diags); err != nil {
		return err
	}
	return writeOutputs(e, c.Output, out)
}

// bannered joins the files a backend asks to print together, each after
// its banner line.
func bannered(files backends.Files) string {
	var b strings.Builder
	for i, f := range files {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(f.Banner + "\n" + f.Text)
	}
	return b.String()
}

func familyFlag(f ir.Family) string {
	if f == ir.IPv6 {
		return "ipv6"
	}
	return "ipv4"
}

func isDir(p string) bool {
	if p == "" {
		return false
	}
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

// writeOutputs writes every output atomically, only after all rendered
// without error.
func writeOutputs(e *env, output string, out map[string]string) error {
	if text, ok := out[""]; ok {
		if output == "" || output == "-" {
			_, err := io.WriteString(e.stdout, text)
			return err
		}
		if err := atomicfile.Write(output, []byte(text), 0o640); err != nil {
			return fail(exitIO, "%v", err)
		}
		return nil
	}
	if err := os.MkdirAll(output, 0o755); err != nil {
		return fail(exitIO, "%v", err)
	}
	for name, text := range out {
		if err := atomicfile.Write(name, []byte(text), 0o640); err != nil {
			return fail(exitIO, "%v", err)
		}
	}
	return nil
}
