// Package hostsets keeps the host-name sets of a policy current. When a
// policy's rules load into nftables, each host name lives in a named set
// of ruleshift's table (ir.Set.Hosts). Apply and persist record those sets
// in a state file under /var/lib/ruleshift, which is also the cache of the
// last good addresses; `ruleshift refresh` (run by a systemd timer that
// persist installs) resolves the names again, replaces only the sets'
// elements in one transaction, and rewrites the cache. A persisted ruleset
// includes the cache's nft form, so the rules load at boot with the last
// good addresses before DNS works.
package hostsets

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/ruleshift/ruleshift/translate/ir"
)

// Where the state lives, inside a root.
const (
	Dir = "/var/lib/ruleshift"
	// StateFile records every set, its hosts and their last good
	// addresses.
	StateFile = Dir + "/hosts.json"
	// CacheDir holds the cache as an nft script; a persisted ruleset
	// includes CacheGlob, which matches nothing until a cache exists
	// (nft accepts a wildcard include that matches no file).
	CacheDir  = Dir + "/hosts"
	CacheFile = CacheDir + "/sets.nft"
	CacheGlob = CacheDir + "/*.nft"
)

// Resolver looks a host name up for one family (translate/iptables'
// resolvers are of this type).
type Resolver = func(host string, fam ir.Family) ([]netip.Addr, error)

// Version is the version of the state file's format.
const Version = 1

// State is every host-name set of a ruleset as loaded.
type State struct {
	Version int `json:"version"`
	// Refresh is how often the timer runs refresh ("15m0s").
	Every string `json:"refresh"`
	Sets  []Set  `json:"sets"`
}

// Set is one named set of one table.
type Set struct {
	// Family is the nft family of the table: ip, ip6 or inet.
	Family string `json:"family"`
	Table  string `json:"table"`
	Name   string `json:"set"`
	// Key is the element type: ipv4_addr or ipv6_addr.
	Key      string `json:"key"`
	Interval bool   `json:"interval,omitempty"`
	// Elements are the literal elements, which refresh keeps.
	Elements []string `json:"elements,omitempty"`
	Hosts    []Host   `json:"hosts"`
}

// Host is a name and the addresses of the set's family it last had.
type Host struct {
	Name  string   `json:"name"`
	Addrs []string `json:"addrs"`
}

// FromRuleset records the host-name sets of rs; tableName maps a model
// table to its nft name. It returns nil when rs has none.
func FromRuleset(rs *ir.Ruleset, tableName func(string) string) *State {
	st := &State{Version: Version}
	var refresh time.Duration
	for _, t := range rs.Tables {
		for _, s := range t.Sets {
			if len(s.Hosts) == 0 {
				continue
			}
			if refresh == 0 || s.Refresh > 0 && s.Refresh < refresh {
				refresh = s.Refresh
			}
			set := Set{Family: t.Family.String(), Table: tableName(t.Name), Name: s.Name, Key: s.Key.String(), Interval: s.Flags&ir.SetInterval != 0}
			for _, e := range s.Elements {
				set.Elements = append(set.Elements, e.String())
			}
			for _, h := range s.Hosts {
				host := Host{Name: h.Name, Addrs: []string{}}
				for _, a := range h.Addrs {
					host.Addrs = append(host.Addrs, a.String())
				}
				set.Hosts = append(set.Hosts, host)
			}
			st.Sets = append(st.Sets, set)
		}
	}
	if len(st.Sets) == 0 {
		return nil
	}
	if refresh <= 0 {
		refresh = 15 * time.Minute
	}
	st.Every = refresh.String()
	return st
}

// Marshal returns the state file's text.
func (s *State) Marshal() []byte {
	b, _ := json.MarshalIndent(s, "", "  ")
	return append(b, '\n')
}

// Parse reads a state file.
func Parse(name string, data []byte) (*State, error) {
	var s State
	if err := json.Unmarshal(data, &s); err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	if s.Version != Version {
		return nil, fmt.Errorf("%s: version %d, this ruleshift reads version %d", name, s.Version, Version)
	}
	for _, set := range s.Sets {
		if set.Family != "ip" && set.Family != "ip6" && set.Family != "inet" {
			return nil, fmt.Errorf("%s: set %s: unknown family %q", name, set.Name, set.Family)
		}
		if set.Key != ir.SetKeyIPv4.String() && set.Key != ir.SetKeyIPv6.String() {
			return nil, fmt.Errorf("%s: set %s: unknown key %q", name, set.Name, set.Key)
		}
		if _, err := set.elems(); err != nil {
			return nil, fmt.Errorf("%s: set %s: %v", name, set.Name, err)
		}
	}
	return &s, nil
}

// Interval is the timer's interval; 15 minutes when the file says none.
func (s *State) Interval() time.Duration {
	d, err := time.ParseDuration(s.Every)
	if err != nil || d < time.Minute {
		return 15 * time.Minute
	}
	return d
}

// Fam is the address family of the set's elements.
func (s *Set) Fam() ir.Family {
	if s.Key == ir.SetKeyIPv6.String() {
		return ir.IPv6
	}
	return ir.IPv4
}

// TableFam is the family of the set's table.
func (s *Set) TableFam() ir.Family {
	switch s.Family {
	case "ip6":
		return ir.IPv6
	case "inet":
		return ir.Inet
	}
	return ir.IPv4
}

// Elems returns every element of the set: the literal ones, then the
// hosts' addresses not among them.
func (s *Set) Elems() []ir.SetElem {
	els, _ := s.elems()
	return els
}

func (s *Set) elems() ([]ir.SetElem, error) {
	is := &ir.Set{}
	for _, e := range s.Elements {
		p, err := parseElem(e)
		if err != nil {
			return nil, err
		}
		is.Elements = append(is.Elements, ir.SetElem{Prefix: p})
	}
	for _, h := range s.Hosts {
		ha := ir.HostAddrs{Name: h.Name}
		for _, a := range h.Addrs {
			ip, err := netip.ParseAddr(a)
			if err != nil {
				return nil, fmt.Errorf("host %s: %v", h.Name, err)
			}
			ha.Addrs = append(ha.Addrs, ip)
		}
		is.Hosts = append(is.Hosts, ha)
	}
	return is.All(), nil
}

func parseElem(e string) (netip.Prefix, error) {
	if strings.Contains(e, "/") {
		return netip.ParsePrefix(e)
	}
	a, err := netip.ParseAddr(e)
	if err != nil {
		return netip.Prefix{}, err
	}
	return netip.PrefixFrom(a, a.BitLen()), nil
}

// NftCache is the cache as an nft script: each set emptied and filled
// with its current elements, in one transaction when nft loads it after
// the tables.
func (s *State) NftCache() string {
	var b strings.Builder
	b.WriteString("# Written by ruleshift refresh: the last good addresses of the host-name sets.\n")
	for _, set := range s.Sets {
		ref := set.Family + " " + set.Table + " " + set.Name
		fmt.Fprintf(&b, "flush set %s\n", ref)
		var els []string
		for _, e := range set.Elems() {
			els = append(els, e.String())
		}
		if len(els) > 0 {
			fmt.Fprintf(&b, "add element %s { %s }\n", ref, strings.Join(els, ", "))
		}
	}
	return b.String()
}

// Change is what a refresh did to one set.
type Change struct {
	Set            *Set
	Added, Removed []string
}

// String names the set and its change.
func (c Change) String() string {
	s := fmt.Sprintf("set %s %s %s:", c.Set.Family, c.Set.Table, c.Set.Name)
	if len(c.Added)+len(c.Removed) == 0 {
		return s + " unchanged"
	}
	for _, a := range c.Added {
		s += " +" + a
	}
	for _, r := range c.Removed {
		s += " -" + r
	}
	return s
}

// Refresh resolves every host again. A lookup that fails keeps the
// host's old addresses, with a warning; a set changes only when its
// elements do. It returns one Change per set, in order. progress, when
// not nil, hears of each set resolved.
func (s *State) Refresh(resolve Resolver, progress func(stage string, done, total int)) (changes []Change, warnings []string) {
	type key struct {
		host string
		fam  ir.Family
	}
	type answer struct {
		addrs []string
		err   error
	}
	asked := map[key]answer{}
	for i := range s.Sets {
		if progress != nil {
			progress("refresh: sets resolved", i, len(s.Sets))
		}
		set := &s.Sets[i]
		before := elemStrings(set)
		for j := range set.Hosts {
			h := &set.Hosts[j]
			k := key{h.Name, set.Fam()}
			a, ok := asked[k]
			if !ok {
				addrs, err := resolve(h.Name, set.Fam())
				a = answer{err: err, addrs: []string{}}
				for _, ip := range addrs {
					if ip.Is4() == (set.Fam() == ir.IPv4) {
						a.addrs = append(a.addrs, ip.String())
					}
				}
				asked[k] = a
			}
			if a.err != nil {
				if len(h.Addrs) > 0 {
					warnings = append(warnings, fmt.Sprintf("set %s %s %s: cannot resolve %s (%v); keeping %s", set.Family, set.Table, set.Name, h.Name, a.err, strings.Join(h.Addrs, ", ")))
				}
				continue
			}
			h.Addrs = a.addrs
		}
		after := elemStrings(set)
		changes = append(changes, Change{Set: set, Added: minus(after, before), Removed: minus(before, after)})
	}
	return changes, warnings
}

func elemStrings(s *Set) []string {
	var out []string
	for _, e := range s.Elems() {
		out = append(out, e.String())
	}
	return out
}

// minus returns the elements of a not in b.
func minus(a, b []string) []string {
	var out []string
	for _, x := range a {
		if !slices.Contains(b, x) {
			out = append(out, x)
		}
	}
	return out
}

// Cached wraps a resolver so that a name it cannot resolve now takes its
// addresses from the cache: the rules still load with the last good
// addresses when DNS is down. used reports each such name.
func (s *State) Cached(res Resolver, used func(host string, fam ir.Family, addrs []netip.Addr)) Resolver {
	return func(host string, fam ir.Family) ([]netip.Addr, error) {
		addrs, err := res(host, fam)
		if err == nil || s == nil {
			return addrs, err
		}
		for _, set := range s.Sets {
			if set.Fam() != fam {
				continue
			}
			for _, h := range set.Hosts {
				if h.Name != host {
					continue
				}
				var out []netip.Addr
				for _, a := range h.Addrs {
					if ip, perr := netip.ParseAddr(a); perr == nil {
						out = append(out, ip)
					}
				}
				if used != nil {
					used(host, fam, out)
				}
				return out, nil
			}
		}
		return addrs, err
	}
}

// Under returns an absolute path of the state inside root.
func Under(root, p string) string { return path.Join(root, p) }
