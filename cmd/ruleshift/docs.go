package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/alecthomas/kong"
	"github.com/ruleshift/ruleshift/internal/clidoc"
)

// completionCmd prints a shell's completion script, for users without the
// packages (which install them): source <(ruleshift completion bash).
type completionCmd struct {
	Shell string `arg:"" enum:"bash,zsh,fish" help:"The shell: bash, zsh or fish."`
}

func (c *completionCmd) Run(e *env, k *kong.Context) error {
	text, err := clidoc.Completion(k.Model, c.Shell)
	if err != nil {
		return fail(exitUsage, "%v", err)
	}
	fmt.Fprint(e.stdout, text)
	return nil
}

// manCmd writes the man pages (the package build runs it).
type manCmd struct {
	Dir  string `arg:"" help:"Directory to write ruleshift.1 and one page per command into." type:"path"`
	Date string `help:"Date on the pages (the build's, for reproducible pages)." placeholder:"YYYY-MM-DD"`
}

// exitCodes are the exit statuses the README documents, for the man pages.
var exitCodes = [][2]string{
	{"0", "success (warnings may have been printed); for lint: no finding of severity warning or worse; for drift: no difference"},
	{"1", "the input has errors, or a rule cannot be rendered for the chosen output; nothing was written or loaded"},
	{"2", "bad command line"},
	{"3", "an input cannot be read or an output written"},
	{"4", "the kernel or a system tool refused; the kernel was left as it was"},
	{"5", "verify found packets the two rulesets treat differently"},
	{"6", "drift found that the kernel, the boot files and the sources differ"},
	{"7", "lint found something of severity warning or worse"},
}

const manDescription = `ruleshift reads firewall rules in the forms Linux machines have them (iptables-save dumps, iptables shell scripts, ufw's configuration, nftables files and TOML policies) into one model, and writes them for nftables, iptables-legacy, iptables-nft or ufw. Nothing is silently dropped or weakened: a rule the output cannot express is an error naming its source line.

apply loads rules in one atomic step and can roll them back unless confirmed; verify loads two rulesets into throwaway network namespaces and sends the same packets through both; persist installs rules the way the distribution loads them at boot, and unpersist takes that back.

Each command has its own page, named below.`

func (c *manCmd) Run(e *env, k *kong.Context) error {
	date := c.Date
	if date == "" {
		date = time.Now().UTC().Format("2006-01-02")
	}
	info := clidoc.ManInfo{Version: version, Date: date, ExitCodes: exitCodes, Description: manDescription,
		Files: [][2]string{
			{"/etc/ruleshift/", "rule files of the ifupdown and systemd methods"},
			{"/var/lib/ruleshift/manifest.json", "what persist installed, for unpersist"},
			{"/var/lib/ruleshift/hosts.json", "host-name sets of a loaded policy and their last good addresses, for refresh"},
			{"/run/ruleshift/", "the state of an apply waiting for confirmation"},
		},
		SeeAlso: []string{"\\fBiptables\\fR(8)", "\\fBiptables-restore\\fR(8)", "\\fBnft\\fR(8)", "\\fBufw\\fR(8)"}}
	if err := os.MkdirAll(c.Dir, 0o755); err != nil {
		return fail(exitIO, "%v", err)
	}
	for _, p := range clidoc.ManPages(k.Model, info) {
		if err := os.WriteFile(filepath.Join(c.Dir, p.File), []byte(p.Text), 0o644); err != nil {
			return fail(exitIO, "%v", err)
		}
	}
	return nil
}
