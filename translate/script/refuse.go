package script

import (
	"net/netip"
	"strings"

	"github.com/ruleshift/ruleshift/translate/diag"
	"github.com/ruleshift/ruleshift/translate/iptables"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// A command the real tool refuses changes nothing and exits non-zero. By
// default that is an error at its position unless the script checks the
// command's status; with Options.AsRun it is a warning, and the result is
// what running the script leaves. A command that fails only because
// ruleshift cannot read it (an extension it does not know, a host name
// with no resolver) stays an error in every mode: a run would not fail
// there, so leaving the command out would not be what a run leaves.

// refusal says how the iptables tool failed.
type refusal struct {
	tool  string
	parse bool // refused while reading its arguments, before any table
	// own is why ruleshift, not iptables, refuses the command ("" when
	// iptables would refuse it too).
	own string
}

// settle reports the diagnostics of a command that may have failed.
func (c *cmdCtx) settle(d *diag.List, r refusal) {
	s := c.u.s
	if !d.HasErrors() {
		s.addAll(d, "")
		return
	}
	switch {
	case r.own != "" && (c.handled || s.o.AsRun):
		for i := range d.Items {
			if d.Items[i].Severity == diag.Error {
				d.Items[i].Msg += " (" + r.own + ")"
			}
		}
		s.addAll(d, "")
	case c.handled && (!r.parse || s.o.AsRun):
		// A bad command is a mistake in the script even where its status
		// is checked, unless the result is to be what a run leaves.
		s.addAll(d, "the script handles this failure and goes on")
	case s.o.AsRun:
		s.addAll(d, asRunNote(r.tool))
	default:
		s.addAll(d, "")
	}
}

func asRunNote(tool string) string {
	if _, ok := restoreTools[tool]; ok {
		return "as run, " + tool + " stops here: the tables it committed before this one stay, the rest is not loaded"
	}
	return "as run, " + tool + " refuses the command and changes nothing"
}

// ownRefusal tells whether a failed command fails only in ruleshift: it
// names an extension iptables ships that ruleshift does not read, or a
// host name while names are not resolved. fields are its arguments.
func (s *session) ownRefusal(fields []string, fam ir.Family) string {
	for i := 0; i+1 < len(fields); i++ {
		name := fields[i+1]
		switch fields[i] {
		case "-m", "--match":
			if shipped(name, fam) && !iptables.KnownMatch(name, fam) {
				return "ruleshift does not read the iptables match " + name + ", so it cannot tell what running this command leaves"
			}
		case "-j", "--jump", "-g", "--goto":
			if shipped(name, fam) && !iptables.KnownTarget(name, fam) {
				return "ruleshift does not read the iptables target " + name + ", so it cannot tell what running this command leaves"
			}
		case "-s", "--source", "--src", "-d", "--destination", "--dst":
			if s.o.Resolve == nil && hasHostName(name) {
				return "host names are not resolved, so ruleshift cannot tell what running this command leaves"
			}
		}
	}
	return ""
}

// hasHostName reports whether an address option's argument names a host.
func hasHostName(arg string) bool {
	for _, a := range strings.Split(arg, ",") {
		a, _, _ = strings.Cut(a, "/")
		if _, err := netip.ParseAddr(a); err != nil && a != "" {
			return true
		}
	}
	return false
}

// extensions are the match and target extensions iptables 1.8.9 ships
// (its extensions/ directory), with the family of those that exist for
// one only; families of the others are 0.
var extensions = map[string]ir.Family{
	// targets
	"AUDIT": 0, "CHECKSUM": 0, "CLASSIFY": 0, "CLUSTERIP": ir.IPv4, "CONNMARK": 0, "CONNSECMARK": 0,
	"CT": 0, "NOTRACK": 0, "DNPT": ir.IPv6, "SNPT": ir.IPv6, "DSCP": 0, "ECN": ir.IPv4, "HL": ir.IPv6,
	"HMARK": 0, "IDLETIMER": 0, "LED": 0, "LOG": 0, "MARK": 0, "MASQUERADE": 0, "SNAT": 0, "DNAT": 0,
	"REDIRECT": 0, "NETMAP": 0, "NFLOG": 0, "NFQUEUE": 0, "RATEEST": 0, "REJECT": 0, "SECMARK": 0,
	"SET": 0, "SYNPROXY": 0, "TCPMSS": 0, "TCPOPTSTRIP": 0, "TEE": 0, "TOS": 0, "TPROXY": 0,
	"TRACE": 0, "TTL": ir.IPv4, "ULOG": ir.IPv4,
	// matches
	"addrtype": 0, "ah": 0, "bpf": 0, "cgroup": 0, "cluster": 0, "comment": 0, "connbytes": 0,
	"connlabel": 0, "connlimit": 0, "connmark": 0, "conntrack": 0, "state": 0, "cpu": 0, "dccp": 0,
	"devgroup": 0, "dscp": 0, "dst": ir.IPv6, "ecn": 0, "esp": 0, "eui64": ir.IPv6, "frag": ir.IPv6,
	"hashlimit": 0, "hbh": ir.IPv6, "helper": 0, "hl": ir.IPv6, "icmp": ir.IPv4, "icmp6": ir.IPv6,
	"ipcomp": 0, "iprange": 0, "ipv6header": ir.IPv6, "ipvs": 0, "length": 0, "limit": 0, "mac": 0,
	"mark": 0, "mh": ir.IPv6, "multiport": 0, "nfacct": 0, "osf": 0, "owner": 0, "physdev": 0,
	"pkttype": 0, "policy": 0, "quota": 0, "quota2": 0, "rateest": 0, "realm": ir.IPv4, "recent": 0,
	"rpfilter": 0, "rt": ir.IPv6, "sctp": 0, "set": 0, "socket": 0, "srh": ir.IPv6, "statistic": 0,
	"string": 0, "tcp": 0, "tcpmss": 0, "time": 0, "tos": 0, "ttl": ir.IPv4, "u32": 0, "udp": 0,
}

// shipped reports whether iptables has the extension for family fam.
func shipped(name string, fam ir.Family) bool {
	f, ok := extensions[name]
	return ok && (f == 0 || f == fam)
}
