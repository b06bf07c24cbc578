package iptables

import "github.com/ruleshift/ruleshift/translate/ir"

// KnownMatch reports whether ruleshift reads the match extension name in
// family f. A caller that meets a command refused for an extension can
// tell this way whether iptables itself would refuse it.
func KnownMatch(name string, f ir.Family) bool { return findMatch(name, f) != nil }

// KnownTarget reports whether ruleshift reads the target extension name in
// family f (the standard verdicts included).
func KnownTarget(name string, f ir.Family) bool { return findTarget(name, f) != nil }
