package policy

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/ruleshift/ruleshift/translate/diag"
	"github.com/ruleshift/ruleshift/translate/iptables"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// Host-name sets. With Options.HostSets, a from or to that names a host
// becomes one lookup in a named set of the table instead of one rule per
// address: the set holds the key's literal addresses and the hosts'
// addresses, and `ruleshift refresh` later replaces the hosts' addresses
// without touching a rule. A key written as a single "@name" uses the
// policy's set of that name; a single host name gets a set named after
// it; any other list gets a set named after its rule and key.

// hostSet is one named set of host names and literal addresses.
type hostSet struct {
	name  string
	specs []addrSpec
	pos   ir.Pos
	// resolved holds each host's addresses per family.
	resolved map[ir.Family]map[string][]netip.Addr
}

// hasHost reports whether any element is a host name.
func hasHost(specs []addrSpec) bool {
	for _, a := range specs {
		if a.host != "" {
			return true
		}
	}
	return false
}

// hostSetFor returns the name of the set that holds a key's addresses
// when they name a host, registering the set; "" keeps them inline.
func (c *checker) hostSetFor(dir string, e *entry, specs []addrSpec) string {
	if !c.hostSets || !hasHost(specs) {
		return ""
	}
	name := ""
	switch v := e.val; {
	case v.kind == kString && strings.HasPrefix(v.str, "@"):
		name = v.str[1:]
	case len(specs) == 1:
		name = setName(specs[0].host)
	default:
		name = fmt.Sprintf("%s_%d_%s", dir, e.pos.Line, e.key)
	}
	if c.sets == nil {
		c.sets = map[string]*hostSet{}
	}
	if old, ok := c.sets[name]; ok {
		if sameSpecs(old.specs, specs) {
			return name
		}
		// A group and a host of the same spelling: keep both.
		name = fmt.Sprintf("%s_%d", name, e.pos.Line)
	}
	c.sets[name] = &hostSet{name: name, specs: specs, pos: e.val.pos}
	return name
}

// setName makes an nft set name of a host name: letters, digits and _.
func setName(host string) string {
	b := []byte(strings.TrimSuffix(strings.ToLower(host), "."))
	for i, ch := range b {
		if !(ch >= 'a' && ch <= 'z' || ch >= '0' && ch <= '9') {
			b[i] = '_'
		}
	}
	if len(b) == 0 || b[0] >= '0' && b[0] <= '9' {
		return "host_" + string(b)
	}
	return string(b)
}

func sameSpecs(a, b []addrSpec) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].net != b[i].net || a[i].host != b[i].host {
			return false
		}
	}
	return true
}

// resolveSets looks up the hosts of every set once for each family. A
// name with addresses of one family only is no error; one with none is.
func (c *checker) resolveSets(fams []ir.Family, res iptables.Resolver) {
	for _, name := range c.setNames() {
		s := c.sets[name]
		s.resolved = map[ir.Family]map[string][]netip.Addr{}
		for _, f := range fams {
			s.resolved[f] = map[string][]netip.Addr{}
		}
		for _, a := range s.specs {
			if a.host == "" {
				continue
			}
			if res == nil {
				c.errorf(a.pos, "%q is a host name, and host names are not resolved (give an address, or --hosts FILE)", a.host)
				continue
			}
			n := 0
			var firstErr error
			for _, f := range fams {
				addrs, err := res(a.host, f)
				if err != nil {
					firstErr = cmpErr(firstErr, err)
					continue
				}
				s.resolved[f][a.host] = addrs
				n += len(addrs)
			}
			switch {
			case n == 0 && firstErr != nil:
				c.errorf(a.pos, "cannot resolve host %q: %v", a.host, firstErr)
			case n == 0:
				c.errorf(a.pos, "host %q has no address", a.host)
			}
		}
	}
}

func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

func (c *checker) setNames() []string {
	names := make([]string, 0, len(c.sets))
	for n := range c.sets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// tableSets are the host-name sets of one family's table.
func (c *checker) tableSets(fam ir.Family, refresh time.Duration) []*ir.Set {
	var out []*ir.Set
	for _, name := range c.setNames() {
		s := c.sets[name]
		st := &ir.Set{Name: name, Key: ir.SetKeyIPv4, Refresh: refresh, Src: s.pos}
		if fam == ir.IPv6 {
			st.Key = ir.SetKeyIPv6
		}
		for _, a := range s.specs {
			if a.host != "" {
				st.Hosts = append(st.Hosts, ir.HostAddrs{Name: a.host, Addrs: s.resolved[fam][a.host]})
				continue
			}
			if a.net.Addr().Is4() != (fam == ir.IPv4) {
				continue
			}
			st.Elements = append(st.Elements, ir.SetElem{Prefix: a.net})
			if !a.net.IsSingleIP() {
				st.Flags |= ir.SetInterval
			}
		}
		out = append(out, st)
	}
	return out
}

// reportSets says once per set what its hosts resolved to now.
func (c *checker) reportSets(fams []ir.Family) {
	for _, name := range c.setNames() {
		s := c.sets[name]
		for _, a := range s.specs {
			if a.host == "" {
				continue
			}
			var all []string
			for _, f := range fams {
				for _, ip := range s.resolved[f][a.host] {
					all = append(all, ip.String())
				}
			}
			if len(all) > 0 {
				c.diags.Report(diag.HostSet, a.pos, "host name %q is kept in set @%s (now %s), refreshed at run time by `ruleshift refresh`", a.host, name, strings.Join(all, ", "))
			}
		}
	}
}
