package ufw

import (
	"strings"

	"github.com/ruleshift/ruleshift/translate/diag"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// daemons are the chain name prefixes of daemons that manage their own
// rules: ufw would reload their chains on every start and fight them.
var daemons = []struct{ prefix, owner string }{
	{"DOCKER", "Docker"}, {"KUBE-", "Kubernetes"}, {"LIBVIRT_", "libvirt"}, {"f2b-", "fail2ban"},
}

// check reports what the ufw backend refuses, at its position: input
// that is already a ufw ruleset, the backend's own chain names, ipsets,
// chains a daemon owns, and tables ufw has no files for.
func check(rs *ir.Ruleset) *diag.List {
	d := &diag.List{}
	for _, t := range rs.Tables {
		if t.Family != ir.IPv4 && t.Family != ir.IPv6 {
			d.Report(diag.Unsupported, t.Src, "ufw holds ipv4 and ipv6 tables, not %s ones", t.Family)
			continue
		}
		for _, c := range t.Chains {
			pos := c.Src
			if pos.IsZero() {
				pos = t.Src
			}
			switch {
			case strings.HasPrefix(c.Name, "ufw-") || strings.HasPrefix(c.Name, "ufw6-"):
				d.Errorf(pos, "chain %s: input is already a ufw ruleset; copy /etc/ufw instead", c.Name)
				continue
			case strings.HasPrefix(c.Name, "ruleshift-"):
				d.Errorf(pos, "chain %s: names starting ruleshift- are the ufw backend's own chains", c.Name)
				continue
			}
			if owner := ownerOf(c.Name); owner != "" {
				d.Errorf(pos, "chain %s is owned by %s; leave it out (ufw would reload it on every start and fight the daemon)", c.Name, owner)
				continue
			}
			if c.IsBase() && t.Name != "filter" && c.Base.Policy != ir.PolicyAccept && c.Base.Policy != ir.PolicyNone {
				d.Report(diag.Unsupported, pos, "%s %s: policy %s; ufw's files set only the filter table's policies", t.Name, c.Name, c.Base.Policy)
			}
			for _, r := range c.Rules {
				for _, m := range r.Matches {
					if _, ok := m.(*ir.SetMatch); ok {
						d.ReportRule(diag.Unsupported, r, ir.PosOf(m, r), "ipset match: ufw cannot create sets before it loads before.rules, and a missing set makes ufw-init fail at boot")
					}
				}
				if _, ok := r.Target.(*ir.SetTarget); ok {
					d.ReportRule(diag.Unsupported, r, ir.PosOf(r.Target, r), "SET target: ufw cannot create sets before it loads before.rules, and a missing set makes ufw-init fail at boot")
				}
			}
		}
	}
	return d
}

func ownerOf(chain string) string {
	for _, o := range daemons {
		if strings.HasPrefix(chain, o.prefix) {
			return o.owner
		}
	}
	return ""
}

// warnings are the notes of a rendering that changes nothing on packets
// but that a ufw user should know.
func warnings(rs *ir.Ruleset, fams []ir.Family, d *diag.List) {
	has := map[ir.Family]bool{}
	for _, f := range fams {
		has[f] = true
	}
	for _, f := range []ir.Family{ir.IPv4, ir.IPv6} {
		switch {
		case has[f] || len(fams) == 0:
		case hasFamily(rs, f):
			d.Report(diag.LeftOut, ir.Pos{}, "the input also has %s rules, which this output leaves out (--family): ufw's %s files are not written", famWord(f), famWord(f))
		default:
			d.Report(diag.Semantics, ir.Pos{}, "the input has no %s rules: ufw's %s files are not written and stay as they are, but the DEFAULT policies written here govern %s too",
				famWord(f), famWord(f), famWord(f))
		}
	}
	counters, forward := false, false
	for _, t := range rs.Tables {
		for _, c := range t.Chains {
			if c.Counters != nil && (c.Counters.Packets != 0 || c.Counters.Bytes != 0) {
				counters = true
			}
			if t.Name == "filter" && c.Name == "FORWARD" && len(c.Rules) > 0 {
				forward = true
			}
			for _, r := range c.Rules {
				if r.Counters != nil && (r.Counters.Packets != 0 || r.Counters.Bytes != 0) {
					counters = true
				}
				if l, ok := r.Target.(*ir.Log); ok && (strings.Contains(l.Prefix, "UFW BLOCK") || strings.Contains(l.Prefix, "UFW ALLOW")) {
					d.Report(diag.CodeWarning, ir.PosOf(l, r), "LOG prefix %q: a later `ufw default` rewrites UFW BLOCK and UFW ALLOW in after.rules", l.Prefix)
				}
			}
		}
	}
	if forward {
		d.Report(diag.CodeWarning, ir.Pos{}, "forwarded packets reach FORWARD only with net/ipv4/ip_forward=1 (and net/ipv6/conf/default/forwarding=1) in /etc/ufw/sysctl.conf, which ufw applies on every start and which also sets rp_filter=1")
	}
	if counters {
		d.Report(diag.LeftOut, ir.Pos{}, "packet and byte counters are not carried into ufw's files")
	}
}

func hasFamily(rs *ir.Ruleset, f ir.Family) bool {
	for _, t := range rs.Tables {
		if t.Family == f {
			return true
		}
	}
	return false
}

func famWord(f ir.Family) string {
	if f == ir.IPv6 {
		return "IPv6"
	}
	return "IPv4"
}
