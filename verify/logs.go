package verify

import (
	"strconv"
	"strings"

	"github.com/ruleshift/ruleshift/translate/ir"
)

// Counting log events. A ruleset that logs a packet twice, or not at all,
// treats it differently from one that logs it once, even when its fate is
// the same. The kernel cannot tell verify what a LOG target or an nft log
// statement wrote (in a namespace other than the host's, the syslog logger
// writes nothing), so in the copy of each side that verify loads, every
// log action is turned into an NFLOG to a group verify listens to, where
// it sits: the same packets reach it. The copy only: Side.Rules, which
// names the rule behind a verdict, keeps its LOG targets.
//
// A log in a rule with a rate limit goes to a group of its own. How many
// times it fires depends on the moment the probe comes (see
// Result.LimitedLogDiffs): its count is shown where it differs, as the
// soundness tests log a rate limit's difference that a second run does
// not repeat, but it does not make a probe differ.

const (
	// logGroup receives the rules' log actions without a rate limit.
	logGroup = observerGroup + 1
	// limitedLogGroup receives those of rules with a rate limit.
	limitedLogGroup = observerGroup + 2
)

// logGroupOf is the group a rule's log action is redirected to.
func logGroupOf(limited bool) uint16 {
	if limited {
		return limitedLogGroup
	}
	return logGroup
}

// isLog reports whether a target is a log action.
func isLog(t ir.Target) bool {
	switch t.(type) {
	case *ir.Log, *ir.NFLog:
		return true
	}
	return false
}

// rateLimited reports whether a rule's matches include a rate limit.
// It only sorts the rule's log events (their count depends on timing);
// probes are not shaped by it, so the kinds stay in probeNeutral (the
// archtest takes a type switch case in verify for shaping).
func rateLimited(r *ir.Rule) bool {
	for _, m := range r.Matches {
		_, limit := m.(*ir.Limit)
		_, hash := m.(*ir.Hashlimit)
		if limit || hash {
			return true
		}
	}
	return false
}

// logsToVerify returns rs with every log action an NFLOG to verify's
// groups; rs itself when it has none. Tables, chains and the rules that
// change are copied: rs is left as it was.
func logsToVerify(rs *ir.Ruleset) *ir.Ruleset {
	has := false
	ir.Walk(rs, func(n any) bool {
		if t, ok := n.(ir.Target); ok && isLog(t) {
			has = true
		}
		return !has
	})
	if !has {
		return rs
	}
	out := *rs
	out.Tables = make([]*ir.Table, len(rs.Tables))
	for i, t := range rs.Tables {
		nt := *t
		nt.Chains = make([]*ir.Chain, len(t.Chains))
		for j, c := range t.Chains {
			nc := *c
			nc.Rules = make([]*ir.Rule, len(c.Rules))
			for k, r := range c.Rules {
				nc.Rules[k] = r
				if !isLog(r.Target) {
					continue
				}
				nr := *r
				nr.Target = &ir.NFLog{At: atOf(r.Target), Group: logGroupOf(rateLimited(r))}
				nc.Rules[k] = &nr
			}
			nt.Chains[j] = &nc
		}
		out.Tables[i] = &nt
	}
	return &out
}

func atOf(t ir.Target) ir.At {
	switch t := t.(type) {
	case *ir.Log:
		return t.At
	case *ir.NFLog:
		return t.At
	}
	return ir.At{}
}

// restoreToken is one argument of an iptables-restore line and where it
// was written: [start, end) of the line.
type restoreToken struct {
	text       string
	start, end int
}

// restoreTokens splits a line as iptables-restore does (add_param_to_argv
// in iptables' xshared.c): blanks separate, double quotes group and may
// hold a backslash-escaped character, and an empty argument is dropped.
func restoreTokens(line string) []restoreToken {
	var out []restoreToken
	var cur strings.Builder
	start := -1
	inQuote, escaped := false, false
	flush := func(end int) {
		if cur.Len() > 0 {
			out = append(out, restoreToken{cur.String(), start, end})
		}
		cur.Reset()
		start = -1
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		if start < 0 && c != ' ' && c != '\t' && c != '\n' {
			start = i
		}
		switch {
		case inQuote && escaped:
			cur.WriteByte(c)
			escaped = false
		case inQuote && c == '\\':
			escaped = true
		case c == '"':
			inQuote = !inQuote
		case inQuote:
			cur.WriteByte(c)
		case c == ' ' || c == '\t' || c == '\n':
			flush(i)
		default:
			cur.WriteByte(c)
		}
	}
	flush(len(line))
	return out
}

// logTargetOptions are the long options of LOG, NFLOG and ULOG, with
// whether each takes an argument.
var logTargetOptions = map[string]bool{
	"log-level": true, "log-prefix": true, "log-tcp-sequence": false, "log-tcp-options": false,
	"log-ip-options": false, "log-uid": false, "log-macdecode": false,
	"nflog-group": true, "nflog-prefix": true, "nflog-range": true, "nflog-size": true, "nflog-threshold": true,
	"ulog-nlgroup": true, "ulog-prefix": true, "ulog-cprange": true, "ulog-qthreshold": true,
}

// logOption reports whether tok is an option of a log target (getopt
// takes any unambiguous abbreviation) and whether the next argument is
// its value.
func logOption(tok string) (isOpt, takesArg bool) {
	name, ok := strings.CutPrefix(tok, "--")
	if !ok || !(strings.HasPrefix(name, "log-") || strings.HasPrefix(name, "nflog-") || strings.HasPrefix(name, "ulog-")) {
		return false, false
	}
	name, _, inline := strings.Cut(name, "=")
	for full, arg := range logTargetOptions {
		if strings.HasPrefix(full, name) && arg && !inline {
			takesArg = true
		}
	}
	return true, takesArg
}

// saveLogTarget finds the log target of a rule line: the index of its -j
// (or --jump) and of the first argument after the target's name.
func saveLogTarget(toks []restoreToken) (at, next int, ok bool) {
	isLogName := func(s string) bool { return s == "LOG" || s == "NFLOG" || s == "ULOG" }
	for i, t := range toks {
		opt, val, inline := strings.Cut(t.text, "=")
		isJump := opt == "-j" || len(opt) >= 3 && strings.HasPrefix("--jump", opt)
		switch {
		case isJump && inline && strings.HasPrefix(opt, "--"):
			if isLogName(val) {
				return i, i + 1, true
			}
		case isJump && i+1 < len(toks) && isLogName(toks[i+1].text):
			return i, i + 2, true
		case strings.HasPrefix(t.text, "-j") && isLogName(t.text[2:]):
			return i, i + 1, true
		}
	}
	return 0, 0, false
}

// saveRateLimited reports whether a rule line loads the limit or
// hashlimit match.
func saveRateLimited(toks []restoreToken) bool {
	for i, t := range toks {
		m := ""
		switch {
		case (t.text == "-m" || t.text == "--match") && i+1 < len(toks):
			m = toks[i+1].text
		case strings.HasPrefix(t.text, "-m") && !strings.HasPrefix(t.text, "--"):
			m = t.text[2:]
		}
		if m == "limit" || m == "hashlimit" {
			return true
		}
	}
	return false
}

// saveLogsToVerify rewrites an iptables-restore file as logsToVerify does
// a model: every LOG, NFLOG or ULOG target becomes an NFLOG to verify's
// group, its own options dropped, everything else on the line kept as it
// was written. It returns the text and how many targets it rewrote.
func saveLogsToVerify(text string) (string, int) {
	lines := strings.Split(text, "\n")
	n := 0
	for i, line := range lines {
		trim := strings.TrimSpace(line)
		if !strings.HasPrefix(trim, "-") {
			continue // a table, chain, COMMIT or comment line
		}
		toks := restoreTokens(line)
		at, next, ok := saveLogTarget(toks)
		if !ok {
			continue
		}
		var b strings.Builder
		b.WriteString(line[:toks[at].start])
		b.WriteString("-j NFLOG --nflog-group " + strconv.Itoa(int(logGroupOf(saveRateLimited(toks)))))
		for j := next; j < len(toks); j++ {
			if opt, arg := logOption(toks[j].text); opt {
				if arg {
					j++
				}
				continue
			}
			b.WriteString(" " + line[toks[j].start:toks[j].end])
		}
		lines[i] = b.String()
		n++
	}
	return strings.Join(lines, "\n"), n
}
