package policy

import (
	"net/netip"
	"strings"

	"github.com/ruleshift/ruleshift/translate/diag"
	"github.com/ruleshift/ruleshift/translate/iptables"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// spec is one rule with its values checked, not yet split by family.
type spec struct {
	r      *Rule
	action string
	// fams is the family key: the tables the rule goes to; nil is all.
	fams    []ir.Family
	protos  []proto
	dports  []ir.PortRange
	sports  []ir.PortRange
	srcs    []addrSpec
	dsts    []addrSpec
	ins     []string
	outs    []string
	icmps   []*value
	state   ir.CtState
	uid     *ir.IDRange
	avg     uint32
	burst   uint32
	prefix  string
	comment string
	// srcSet, dstSet name the host-name sets from and to look up.
	srcSet, dstSet string
	resolved       map[ir.Family]map[string][]netip.Addr
}

func (s *spec) at(k string) ir.At {
	if e := s.r.Keys[k]; e != nil {
		return ir.At{Src: e.pos}
	}
	return ir.At{Src: s.r.Pos}
}

// check reads one rule's values; errors go to c.
func (c *checker) check(p *Policy, dir string, r *Rule) *spec {
	s := &spec{r: r, action: "accept", burst: 5}
	k := r.Keys
	if e := k["action"]; e != nil && c.want(e, kString) {
		s.action = lower(e.val.str)
		if !contains(actions, s.action) {
			c.errorf(e.val.pos, "action: unknown action %q (accept, drop, reject, limit or log)", e.val.str)
		}
	}
	if e := k["family"]; e != nil {
		s.fams = c.ruleFamilies(p, e)
	}
	if e := k["proto"]; e != nil {
		s.protos = c.protos(e)
	}
	if e := k["port"]; e != nil {
		s.dports = c.ports(p, e)
	}
	if e := k["sport"]; e != nil {
		s.sports = c.ports(p, e)
	}
	if (s.dports != nil || s.sports != nil) && k["proto"] == nil {
		// A port without a protocol is a port of tcp and of udp, as in ufw.
		s.protos = []proto{{name: "tcp", num: 6}, {name: "udp", num: 17}}
	}
	for _, pr := range s.protos {
		if (s.dports != nil || s.sports != nil) && pr.num != 6 && pr.num != 17 && pr.num != 132 && pr.num != 136 {
			c.errorf(k["proto"].pos, "port and sport need proto tcp, udp, sctp or udplite, not %s", pr.name)
			break
		}
	}
	if e := k["from"]; e != nil {
		s.srcs = c.addrs(p, e)
		s.srcSet = c.hostSetFor(dir, e, s.srcs)
	}
	if e := k["to"]; e != nil {
		s.dsts = c.addrs(p, e)
		s.dstSet = c.hostSetFor(dir, e, s.dsts)
	}
	c.usesHosts = c.usesHosts || hasHost(s.srcs) || hasHost(s.dsts)
	for _, key := range []string{"in", "out"} {
		e := k[key]
		if e == nil {
			continue
		}
		if (key == "in" && dir == "output") || (key == "out" && dir == "input") {
			c.errorf(e.pos, "%s: an %s rule has no %s interface", key, dir, map[string]string{"in": "input", "out": "output"}[key])
			continue
		}
		var names []string
		for _, v := range c.strs(e) {
			if v.str == "" || len(v.str) > 15 || strings.ContainsAny(v.str, " /\t") {
				c.errorf(v.pos, "%s: bad interface name %q", key, v.str)
				continue
			}
			names = append(names, v.str)
		}
		if key == "in" {
			s.ins = names
		} else {
			s.outs = names
		}
	}
	if e := k["icmp"]; e != nil {
		if k["proto"] != nil || k["port"] != nil || k["sport"] != nil {
			c.errorf(e.pos, "icmp goes without proto, port and sport: it means proto icmp for IPv4 and icmpv6 for IPv6")
		}
		for _, v := range c.strs(e) {
			_, ok4 := iptables.ParseICMPType(v.str, false)
			_, ok6 := iptables.ParseICMPType(v.str, true)
			if !ok4 && !ok6 {
				c.errorf(v.pos, "icmp: unknown ICMP type %q", v.str)
				continue
			}
			s.icmps = append(s.icmps, v)
		}
	}
	if e := k["state"]; e != nil {
		s.state = c.states(e)
	}
	if e := k["uid"]; e != nil {
		if dir != "output" {
			c.errorf(e.pos, "uid: only an output rule knows the sending user")
		} else {
			s.uid = c.uid(e)
		}
	}
	if e := k["rate"]; e != nil {
		s.avg = c.rate(e)
	}
	if e := k["burst"]; e != nil && c.want(e, kInt) {
		if e.val.num < 1 || e.val.num > 10000 {
			c.errorf(e.val.pos, "burst: %d is out of range (1-10000)", e.val.num)
		} else {
			s.burst = uint32(e.val.num)
		}
	}
	if s.action == "limit" && k["rate"] == nil {
		c.errorf(k["action"].pos, "action \"limit\" needs rate = \"N/minute\" (or /second, /hour, /day)")
	}
	if s.action != "limit" {
		for _, key := range []string{"rate", "burst"} {
			if e := k[key]; e != nil {
				c.errorf(e.pos, "%s goes with action = \"limit\" only", key)
			}
		}
	}
	if e := k["log_prefix"]; e != nil && c.want(e, kString) {
		if s.action != "log" {
			c.errorf(e.pos, "log_prefix goes with action = \"log\" only")
		}
		if len(e.val.str) > 29 {
			c.errorf(e.val.pos, "log_prefix: at most 29 characters, not %d", len(e.val.str))
		}
		s.prefix = e.val.str
	}
	if e := k["comment"]; e != nil && c.want(e, kString) {
		if len(e.val.str) > 255 {
			c.errorf(e.val.pos, "comment: at most 255 characters, not %d", len(e.val.str))
		}
		s.comment = e.val.str
	}
	return s
}

// ruleFamilies reads a rule's family key: "ipv4", "ipv6" or both, each
// one of the policy's families (a rule for no table is a mistake).
func (c *checker) ruleFamilies(p *Policy, e *entry) []ir.Family {
	var out []ir.Family
	for _, v := range c.strs(e) {
		f, ok := map[string]ir.Family{"ipv4": ir.IPv4, "ipv6": ir.IPv6}[v.str]
		switch {
		case !ok:
			c.errorf(v.pos, "family: unknown family %q (ipv4 or ipv6)", v.str)
		case !containsFam(p.Families, f):
			c.errorf(v.pos, "family: %s is not one of the policy's families", v.str)
		default:
			out = appendFam(out, f)
		}
	}
	if out == nil {
		// Nothing valid: an error is reported; keep the rule out of
		// every table rather than in all of them.
		out = []ir.Family{}
	}
	return out
}

func containsFam(l []ir.Family, f ir.Family) bool {
	for _, x := range l {
		if x == f {
			return true
		}
	}
	return false
}

// resolve pins the host names of a rule for each family.
func (c *checker) resolve(s *spec, fams []ir.Family, res iptables.Resolver) {
	s.resolved = map[ir.Family]map[string][]netip.Addr{}
	for _, f := range fams {
		s.resolved[f] = map[string][]netip.Addr{}
	}
	var specs []addrSpec
	if s.srcSet == "" {
		specs = append(specs, s.srcs...)
	}
	if s.dstSet == "" {
		specs = append(specs, s.dsts...)
	}
	for _, a := range specs {
		if a.host == "" {
			continue
		}
		if res == nil {
			c.errorf(a.pos, "%q is a host name, and host names are not resolved (give an address, or --hosts FILE)", a.host)
			continue
		}
		// A name with addresses of one family only (no AAAA record, say)
		// is no error: its rules exist in that family's table alone.
		var all []string
		var firstErr error
		for _, f := range fams {
			addrs, err := res(a.host, f)
			if err != nil {
				if firstErr == nil {
					firstErr = err
				}
				continue
			}
			s.resolved[f][a.host] = addrs
			for _, ip := range addrs {
				all = append(all, ip.String())
			}
		}
		if all == nil && firstErr != nil {
			c.errorf(a.pos, "cannot resolve host %q: %v", a.host, firstErr)
			continue
		}
		if all == nil {
			c.errorf(a.pos, "host %q has no address", a.host)
			continue
		}
		c.diags.Report(diag.HostName, a.pos, "host name %q resolved at translate time to %s", a.host, strings.Join(all, ", "))
	}
}
