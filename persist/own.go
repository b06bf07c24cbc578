package persist

import (
	"path"

	"github.com/ruleshift/ruleshift/distros"
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
	r := e.Rules
	if r.Backend == distros.BackendNFTables {
		f := path.Join(OwnDir, "ruleset.nft")
		p.file(f, r.NFT, ruleFileMode)
		return []string{loader(e, "nft") + " -f " + f}
	}
	var cmds []string
	v := r.Variant()
	for _, fam := range families(r) {
		f := path.Join(OwnDir, fam.file)
		p.file(f, fam.text, ruleFileMode)
		cmds = append(cmds, loader(e, v.Restore[fam.index])+" "+f)
	}
	return cmds
}

type family struct {
	index      int
	file, text string // rules.v4 and its text
	stop       string
}

// families lists the families the input has, IPv4 first.
func families(r *Rendered) []family {
	var out []family
	if r.V4 != "" {
		out = append(out, family{0, "rules.v4", r.V4, r.Stop4})
	}
	if r.V6 != "" {
		out = append(out, family{1, "rules.v6", r.V6, r.Stop6})
	}
	return out
}

// loader returns the absolute path of a loader inside the root. The
// distributions all ship them in /usr/sbin (with /sbin merged into it, or
// a link to /usr/bin on Fedora 42), so that is the answer when the root
// does not have it (--distro on a bare root).
func loader(e *Env, name string) string {
	if p := e.Facts.Binaries(name); p != "" {
		return p
	}
	return "/usr/sbin/" + name
}
