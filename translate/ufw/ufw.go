// Package ufw reads a ufw machine into the model: exactly the ruleset that
// ufw 0.36's boot script, /lib/ufw/ufw-init start, loads into an empty
// kernel from /etc/ufw and /etc/default/ufw, in both families.
//
// ufw-init builds that ruleset in a fixed order (ufw-init-functions
// ufw_start): its own primary chains and their hooks in INPUT, OUTPUT and
// FORWARD, the reject and track chains that carry the default policies,
// the logging-deny/allow and skip-to-policy chains, then before.rules,
// after.rules and user.rules with iptables-restore -n, the jumps from the
// before chains into the user chains, and last the built-in chains'
// policies. Load replays that order: the blocks ufw-init prints are
// parsed as restore input positioned at their lines of
// /lib/ufw/ufw-init-functions (0.36.2), and the rules files through the
// iptables save parser with NoFlush, so every rule keeps the position of
// the file and line it came from.
package ufw

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ruleshift/ruleshift/translate/diag"
	"github.com/ruleshift/ruleshift/translate/iptables"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// InitFunctions is the file of ufw 0.36.2 whose restore blocks build ufw's
// own chains; the rules they make are positioned at its lines.
const InitFunctions = "/lib/ufw/ufw-init-functions"

// Source names the two places ufw-init reads.
type Source struct {
	// Etc is the /etc/ufw directory (or a copy).
	Etc string
	// Default is the /etc/default/ufw file (or a copy).
	Default string
}

// Locate finds the Source of a directory: a root that holds etc/ufw (and
// etc/default/ufw), or /etc/ufw itself or a copy of it, whose defaults
// file is then ../default/ufw beside it, as /etc/default/ufw is beside
// /etc/ufw.
func Locate(dir string) (Source, error) {
	if isDir(filepath.Join(dir, "etc", "ufw")) {
		return Source{Etc: filepath.Join(dir, "etc", "ufw"), Default: filepath.Join(dir, "etc", "default", "ufw")}, nil
	}
	if !LooksLikeEtc(dir) {
		return Source{}, fmt.Errorf("not a ufw configuration: neither a copy of /etc/ufw (ufw.conf, before.rules, user.rules) nor a root directory holding etc/ufw")
	}
	def := filepath.Join(filepath.Dir(filepath.Clean(dir)), "default", "ufw")
	if _, err := os.Stat(def); err != nil {
		return Source{}, fmt.Errorf("a ufw configuration, but %s is missing: ufw-init reads the default policies and IPV6= from /etc/default/ufw, which lives beside /etc/ufw; copy it there, or give a root directory holding etc/ufw and etc/default/ufw", def)
	}
	return Source{Etc: dir, Default: def}, nil
}

// LooksLikeEtc reports whether dir looks like /etc/ufw: it holds ufw.conf,
// or both before.rules and user.rules.
func LooksLikeEtc(dir string) bool {
	return isFile(filepath.Join(dir, "ufw.conf")) ||
		isFile(filepath.Join(dir, "before.rules")) && isFile(filepath.Join(dir, "user.rules"))
}

// Options tune Load.
type Options struct {
	// Resolve resolves host names in the rules files, as iptables-restore
	// does when ufw-init loads them; nil makes them an error.
	Resolve iptables.Resolver
}

// Load reads s into rs: the tables ufw-init start leaves in an empty
// kernel. Variables are read as ufw-init-functions sources them:
// /etc/default/ufw, then ufw.conf over it. ENABLED=no is read as if ufw
// were enabled, with a warning (ufw-init would load nothing); LOGLEVEL is
// not read, since ufw-init loads user.rules as the ufw command wrote it
// for its level; MANAGE_BUILTINS changes nothing in an empty kernel.
func Load(rs *ir.Ruleset, s Source, o Options) *diag.List {
	d := &diag.List{}
	v := vars{}
	if !readVars(v, s.Default, d) || !readVars(v, filepath.Join(s.Etc, "ufw.conf"), d) {
		return d
	}
	l := &loader{rs: rs, d: d, s: s, v: v, o: o}
	if !l.policies() {
		return d
	}
	if en, pos, _ := v.get("ENABLED"); en != "yes" && en != "YES" {
		if pos.IsZero() {
			pos = ir.Pos{File: filepath.Join(s.Etc, "ufw.conf")}
		}
		d.Report(diag.Semantics, pos, "ufw is not enabled (ENABLED=%s): ufw-init start loads nothing now; this is the ruleset it loads once ufw is enabled", en)
	}
	l.initScript("before.init")
	ipv6 := false
	if val, _, _ := v.get("IPV6"); val == "yes" || val == "YES" {
		ipv6 = true
	} else {
		// IPv6 off but known to the kernel: ip6tables-restore without -n,
		// so the filter table holds only this.
		l.block(ir.IPv6, false, 147,
			"*filter",
			":INPUT DROP [0:0]",
			":FORWARD DROP [0:0]",
			":OUTPUT DROP [0:0]",
			"-A INPUT -i lo -j ACCEPT",
			"-A OUTPUT -o lo -j ACCEPT",
			"COMMIT")
	}
	l.family(ir.IPv4, "")
	if ipv6 {
		l.family(ir.IPv6, "6")
	}
	if val, pos, _ := v.get("IPT_SYSCTL"); val != "" {
		d.Report(diag.Semantics, pos, "ufw-init applies the kernel settings of %s at start (the stock file sets strict rp_filter and refuses redirects and source routes): they are not rules and are not translated; keep them, e.g. in /etc/sysctl.d, when ufw goes", val)
	}
	if val, pos, _ := v.get("IPT_MODULES"); strings.TrimSpace(val) != "" {
		d.Report(diag.Semantics, pos, "ufw-init loads the kernel modules %q at start (conntrack helpers among them make RELATED match their traffic): they are not rules and are not translated; load them another way, e.g. /etc/modules-load.d, when ufw goes", val)
	}
	l.initScript("after.init")
	return d
}

type loader struct {
	rs  *ir.Ruleset
	d   *diag.List
	s   Source
	v   vars
	o   Options
	pol [3]string // input, output, forward: ACCEPT, DROP or REJECT
}

var policyKeys = [3]string{"DEFAULT_INPUT_POLICY", "DEFAULT_OUTPUT_POLICY", "DEFAULT_FORWARD_POLICY"}

// policies reads the three default policies, which ufw-init uses both as
// a target (-j POLICY in skip-to-policy) and, REJECT made DROP, as the
// built-in chains' policies: anything but ACCEPT, DROP and REJECT makes a
// restore fail.
func (l *loader) policies() bool {
	ok := true
	for i, k := range policyKeys {
		val, pos, set := l.v.get(k)
		switch {
		case !set:
			l.d.Errorf(ir.Pos{File: l.s.Default}, "%s is not set: ufw-init needs it (ACCEPT, DROP or REJECT) for the skip-to-policy chain and the chain policy", k)
			ok = false
		case val != "ACCEPT" && val != "DROP" && val != "REJECT":
			l.d.Errorf(pos, "%s=%q: ufw-init takes ACCEPT, DROP or REJECT (it writes the value into a restore file as a target and a chain policy, which the restore refuses)", k, val)
			ok = false
		}
		l.pol[i] = val
	}
	return ok
}

// initScript reports an executable before.init or after.init: ufw-init
// runs it at start, and what it does cannot be read. The after.init that
// ruleshift's ufw backend writes is the exception: its start only hooks
// the ruleshift-CHAIN chains of before*.rules into their built-in chains,
// one "hook iptables|ip6tables TABLE CHAIN" line each, and those hooks
// are read.
func (l *loader) initScript(name string) {
	p := filepath.Join(l.s.Etc, name)
	st, err := os.Stat(p)
	if err != nil || !st.Mode().IsRegular() || st.Mode()&0o111 == 0 {
		return
	}
	if data, err := os.ReadFile(p); err == nil && name == "after.init" && strings.HasPrefix(string(data), ownAfterInit) {
		l.ownHooks(p, string(data))
		return
	}
	l.d.Report(diag.Unsupported, ir.Pos{File: p, Line: 1, Col: 1}, "%s is executable: ufw-init runs it at start, and the rules it adds are not read (a script); carry them over by hand (--warn unsupported reads the rest)", p)
}

// block parses one restore block that ufw-init prints, positioned at its
// first line in ufw-init-functions.
func (l *loader) block(f ir.Family, noflush bool, line int, lines ...string) {
	text := strings.Repeat("\n", line-1) + strings.Join(lines, "\n") + "\n"
	l.d.Add(iptables.ParseSave(l.rs, InitFunctions, []byte(text), iptables.SaveOptions{Family: f, NoFlush: noflush, Resolve: l.o.Resolve}))
}

// file loads a rules file with restore -n; ufw-init skips a missing or
// empty one and fails at the end.
func (l *loader) file(f ir.Family, name string) bool {
	p := filepath.Join(l.s.Etc, name)
	data, err := os.ReadFile(p)
	if err != nil || len(data) == 0 {
		why := "empty"
		if err != nil {
			why = err.Error()
		}
		l.d.Errorf(ir.Pos{File: p}, "%s: ufw-init start fails (\"Couldn't find '%s'\")", why, p)
		return false
	}
	l.d.Add(iptables.ParseSave(l.rs, p, data, iptables.SaveOptions{Family: f, NoFlush: true, Resolve: l.o.Resolve}))
	return true
}

// hasChain is ufw-init's "$exe -L CHAIN -n" test in the filter table.
func (l *loader) hasChain(f ir.Family, name string) bool {
	t := l.rs.Table(f, "filter")
	return t != nil && t.Chain(name) != nil
}

// family is one pass of ufw_start's loop, for iptables ("") or ip6tables
// ("6"), in an empty kernel.
func (l *loader) family(f ir.Family, typ string) {
	u := "ufw" + typ + "-"
	var primary []string
	primary = append(primary, "*filter", "# primary chains")
	for _, c := range []string{"before-logging-input", "before-logging-output", "before-logging-forward",
		"before-input", "before-output", "before-forward", "after-input", "after-output", "after-forward",
		"after-logging-input", "after-logging-output", "after-logging-forward", "reject-input", "reject-output",
		"reject-forward", "track-input", "track-output", "track-forward"} {
		primary = append(primary, ":"+u+c+" - [0:0]")
	}
	for _, hook := range []struct{ chain, dir string }{{"INPUT", "input"}, {"OUTPUT", "output"}, {"FORWARD", "forward"}} {
		primary = append(primary, "")
		for _, c := range []string{"before-logging-", "before-", "after-", "after-logging-", "reject-", "track-"} {
			primary = append(primary, "-A "+hook.chain+" -j "+u+c+hook.dir)
		}
	}
	l.block(f, true, 176, append(primary, "COMMIT")...)

	dirs := [3]string{"input", "output", "forward"}
	for i, at := range [3]int{222, 227, 232} {
		if l.pol[i] == "REJECT" {
			l.block(f, true, at, "*filter", "-A "+u+"reject-"+dirs[i]+" -j REJECT", "COMMIT")
		}
	}
	for i, at := range [3]int{239, 246, 253} {
		if l.pol[i] == "ACCEPT" {
			l.block(f, true, at, "*filter",
				"-A "+u+"track-"+dirs[i]+" -p tcp -m conntrack --ctstate NEW -j ACCEPT",
				"-A "+u+"track-"+dirs[i]+" -p udp -m conntrack --ctstate NEW -j ACCEPT",
				"COMMIT")
		}
	}
	if !l.hasChain(f, u+"logging-deny") {
		l.block(f, true, 261, "*filter", ":"+u+"logging-deny - [0:0]", ":"+u+"logging-allow - [0:0]", "COMMIT")
	}
	if !l.hasChain(f, u+"skip-to-policy-input") {
		l.block(f, true, 269, "*filter",
			":"+u+"skip-to-policy-input - [0:0]",
			":"+u+"skip-to-policy-output - [0:0]",
			":"+u+"skip-to-policy-forward - [0:0]",
			"-A "+u+"skip-to-policy-input -j "+l.pol[0],
			"-A "+u+"skip-to-policy-output -j "+l.pol[1],
			"-A "+u+"skip-to-policy-forward -j "+l.pol[2],
			"COMMIT")
	}
	l.file(f, "before"+typ+".rules")
	l.file(f, "after"+typ+".rules")
	user := filepath.Join(l.s.Etc, "user"+typ+".rules")
	if st, err := os.Stat(user); err == nil && st.Size() > 0 {
		if !l.hasChain(f, u+"user-input") {
			var lines []string
			lines = append(lines, "*filter")
			for _, c := range []string{"user-input", "user-output", "user-forward", "user-logging-input",
				"user-logging-output", "user-logging-forward", "user-limit", "user-limit-accept"} {
				lines = append(lines, ":"+u+c+" - [0:0]")
			}
			l.block(f, true, 316, append(lines, "COMMIT")...)
		}
		l.file(f, "user"+typ+".rules")
		l.block(f, true, 349, "*filter",
			"-A "+u+"before-input -j "+u+"user-input",
			"-A "+u+"before-output -j "+u+"user-output",
			"-A "+u+"before-forward -j "+u+"user-forward",
			"COMMIT")
	} else {
		l.file(f, "user"+typ+".rules") // reports it
	}
	pol := func(p string) string {
		if p == "REJECT" {
			return "DROP"
		}
		return p
	}
	l.block(f, true, 378, "*filter", "# builtin chains",
		":INPUT "+pol(l.pol[0])+" [0:0]",
		":FORWARD "+pol(l.pol[2])+" [0:0]",
		":OUTPUT "+pol(l.pol[1])+" [0:0]",
		"COMMIT")
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}

func isFile(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.Mode().IsRegular()
}

// ownAfterInit starts the after.init ruleshift's ufw backend writes.
const ownAfterInit = "#!/bin/sh\n# Generated by ruleshift."

// ownHooks reads the hooks of ruleshift's after.init: the lines "hook
// iptables|ip6tables TABLE CHAIN" of its start case, which append "-j
// ruleshift-CHAIN" to CHAIN of TABLE after everything else ufw-init
// loaded. A family ufw did not load (IPV6=no) is left out.
func (l *loader) ownHooks(p, text string) {
	inStart := false
	for i, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		switch {
		case len(f) == 1 && strings.HasSuffix(f[0], ")"):
			inStart = f[0] == "start)"
			continue
		case !inStart || len(f) != 4 || f[0] != "hook":
			continue
		}
		fam := ir.IPv4
		if f[1] == "ip6tables" {
			fam = ir.IPv6
		} else if f[1] != "iptables" {
			continue
		}
		if l.rs.Table(fam, "filter") == nil || fam == ir.IPv6 && !l.hasChain(fam, "ufw6-before-input") {
			continue
		}
		block := strings.Repeat("\n", i-1) + "*" + f[2] + "\n-A " + f[3] + " -j ruleshift-" + f[3] + "\nCOMMIT\n"
		l.d.Add(iptables.ParseSave(l.rs, p, []byte(block), iptables.SaveOptions{Family: fam, NoFlush: true}))
	}
}
