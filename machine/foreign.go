package machine

import (
	"strings"

	"github.com/ruleshift/ruleshift/translate/ir"
)

// ForeignOwner names the tool a chain or nft table belongs to by its name,
// "" when it is nobody else's. The names are the ones these tools create
// themselves: Docker's DOCKER, DOCKER-USER, DOCKER-ISOLATION-STAGE-1…,
// kube-proxy's KUBE-* and its nftables table kube-proxy, libvirt's
// LIBVIRT_* and its libvirt_network table, fail2ban's f2b-* chains and
// its f2b-table.
func ForeignOwner(name string) string {
	low := strings.ToLower(name)
	switch {
	case strings.HasPrefix(low, "docker"):
		return "docker"
	case strings.HasPrefix(name, "KUBE-"), strings.HasPrefix(low, "kube-proxy"), strings.HasPrefix(low, "kubernetes"):
		return "kubernetes"
	case strings.HasPrefix(low, "libvirt"):
		return "libvirt"
	case strings.HasPrefix(low, "f2b-"), strings.HasPrefix(low, "fail2ban"):
		return "fail2ban"
	}
	return ""
}

// dropForeign removes from t the chains another tool owns and the rules of
// the other chains that jump to them, recording what it left out. It
// reports whether the whole table is foreign (and so left out).
func (s *State) dropForeign(t *ir.Table, from string) bool {
	key := FamilyName(t.Family) + " " + t.Name
	if owner := ForeignOwner(t.Name); owner != "" {
		n := 0
		for _, c := range t.Chains {
			n += len(c.Rules)
		}
		s.Left = append(s.Left, Left{Where: "table " + key, Owner: owner, Rules: n, From: from})
		return true
	}
	gone := map[string]*Left{}
	var kept []*ir.Chain
	for _, c := range t.Chains {
		owner := ForeignOwner(c.Name)
		if owner == "" || c.Base != nil {
			kept = append(kept, c)
			continue
		}
		gone[c.Name] = &Left{Where: key + " chain " + c.Name, Owner: owner, Rules: len(c.Rules), From: from}
	}
	if len(gone) == 0 {
		return false
	}
	for _, c := range kept {
		rules := c.Rules[:0:0]
		for _, r := range c.Rules {
			if j, ok := r.Target.(*ir.Jump); ok && gone[j.Chain] != nil {
				gone[j.Chain].Jumps++
				continue
			}
			rules = append(rules, r)
		}
		c.Rules = rules
	}
	for _, c := range t.Chains {
		if l := gone[c.Name]; l != nil {
			s.Left = append(s.Left, *l)
		}
	}
	t.Chains = kept
	return false
}
