package main

import (
	"github.com/ruleshift/ruleshift/translate/diag"
	// The ufw frontend registers itself with package translate (init);
	// --from ufw and the detection of a ufw directory need it.
	"github.com/ruleshift/ruleshift/translate/ufw"
)

// ufwInputFlags are the flags of the ufw input (translate/ufw). A ufw
// machine is read from a directory: --ufw-root DIR, a FILE argument that
// is a directory (detected as ufw when it holds etc/ufw or ufw's files),
// or, with --from ufw and no FILE, this machine's root /.
type ufwInputFlags struct {
	UFWRoot string `name:"ufw-root" help:"Read the ufw machine under DIR (DIR/etc/ufw and DIR/etc/default/ufw) instead of this one; implies --from ufw." placeholder:"DIR"`
}

// apply turns --ufw-root into the input it names.
func (u ufwInputFlags) apply(f *inputFlags) error {
	if u.UFWRoot == "" {
		return nil
	}
	switch {
	case f.From != "auto" && f.From != "ufw":
		return fail(exitUsage, "--ufw-root reads a ufw machine; it does not go with --from %s", f.From)
	case len(f.Files) > 0:
		return fail(exitUsage, "--ufw-root %s and FILE arguments: give the ufw root alone", u.UFWRoot)
	}
	f.From, f.Files = "ufw", []string{u.UFWRoot}
	return nil
}

// quietUFWChains leaves out the unreachable-chain warnings of the chains
// ufw-init creates whatever the configuration uses (ufw-logging-allow,
// ufw-user-limit, …): they are ufw's scaffolding, not the user's rules.
func quietUFWChains(d *diag.List) {
	keep := d.Items[:0]
	for _, it := range d.Items {
		if it.Code == diag.Unreachable && it.Pos.File == ufw.InitFunctions {
			continue
		}
		keep = append(keep, it)
	}
	d.Items = keep
}
