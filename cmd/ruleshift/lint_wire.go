package main

import (
	"os"

	"github.com/ruleshift/ruleshift/translate/diag"
	"github.com/ruleshift/ruleshift/translate/ir"
	"github.com/ruleshift/ruleshift/translate/lint"
)

// The lint checks also run in translate, apply and persist, as warnings
// of class lint: what ruleshift lint would say of the input is said where
// the rules are converted, loaded or installed. In apply and persist the
// ssh lock-out (L8) is an error unless --allow-lockout or --warn lint:
// those commands put the rules where they lock a session out.

// lintMode says how a command runs the checks.
type lintMode int

const (
	lintOff      lintMode = iota
	lintWarn              // translate: every finding a warning
	lintBlocking          // apply, persist: the ssh lock-out an error
)

// lintMaxRules bounds the rulesets the commands lint on the way: the
// pairwise checks grow with the square of a chain's rules (a 5,000-rule
// dump lints in about 0.1 s, a 100,000-rule one in minutes). Larger
// inputs go to ruleshift lint itself.
const lintMaxRules = 5000

// lintDiags runs the checks on rs.
func lintDiags(rs *ir.Ruleset, mode lintMode, allowLockout bool) *diag.List {
	d := &diag.List{}
	if mode == lintOff || rs.RuleCount() > lintMaxRules {
		return d
	}
	// L1 (host names resolved once) is said already, by the frontend
	// that resolved them, with the addresses.
	o := lint.Options{SSH: liveSSH(), Disable: map[string]bool{"L1": true}}
	if allowLockout {
		o.Disable["L8"] = true
	}
	seen := map[string]bool{}
	for _, f := range lint.Run(rs, o) {
		// A policy's two families often give the same finding twice.
		key := f.Pos.String() + "\x00" + f.Msg
		if f.Severity < lint.Warning || seen[key] {
			continue
		}
		seen[key] = true
		msg := f.Msg
		if f.Fix != "" {
			msg += "; " + f.Fix
		}
		msg += " (" + f.Code + " " + f.Name + ")"
		d.Items = append(d.Items, diag.Diagnostic{Pos: f.Pos, Severity: diag.Warning, Code: diag.Lint, Msg: msg, Rule: f.Rule})
		if f.Severity == lint.Error && mode == lintBlocking {
			d.Items[len(d.Items)-1].Severity = diag.Error
		}
	}
	return d
}

// liveSSH is the ssh port of this machine, as lint finds it without
// flags: the session's own (SSH_CONNECTION), else sshd's configuration
// ($RULESHIFT_SSHD_CONFIG, default /etc/ssh/sshd_config: the tests point
// it away from the machine's own, as they load into namespaces where no
// session can be locked out).
func liveSSH() lint.SSH {
	if s, ok := lint.ParseSSHConnection(os.Getenv("SSH_CONNECTION")); ok {
		return s
	}
	conf := os.Getenv("RULESHIFT_SSHD_CONFIG")
	if conf == "" {
		conf = "/etc/ssh/sshd_config"
	}
	if data, err := os.ReadFile(conf); err == nil {
		return lint.SSH{Port: lint.SSHDPort(data), From: conf}
	}
	return lint.SSH{}
}
