package main

// The policy frontend registers itself with package translate (init);
// --from policy and the detection of a .toml policy need it.
import _ "github.com/ruleshift/ruleshift/translate/policy"

// policyFlags are the flags of the TOML policy input (translate/policy).
type policyFlags struct {
	AllowLockout bool `name:"allow-lockout" help:"Policy input: let input default to drop or reject although no input rule accepts ssh (tcp port 22); without it that is an error."`
}

// apply passes the flags to the input's load.
func (p policyFlags) apply(f *inputFlags) { f.allowLockout = p.AllowLockout }
