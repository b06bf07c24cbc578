// Command ruleshift converts firewall rules between iptables, nftables and
// ufw, loads them safely and makes them persistent.
//
// This package only parses flags, calls the packages that do the work and
// prints; no rule logic lives here.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/alecthomas/kong"
	"github.com/ruleshift/ruleshift/translate/diag"

	// The script frontend registers itself with package translate (which
	// does not import the shell interpreter); --from script needs it.
	_ "github.com/ruleshift/ruleshift/translate/script"
)

// Exit codes, documented in the README.
const (
	exitOK       = 0
	exitRules    = 1 // the input has errors, or a rule cannot be rendered
	exitUsage    = 2 // bad command line
	exitIO       = 3 // an input cannot be read or an output written
	exitSystem   = 4 // the kernel or a system tool refused
	exitMismatch = 5 // verify found differences
	exitDrift    = 6 // drift found differences
)

// exitError carries an exit code up to main.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

func fail(code int, format string, args ...any) error {
	return &exitError{code: code, msg: fmt.Sprintf(format, args...)}
}

type cli struct {
	Version    kong.VersionFlag `help:"Print the version and exit."`
	Warn       []string         `help:"Turn errors of class CODE into warnings (only unsupported, whose rules are then left out, and kernel-check). Repeatable." placeholder:"CODE"`
	Error      []string         `help:"Turn warnings of class CODE into errors (\"all\" for every warning). Repeatable." placeholder:"CODE"`
	Translate  translateCmd     `cmd:"" help:"Convert rules from iptables-save files or iptables scripts to ${backends_text}."`
	Apply      applyCmd         `cmd:"" help:"Load rules into the running kernel in one atomic step, optionally rolled back unless confirmed."`
	Confirm    confirmCmd       `cmd:"" help:"Keep the ruleset of an apply --confirm that is waiting in this network namespace."`
	Watch      watchCmd         `cmd:"" name:"__watch" hidden:"" help:"Internal: the rollback watcher of apply --confirm."`
	Detect     detectCmd        `cmd:"" help:"Show the distribution, iptables variant, firewall services and network setup, and the persistence method persist would choose."`
	Persist    persistCmd       `cmd:"" help:"Install rules so that they load at boot, the way the distribution expects."`
	Unpersist  unpersistCmd     `cmd:"" help:"Remove what persist installed and restore the files it replaced."`
	Import     importCmd        `cmd:"" help:"Read what the machine runs (the kernel's tables, both iptables variants and nftables) or loads at boot into one ruleset, and say where each table came from."`
	Migrate    migrateCmd       `cmd:"" help:"Move the machine's firewall to nftables (or iptables-nft) in one step: import, translate, verify on real packets, apply, remove the old tables, persist and turn off the old boot path."`
	Drift      driftCmd         `cmd:"" help:"Compare what the kernel runs, what loads at boot and the given source files; exit 6 when they differ."`
	Verify     verifyCmd        `cmd:"" help:"Load OLD and NEW into throwaway network namespaces, send the same packets through both and report every packet treated differently."`
	Refresh    refreshCmd       `cmd:"" help:"Resolve the host names of a loaded policy again and replace the addresses in their nftables sets (rules untouched); persist runs it from a timer."`
	Completion completionCmd    `cmd:"" help:"Print the shell completion script for bash, zsh or fish (the packages install them)."`
	Man        manCmd           `cmd:"" name:"__man" hidden:"" help:"Internal: write the man pages into DIR (the package build)."`
	Lint       lintCmd          `cmd:"" help:"Find what is wrong with a ruleset: rules never reached or redundant, default-deny chains that break loopback, replies, IPv6 or ssh, and more. Exit 7 on a warning or worse."`
	Ansible    ansibleCmd       `cmd:"" hidden:"" help:"Run as an Ansible module: read Ansible's JSON arguments file, print one JSON result (exit 0 even when it failed)."`
}

// env is what commands write to; tests swap it.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	// policy is what --warn and --error make of the diagnostics' classes.
	policy diag.Policy
}

func main() {
	os.Exit(run(moduleArgs(os.Args[1:]), &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr}))
}

func run(args []string, e *env) int {
	var c cli
	exitCode := -1
	parser, err := kong.New(&c,
		kong.Name("ruleshift"),
		kong.Description("Convert, apply and persist firewall rules across iptables, nftables and ufw."),
		kong.UsageOnError(),
		kong.Vars{"version": versionText()},
		backendVars(),
		kong.Writers(e.stdout, e.stderr),
		kong.Exit(func(code int) { exitCode = code }),
		kong.BindTo(e, (*env)(nil)),
	)
	if err != nil {
		fmt.Fprintf(e.stderr, "ruleshift: internal error: %v\n", err)
		return exitUsage
	}
	ctx, err := parser.Parse(args)
	if exitCode >= 0 {
		return exitCode
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "ruleshift: %v\n", err)
		return exitUsage
	}
	if e.policy, err = diag.NewPolicy(c.Warn, c.Error); err != nil {
		fmt.Fprintf(e.stderr, "ruleshift: %v\n", err)
		return exitUsage
	}
	if err := ctx.Run(e); err != nil {
		var ee *exitError
		if errors.As(err, &ee) {
			if ee.msg != "" {
				fmt.Fprintf(e.stderr, "ruleshift: %s\n", ee.msg)
			}
			return ee.code
		}
		fmt.Fprintf(e.stderr, "ruleshift: %v\n", err)
		return exitIO
	}
	return exitOK
}
