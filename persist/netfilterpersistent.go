package persist

import (
	"path"

	"github.com/ruleshift/ruleshift/backends"
	"github.com/ruleshift/ruleshift/distros"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// nfpDir is netfilter-persistent's fixed directory; the paths are not
// configurable.
const nfpDir = "/etc/iptables"

// planNetfilterPersistent writes /etc/iptables/rules.v4 and rules.v6 and
// enables netfilter-persistent.service, which loads them through
// iptables-restore (whichever variant the alternatives point to, which
// Choose checked against the backend).
func planNetfilterPersistent(e *Env) (*Plan, error) {
	p := &Plan{}
	for _, fam := range []struct{ name, text string }{{"rules.v4", familyText(e.Rules, ir.IPv4)}, {"rules.v6", familyText(e.Rules, ir.IPv6)}} {
		f := path.Join(nfpDir, fam.name)
		if fam.text != "" {
			// 0640 is what `netfilter-persistent save` leaves.
			p.file(f, fam.text, 0o640)
			continue
		}
		if _, _, exists, _ := readRoot(e.Root, f); exists {
			p.notef("the input has no rules for %s: %s is left as it is and still loads at boot", famName(fam.name), f)
		}
	}
	p.Services = append(p.Services, Service{"netfilter-persistent.service", Enable})
	if e.Facts.Units["nftables.service"].Enabled && e.Choice.Backend == distros.BackendIPTNFT {
		p.notef("nftables.service is enabled too: a `flush ruleset` in /etc/nftables.conf removes these iptables-nft rules whenever nftables.service starts after them or is reloaded")
	}
	p.notef("`netfilter-persistent save` overwrites %s with the running rules", nfpDir)
	return p, nil
}

func famName(file string) string {
	if path.Ext(file) == ".v6" || path.Base(file) == "ip6tables" {
		return "IPv6"
	}
	return "IPv4"
}

// familyText is the rules of a family as its restore tool loads them; ""
// when the input has none.
func familyText(fs backends.Files, f ir.Family) string {
	if file := fs.Family(f); file != nil {
		return file.Text
	}
	return ""
}
