package persist

import (
	"path"
	"strings"

	"github.com/ruleshift/ruleshift/backends"
)

// OwnDir holds the rule files of the methods that load ruleshift's own
// files (ifupdown, systemd); a line elsewhere that names it is ruleshift's.
const OwnDir = "/etc/ruleshift"

// StateDir holds the manifest and backups, inside the root.
const StateDir = "/var/lib/ruleshift"

// ruleFileMode keeps rules readable by root only: comments in them can
// carry host names, customer names or worse.
const ruleFileMode = 0o600

// ownRules adds ruleshift's own rule files to p and returns the commands
// that load them, with the loader's absolute path inside the root.
func ownRules(p *Plan, e *Env) []string {
	var cmds []string
	for _, f := range e.Rules.Of(backends.RoleRules) {
		cmds = append(cmds, ownFile(p, e, f))
	}
	return cmds
}

// ownFile writes a rendered file under OwnDir and returns the command
// that loads it.
func ownFile(p *Plan, e *Env, f backends.File) string {
	file := path.Join(OwnDir, f.Name)
	p.file(file, f.Text, ruleFileMode)
	return strings.Join(append([]string{loader(e, f.Loader[0])}, f.Loader[1:]...), " ") + " " + file
}

func loader(e *Env, name string) string {
	if p := e.Facts.Binaries(name); p != "" {
		return p
	}
	return "/usr/sbin/" + name
}
