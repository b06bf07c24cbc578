package persist

// planUFW stops: where ufw is active it owns the firewall, and rules loaded
// around it either fight it (a restore of the filter table replaces ufw's
// chains) or are overridden by it. ruleshift has no ufw backend yet.
func planUFW(e *Env) error {
	return &StopError{Msg: "ufw is active (ufw.service enabled, ENABLED=yes in /etc/ufw/ufw.conf) and owns the firewall here; ruleshift cannot install rules through ufw yet. " +
		"Keep ufw and add the rules with ufw commands, or run `ufw disable` and persist again; --force installs beside ufw, whose rules then still apply"}
}
