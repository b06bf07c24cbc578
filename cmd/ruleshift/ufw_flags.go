package main

import "strconv"

// ufwFlags are the options of the ufw backends (--to ufw, --to
// ufw-commands), passed to whichever backend through RenderOptions.Params
// under their flag names; other backends ignore them.
type ufwFlags struct {
	UfwStrict   bool   `name:"ufw-strict" help:"--to ufw: every rule must become a ufw rule (a user.rules tuple); any other is an error naming its line and why. --to ufw-commands implies it."`
	UfwLoglevel string `name:"ufw-loglevel" help:"--to ufw: the ufw logging level user.rules is written for: off, low, medium, high or full." enum:"off,low,medium,high,full" default:"low"`
}

// params returns the flags as RenderOptions.Params.
func (f *ufwFlags) params() map[string]string {
	return map[string]string{"ufw-strict": strconv.FormatBool(f.UfwStrict), "ufw-loglevel": f.UfwLoglevel}
}

// refuseUFWSide keeps verify from loading a side with the ufw-commands
// backend, which renders a script of ufw commands and loads nothing;
// --new-backend ufw loads ufw's files with ufw-init in verify's namespace.
func refuseUFWSide(names ...string) error {
	for _, n := range names {
		if n == "ufw-commands" {
			return fail(exitUsage, "verify cannot load rules with the ufw-commands backend, which prints a script of ufw commands: use --new-backend ufw, which loads the same user.rules with ufw's boot script")
		}
	}
	return nil
}
