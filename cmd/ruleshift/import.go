package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ruleshift/ruleshift/backends"
	"github.com/ruleshift/ruleshift/machine"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// machineFlags are the flags of the commands that read a machine.
type machineFlags struct {
	Root           string   `help:"The system whose boot files are read (the kernel read is always this one's): /etc/iptables, /etc/sysconfig, /etc/nftables.conf, /etc/network, ufw, ruleshift's unit under DIR." default:"/" type:"path" placeholder:"DIR"`
	IncludeForeign bool     `name:"include-foreign" help:"Keep the tables and chains of Docker, Kubernetes, libvirt and fail2ban (left out by default, and listed)."`
	Source         []string `help:"Read only tables of these sources: legacy, nft-compat, nftables (native), ufw. Repeatable or comma-separated." placeholder:"SOURCE"`
	// Netns reads the kernel of a named network namespace (ip netns
	// exec): the tests' way to import a scratch namespace.
	Netns string `hidden:"" help:"Read the kernel of this network namespace."`
}

func (f *machineFlags) options() (machine.Options, error) {
	o := machine.Options{IncludeForeign: f.IncludeForeign}
	if st, err := os.Stat(f.Root); err != nil || !st.IsDir() {
		return o, fail(exitIO, "--root %s: not a directory", f.Root)
	}
	for _, list := range f.Source {
		for _, s := range strings.Split(list, ",") {
			switch s {
			case "legacy":
				o.Sources = append(o.Sources, machine.Legacy)
			case "nft-compat":
				o.Sources = append(o.Sources, machine.NFTCompat)
			case "nftables", "native":
				o.Sources = append(o.Sources, machine.Native)
			case "ufw":
				o.Sources = append(o.Sources, machine.UFW)
			default:
				return o, fail(exitUsage, "--source %q: not one of legacy, nft-compat, nftables, ufw", s)
			}
		}
	}
	return o, nil
}

// liveRunner runs the listing tools of the kernel an import or drift
// reads; the golden tests replace it with canned listings.
var liveRunner = machine.Local

// live reads the kernel, naming for each table what loads it at boot
// from the files under --root. The boot files only name services here:
// a problem reading them is a note, not an error of the import.
func (f *machineFlags) live(o machine.Options) *machine.State {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	st := machine.ReadLive(ctx, liveRunner(f.Netns), o)
	boot := machine.ReadRoot(f.Root, machine.Options{IncludeForeign: true})
	machine.AttachBoot(st, boot)
	if boot.Diags.HasErrors() {
		st.Notes = append(st.Notes, fmt.Sprintf("the boot files under %s could not all be read (%d errors): what loads a table at boot may be missing; ruleshift import --from root shows why", f.Root, len(boot.Diags.Errors())))
	}
	return st
}

type importCmd struct {
	machineFlags
	// Where is --from: not an input format like the other commands'
	// --from (TestFromEnum), but which side of the machine to read.
	Where  string `name:"from" help:"Read the running kernel (live) or the files the system under --root loads at boot (root)." enum:"live,root" default:"live"`
	To     string `help:"Output: save (iptables-save text, in the iptables variant the tables came from), ${backends_text}." enum:"save,${backends}" default:"save"`
	Output string `short:"o" help:"Write to FILE instead of standard output; a directory (ending in /) gets every file of the output (rules.v4 and rules.v6)." placeholder:"FILE|DIR/"`
}

func (c *importCmd) Run(e *env) error {
	o, err := c.options()
	if err != nil {
		return err
	}
	var st *machine.State
	if c.Where == "root" {
		st = machine.ReadRoot(c.Root, o)
	} else {
		st = c.live(o)
	}
	st.SortEntries()
	rs, rerr := st.Ruleset()
	writeProvenance(e.stderr, c.Where, st)
	if err := report(e, st.Diags); err != nil {
		return err
	}
	if rerr != nil {
		return fail(exitRules, "%v", rerr)
	}
	if len(rs.Tables) == 0 {
		fmt.Fprintln(e.stderr, "import: no table to import")
		return nil
	}
	diags := runPasses(rs)
	quietUFWChains(diags)
	if err := report(e, diags); err != nil {
		return err
	}
	b, err := backend(importBackend(c.To, st))
	if err != nil {
		return err
	}
	if err := iptablesNames(b.Name(), st); err != nil {
		return err
	}
	toDir := strings.HasSuffix(c.Output, "/") || isDir(c.Output)
	files, rd := b.Render(rs, backends.RenderOptions{Header: true, EveryFile: toDir})
	if err := report(e, rd); err != nil {
		return err
	}
	rules := files.Of(backends.RoleRules)
	out := map[string]string{}
	switch {
	case toDir:
		for _, f := range rules {
			out[filepath.Join(c.Output, f.Name)] = f.Text
		}
	case len(rules) == 1:
		out[""] = rules[0].Text
	case len(rules) > 0 && rules[0].Banner != "":
		out[""] = bannered(rules)
	case len(rules) > 1:
		if c.Output != "" && c.Output != "-" {
			return fail(exitUsage, "the import is %d files (%s): give -o DIR/ to write them all", len(rules), fileNames(rules))
		}
		// Standard output takes every file, each after a comment line
		// naming it, so that both families are seen.
		for i := range rules {
			rules[i].Banner = "# ==> " + rules[i].Name + " <=="
		}
		out[""] = bannered(rules)
	}
	return writeOutputs(e, c.Output, out)
}

// importBackend is the backend of --to; save is the iptables variant the
// tables came from: iptables-nft when every one is iptables-nft's,
// iptables-legacy otherwise (the two read the same save text).
func importBackend(to string, st *machine.State) string {
	if to != "save" {
		return to
	}
	for _, en := range st.Entries {
		if en.Source != machine.NFTCompat {
			return "iptables-legacy"
		}
	}
	return "iptables-nft"
}

// iptablesTables are the tables iptables-restore knows.
var iptablesTables = map[string]bool{"filter": true, "nat": true, "mangle": true, "raw": true, "security": true}

// iptablesNames refuses, for an iptables output, a native nftables table
// whose name is none of iptables' (translate/nft keeps such names, as
// "inet mine" has no iptables table to become): iptables-restore would
// refuse "*mine" at load time.
func iptablesNames(backend string, st *machine.State) error {
	if !strings.HasPrefix(backend, "iptables") {
		return nil
	}
	var bad []string
	for _, en := range st.Entries {
		if !iptablesTables[en.Table.Name] {
			bad = append(bad, fmt.Sprintf("%s (from %s)", en.Key(), en.From))
		}
	}
	if len(bad) > 0 {
		return fail(exitRules, "%s: no iptables table of that name, so %s cannot load it; import it with --to nftables, or leave it out with --source", strings.Join(bad, ", "), backend)
	}
	return nil
}

func fileNames(fs backends.Files) string {
	var n []string
	for _, f := range fs {
		n = append(n, f.Name)
	}
	return strings.Join(n, ", ")
}

// writeProvenance prints, for each table, where it came from and what
// loads it at boot, then what was left out and why.
func writeProvenance(w io.Writer, from string, st *machine.State) {
	for _, en := range st.Entries {
		boot := en.Boot
		if boot == "" {
			boot = "not loaded at boot"
		} else if from == "root" && en.AtBoot {
			boot = "loaded at boot by " + boot
		} else if from == "root" {
			boot = "not loaded at boot: " + boot
		} else if en.AtBoot {
			boot = "loaded at boot by " + boot
		}
		fmt.Fprintf(w, "import: %s: %s, %s, from %s; %s\n", en.Key(), en.Source, ruleCount(en.Table), en.From, boot)
	}
	for _, l := range st.Left {
		jumps := ""
		if l.Jumps > 0 {
			jumps = fmt.Sprintf(" and %s jumping to it", plural(l.Jumps, "rule"))
		}
		keep := "; --include-foreign keeps it"
		if strings.HasPrefix(l.Owner, "family ") {
			keep = ""
		}
		fmt.Fprintf(w, "import: left out: %s (%s, %s%s), from %s%s\n", l.Where, l.Owner, plural(l.Rules, "rule"), jumps, l.From, keep)
	}
	for _, n := range st.Notes {
		fmt.Fprintf(w, "import: note: %s\n", n)
	}
}

func ruleCount(t *ir.Table) string {
	n := 0
	for _, c := range t.Chains {
		n += len(c.Rules)
	}
	return plural(n, "rule")
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
