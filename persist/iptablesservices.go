package persist

import "github.com/ruleshift/ruleshift/translate/ir"

// planIPTablesServices writes /etc/sysconfig/iptables and ip6tables, mode
// 0600 as iptables.init save leaves them, and enables iptables.service and
// ip6tables.service. A family without rules keeps its service as it is:
// enabling it would load the package's sample reject-all-but-ssh file.
func planIPTablesServices(e *Env) (*Plan, error) {
	p := &Plan{}
	for _, fam := range []struct{ file, unit, text string }{
		{"/etc/sysconfig/iptables", "iptables.service", familyText(e.Rules, ir.IPv4)},
		{"/etc/sysconfig/ip6tables", "ip6tables.service", familyText(e.Rules, ir.IPv6)},
	} {
		if fam.text == "" {
			p.notef("the input has no rules for %s: %s and %s stay as they are", famName(fam.file), fam.file, fam.unit)
			continue
		}
		p.file(fam.file, fam.text, 0o600)
		p.Services = append(p.Services, Service{fam.unit, Enable})
	}
	p.notef("with SELinux enforcing, run `restorecon -v /etc/sysconfig/iptables /etc/sysconfig/ip6tables` if ruleshift wrote them from outside the machine (--root)")
	return p, nil
}
