package ufw

import (
	"strings"
)

// LogLevels are ufw's logging levels, in order (backend.py loglevels).
var LogLevels = []string{"off", "low", "medium", "high", "full"}

func levelNum(l string) int {
	for i, n := range LogLevels {
		if n == l {
			return i
		}
	}
	return 1
}

// policies are ufw's three default policies: ACCEPT, DROP or REJECT, by
// direction.
type policies struct{ input, output, forward string }

func (p policies) of(dir string) string {
	switch dir {
	case "output":
		return p.output
	case "forward":
		return p.forward
	}
	return p.input
}

// userRules writes user.rules (or user6.rules) byte for byte as ufw 0.36
// writes it for these tuples, this log level and these policies
// (backend_iptables.py _write_rules and _get_logging_rules), so that the
// next ufw command that rewrites the file changes nothing. ufw writes
// the rate-limiting chains whenever the kernel has the recent match, as
// every kernel ufw runs on has.
func userRules(tuples []*tuple, v6 bool, level string, pol policies) string {
	p := prefix(v6)
	var b strings.Builder
	b.WriteString("*filter\n")
	for _, c := range []string{"user-input", "user-output", "user-forward",
		"before-logging-input", "before-logging-output", "before-logging-forward",
		"user-logging-input", "user-logging-output", "user-logging-forward",
		"after-logging-input", "after-logging-output", "after-logging-forward",
		"logging-deny", "logging-allow", "user-limit", "user-limit-accept"} {
		b.WriteString(":" + p + "-" + c + " - [0:0]\n")
	}
	b.WriteString("### RULES ###\n")
	for _, t := range tuples {
		b.WriteString("\n" + t.line() + "\n")
		for _, l := range t.expansion() {
			b.WriteString(l + "\n")
		}
	}
	b.WriteString("\n### END RULES ###\n")
	b.WriteString("\n### LOGGING ###\n")
	for _, r := range loggingRules(p, level, pol) {
		b.WriteString(strings.ReplaceAll(strings.ReplaceAll(strings.Join(r, " "), "[", `"[`), "] ", `] "`) + "\n")
	}
	b.WriteString("### END LOGGING ###\n")
	b.WriteString("\n### RATE LIMITING ###\n")
	if level != "off" {
		b.WriteString("-A " + p + `-user-limit -m limit --limit 3/minute -j LOG --log-prefix "[UFW LIMIT BLOCK] "` + "\n")
	}
	b.WriteString("-A " + p + "-user-limit -j REJECT\n")
	b.WriteString("-A " + p + "-user-limit-accept -j ACCEPT\n")
	b.WriteString("### END RATE LIMITING ###\n")
	b.WriteString("COMMIT\n")
	return b.String()
}

// loggingRules are the rules of _get_logging_rules that _write_rules
// keeps for chains of prefix p: every one but the "-D" deletions, as
// argument lists whose log prefix ends in a blank.
func loggingRules(p, level string, pol policies) [][]string {
	n := levelNum(level)
	dirs := []string{"input", "output", "forward"}
	var out [][]string
	if n == 0 {
		for _, d := range dirs {
			out = append(out, []string{"-I", p + "-user-logging-" + d, "-j", "RETURN"})
		}
		return out
	}
	limit := []string{"-m", "limit", "--limit", "3/min", "--limit-burst", "10"}
	largs := []string(nil)
	if n < levelNum("high") {
		largs = limit
	}
	for _, d := range dirs {
		c := p + "-after-logging-" + d
		switch {
		case pol.of(d) != "ACCEPT":
			out = append(out, append([]string{"-A", c, "-j", "LOG", "--log-prefix", "[UFW BLOCK] "}, largs...))
		case n >= levelNum("medium"):
			out = append(out, append([]string{"-A", c, "-j", "LOG", "--log-prefix", "[UFW ALLOW] "}, largs...))
		}
	}
	deny, allow := p+"-logging-deny", p+"-logging-allow"
	if n < levelNum("medium") {
		out = append(out, append([]string{"-I", deny, "-m", "conntrack", "--ctstate", "INVALID", "-j", "RETURN"}, largs...))
	} else {
		out = append(out, append([]string{"-A", deny, "-m", "conntrack", "--ctstate", "INVALID", "-j", "LOG", "--log-prefix", "[UFW AUDIT INVALID] "}, largs...))
	}
	out = append(out, append([]string{"-A", deny, "-j", "LOG", "--log-prefix", "[UFW BLOCK] "}, largs...))
	out = append(out, append([]string{"-A", allow, "-j", "LOG", "--log-prefix", "[UFW ALLOW] "}, largs...))
	if n >= levelNum("medium") {
		var a []string
		switch {
		case n < levelNum("high"):
			a = append([]string{"-m", "conntrack", "--ctstate", "NEW"}, limit...)
		case n < levelNum("full"):
			a = limit
		}
		for _, d := range dirs {
			out = append(out, append([]string{"-I", p + "-before-logging-" + d, "-j", "LOG", "--log-prefix", "[UFW AUDIT] "}, a...))
		}
	}
	return out
}
