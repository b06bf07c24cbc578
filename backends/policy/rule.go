package policy

import (
	"fmt"
	"net/netip"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/ruleshift/ruleshift/translate/diag"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// keyOrder is the order a rule's keys are written in.
var keyOrder = []string{"family", "action", "proto", "icmp", "port", "sport", "from", "to", "in", "out", "state", "uid", "rate", "burst", "log_prefix", "comment"}

// prule is one policy rule: its keys with their values as TOML text.
type prule struct {
	src  ir.Pos
	keys map[string]string
	// fam is the family of the chain the rule came from; 0 once merged
	// with the same rule of the other family.
	fam ir.Family
	// only is the family the reader puts the rule in without a family
	// key (its addresses or protocol belong to one family), 0 for both.
	only ir.Family
}

// text is the rule's keys without family, one "key = value" a line.
func (r *prule) text() string {
	var b strings.Builder
	for _, k := range keyOrder[1:] {
		if v, ok := r.keys[k]; ok {
			b.WriteString(k + " = " + v + "\n")
		}
	}
	return b.String()
}

// conv collects one rule's keys and reports what the format cannot say.
type conv struct {
	d    *diag.List
	r    *ir.Rule
	fam  ir.Family
	dir  string
	pr   *prule
	bad  bool
	prot *ir.Protocol
	// ports holds port and sport until the end, where tests of both a
	// caller's rule and an inlined rule become their intersection.
	ports map[string][]ir.PortRange
	// nets holds from and to likewise.
	nets map[string]netip.Prefix
	// states holds state likewise.
	states ir.CtState
	// protoOnly is the family proto icmp or icmpv6 belongs to; an icmp
	// key replaces the proto key, and then the family with it.
	protoOnly ir.Family
}

func (c *conv) errorf(at ir.Pos, format string, args ...any) {
	c.d.Errorf(at, format, args...)
	c.bad = true
}

// set gives a key its value; a second, different value (a rule of an
// inlined chain testing what its caller's rule tests) cannot be said.
func (c *conv) set(at ir.Pos, key, val string) {
	if old, ok := c.pr.keys[key]; ok && old != val {
		c.errorf(at, "%s is tested twice (%s and %s): a policy rule has one %s", key, old, val, key)
		return
	}
	c.pr.keys[key] = val
}

func (c *conv) only(at ir.Pos, f ir.Family) {
	if c.pr.only != 0 && c.pr.only != f {
		c.errorf(at, "the rule mixes ipv4 and ipv6")
	}
	c.pr.only = f
}

// convert turns one flattened rule into a policy rule, or reports every
// part of it the policy format has no key for and returns nil.
func convert(d *diag.List, fam ir.Family, dir string, r *ir.Rule) *prule {
	c := &conv{d: d, r: r, fam: fam, dir: dir, pr: &prule{src: r.Src, keys: map[string]string{}}, ports: map[string][]ir.PortRange{}, nets: map[string]netip.Prefix{}}
	for _, m := range r.Matches {
		if p, ok := m.(*ir.Protocol); ok {
			c.prot = p
		}
	}
	var comments []string
	var limit *ir.Limit
	for _, m := range r.Matches {
		at := ir.PosOf(m, r)
		switch m := m.(type) {
		case *ir.Protocol:
			c.protocol(at, m)
		case *ir.Addr:
			c.addr(at, m)
		case *ir.Iface:
			if m.Neg {
				c.errorf(at, "! %s %s: a policy cannot negate an interface", ifaceFlag(m.Dir), m.Name)
				continue
			}
			key := map[ir.Dir]string{ir.Src: "in", ir.Dst: "out"}[m.Dir]
			c.set(at, key, quote(m.Name))
		case *ir.TCP:
			if m.Flags != nil || m.Option != nil {
				c.errorf(at, "tcp flags and options: a policy has no key for them")
			}
			c.portMatch(at, m.SrcPorts, m.NegSrc, "sport")
			c.portMatch(at, m.DstPorts, m.NegDst, "port")
		case *ir.UDP:
			c.portMatch(at, m.SrcPorts, m.NegSrc, "sport")
			c.portMatch(at, m.DstPorts, m.NegDst, "port")
		case *ir.SCTP:
			if m.ChunkMatch != "" {
				c.errorf(at, "sctp --chunk-types: a policy has no key for it")
			}
			c.portMatch(at, m.SrcPorts, m.NegSrc, "sport")
			c.portMatch(at, m.DstPorts, m.NegDst, "port")
		case *ir.Multiport:
			c.multiport(at, m)
		case *ir.ICMP:
			c.icmp(at, m)
		case *ir.State, *ir.Conntrack:
			st := stateOf(m)
			switch {
			case st == nil:
				c.errorf(at, "-m conntrack: a policy can test --ctstate only")
			case st.Neg:
				c.errorf(at, "! --state: a policy cannot negate a connection state")
			case c.states != 0:
				c.states &= st.States // tested by the caller too: both hold
				if c.states == 0 {
					c.errorf(at, "no connection state is both in this rule's and in the calling rule's")
				}
			default:
				c.states = st.States
			}
		case *ir.Owner:
			c.owner(at, m)
		case *ir.Limit:
			limit = m
		case *ir.Comment:
			comments = append(comments, m.Text)
		default:
			c.errorf(at, "%s: a policy has no key for this match", matchName(m))
		}
	}
	c.finish(r.Src)
	if len(comments) > 0 {
		text := strings.Join(comments, " ")
		if !utf8.ValidString(text) {
			c.errorf(r.Src, "comment %q is not UTF-8, which TOML requires", text)
		}
		c.set(r.Src, "comment", quote(text))
	}
	c.target(limit)
	if c.pr.keys["icmp"] != "" {
		delete(c.pr.keys, "proto") // icmp means its protocol
	} else if c.protoOnly != 0 {
		c.only(r.Src, c.protoOnly)
	}
	if c.bad {
		return nil
	}
	return c.pr
}

func ifaceFlag(d ir.Dir) string {
	if d == ir.Dst {
		return "-o"
	}
	return "-i"
}

// protoNames are the protocols the policy names, by number; icmp and
// icmpv6 are each one family's.
var protoNames = map[uint8]string{6: "tcp", 17: "udp", 132: "sctp", 136: "udplite", 50: "esp", 51: "ah", 47: "gre"}

func (c *conv) protocol(at ir.Pos, m *ir.Protocol) {
	switch {
	case m.Neg:
		c.errorf(at, "! -p: a policy cannot negate a protocol")
	case m.All:
		c.set(at, "proto", quote("all"))
	case m.Num == 1 && c.fam == ir.IPv4:
		c.set(at, "proto", quote("icmp"))
		c.protoOnly = ir.IPv4
	case m.Num == 58 && c.fam == ir.IPv6:
		c.set(at, "proto", quote("icmpv6"))
		c.protoOnly = ir.IPv6
	case protoNames[m.Num] != "":
		c.set(at, "proto", quote(protoNames[m.Num]))
	default:
		c.set(at, "proto", strconv.Itoa(int(m.Num)))
	}
}

func (c *conv) addr(at ir.Pos, m *ir.Addr) {
	flag, key := "-s", "from"
	if m.Dir == ir.Dst {
		flag, key = "-d", "to"
	}
	switch {
	case m.Neg:
		c.errorf(at, "! %s %s: a policy cannot negate an address", flag, m.Net)
		return
	case m.Mask.IsValid():
		c.errorf(at, "%s %s/%s: a policy takes prefixes, not a non-contiguous mask", flag, m.Net.Addr(), m.Mask)
		return
	}
	net := m.Net
	if old, ok := c.nets[key]; ok {
		switch {
		case old.Bits() >= net.Bits() && net.Contains(old.Addr()):
			net = old
		case !(net.Bits() >= old.Bits() && old.Contains(net.Addr())):
			c.errorf(at, "%s %s where the calling rule tests %s: no packet matches both", flag, m.Net, old)
			return
		}
	}
	c.nets[key] = net
	if m.Net.Addr().Is4() {
		c.only(at, ir.IPv4)
	} else {
		c.only(at, ir.IPv6)
	}
}

func prefixText(p netip.Prefix) string {
	if p.Bits() == p.Addr().BitLen() {
		return p.Addr().String()
	}
	return p.String()
}

func portText(p ir.PortRange) string {
	if p.Single() {
		return strconv.Itoa(int(p.Lo))
	}
	return quote(fmt.Sprintf("%d-%d", p.Lo, p.Hi))
}

func (c *conv) portMatch(at ir.Pos, p *ir.PortRange, neg bool, key string) {
	if p == nil {
		return
	}
	if neg {
		c.errorf(at, "! --%s: a policy cannot negate a port", map[string]string{"port": "dport", "sport": "sport"}[key])
		return
	}
	c.addPorts(at, key, []ir.PortRange{*p})
}

// addPorts records a port test; a second one (an inlined rule under its
// caller's) leaves the ports both take.
func (c *conv) addPorts(at ir.Pos, key string, l []ir.PortRange) {
	old, ok := c.ports[key]
	if !ok {
		c.ports[key] = l
		return
	}
	var both []ir.PortRange
	for _, a := range old {
		for _, b := range l {
			lo, hi := max(a.Lo, b.Lo), min(a.Hi, b.Hi)
			if lo <= hi {
				both = append(both, ir.PortRange{Lo: lo, Hi: hi})
			}
		}
	}
	if len(both) == 0 {
		c.errorf(at, "%s: no port is both in this rule's and in the calling rule's", key)
		return
	}
	c.ports[key] = both
}

// finish writes the tests kept until all matches are read.
func (c *conv) finish(at ir.Pos) {
	for _, key := range []string{"port", "sport"} {
		l := c.ports[key]
		if len(l) == 0 {
			continue
		}
		var t []string
		for _, p := range l {
			t = append(t, portText(p))
		}
		v := t[0]
		if len(t) > 1 {
			v = "[" + strings.Join(t, ", ") + "]"
		}
		c.set(at, key, v)
	}
	for _, key := range []string{"from", "to"} {
		if n, ok := c.nets[key]; ok {
			c.set(at, key, quote(prefixText(n)))
		}
	}
	if c.states != 0 {
		c.state(at, c.states)
	}
}

func (c *conv) multiport(at ir.Pos, m *ir.Multiport) {
	switch {
	case m.Neg:
		c.errorf(at, "-m multiport !: a policy cannot negate ports")
		return
	case m.Dir == ir.Both:
		c.errorf(at, "-m multiport --ports: a policy has no key for a port on either side")
		return
	case len(m.Ports) == 0:
		c.errorf(at, "-m multiport without ports")
		return
	}
	key := "port"
	if m.Dir == ir.Src {
		key = "sport"
	}
	c.addPorts(at, key, m.Ports)
}

func (c *conv) icmp(at ir.Pos, m *ir.ICMP) {
	if m.Neg {
		c.errorf(at, "! --icmp-type: a policy cannot negate an ICMP type")
		return
	}
	want := uint8(1)
	if c.fam == ir.IPv6 {
		want = 58
	}
	if c.prot == nil || c.prot.Neg || c.prot.Num != want {
		c.errorf(at, "an ICMP type without its protocol: a policy's icmp key means the family's ICMP")
		return
	}
	c.set(at, "icmp", quote(icmpText(m, c.fam == ir.IPv6)))
}

var stateOrder = []struct {
	bit  ir.CtState
	name string
}{{ir.CtNew, "new"}, {ir.CtEstablished, "established"}, {ir.CtRelated, "related"}, {ir.CtInvalid, "invalid"}, {ir.CtUntracked, "untracked"}}

func (c *conv) state(at ir.Pos, s ir.CtState) {
	var l []string
	rest := s
	for _, x := range stateOrder {
		if s&x.bit != 0 {
			l = append(l, quote(x.name))
			rest &^= x.bit
		}
	}
	if rest != 0 || len(l) == 0 {
		c.errorf(at, "--ctstate SNAT or DNAT: a policy's state is new, established, related, invalid or untracked")
		return
	}
	v := l[0]
	if len(l) > 1 {
		v = "[" + strings.Join(l, ", ") + "]"
	}
	c.set(at, "state", v)
}

func (c *conv) owner(at ir.Pos, m *ir.Owner) {
	switch {
	case m.GID != nil || m.SocketExists || m.SupplGroups:
		c.errorf(at, "-m owner: a policy tests the sending user (--uid-owner) only")
	case m.UID == nil:
		c.errorf(at, "-m owner without --uid-owner: a policy has no key for it")
	case m.NegUID:
		c.errorf(at, "! --uid-owner: a policy cannot negate a user")
	case c.dir != "output":
		c.errorf(at, "--uid-owner in %s: a policy tests the user of output rules only", c.dir)
	case m.UID.Min == m.UID.Max:
		c.set(at, "uid", strconv.FormatUint(uint64(m.UID.Min), 10))
	default:
		c.set(at, "uid", quote(fmt.Sprintf("%d-%d", m.UID.Min, m.UID.Max)))
	}
}

// rateUnits are the units of a policy's rate, as the reader multiplies.
var rateUnits = []struct {
	name string
	secs uint64
}{{"second", 1}, {"minute", 60}, {"hour", 3600}, {"day", 86400}}

// rateText finds "N/unit" that the reader turns into exactly avg.
func rateText(avg uint32) (string, bool) {
	if avg == 0 {
		return "", false
	}
	for _, u := range rateUnits {
		k := u.secs * ir.LimitScale / uint64(avg)
		for _, n := range []uint64{k, k + 1} {
			if n > 0 && n <= 1<<32-1 && u.secs*ir.LimitScale/n == uint64(avg) {
				return fmt.Sprintf("%d/%s", n, u.name), true
			}
		}
	}
	return "", false
}

func (c *conv) target(limit *ir.Limit) {
	r := c.r
	at := ir.PosOf(r.Target, r)
	action := ""
	switch t := r.Target.(type) {
	case nil:
		c.errorf(r.Src, "a rule without a target: a policy has no such rule")
		return
	case *ir.Verdict:
		switch t.Kind {
		case ir.Accept:
			action = "accept"
		case ir.Drop:
			action = "drop"
		default:
			c.errorf(at, "-j %s: a policy's actions are accept, drop, reject, log and limit", t.Kind)
			return
		}
	case *ir.Reject:
		if t.With != rejectWith(c.fam) {
			c.errorf(at, "-j REJECT --reject-with %s: a policy's reject answers %s", t.With, rejectWith(c.fam))
			return
		}
		action = "reject"
	case *ir.Log:
		if t.Level.IsSet() && t.Level != ir.LogWarning || t.TCPSequence || t.TCPOptions || t.IPOptions || t.UID || t.MACDecode {
			c.errorf(at, "-j LOG with a level or flags: a policy's log takes log_prefix only")
			return
		}
		action = "log"
		if t.Prefix != "" {
			if !utf8.ValidString(t.Prefix) {
				c.errorf(at, "log prefix %q is not UTF-8, which TOML requires", t.Prefix)
			}
			c.set(at, "log_prefix", quote(t.Prefix))
		}
	default:
		c.errorf(at, "-j %s: a policy's actions are accept, drop, reject, log and limit", t.Name())
		return
	}
	if limit != nil {
		lat := ir.PosOf(limit, r)
		if action != "accept" {
			c.errorf(lat, "-m limit with -j %s: a policy limits accepted packets only (action = \"limit\")", r.Target.Name())
			return
		}
		rate, ok := rateText(limit.Avg)
		if !ok {
			c.errorf(lat, "-m limit: no rate N/second, /minute, /hour or /day gives the same interval")
		}
		if limit.Burst < 1 || limit.Burst > 10000 {
			c.errorf(lat, "-m limit --limit-burst %d: a policy's burst is 1-10000", limit.Burst)
		}
		action = "limit"
		c.set(lat, "rate", quote(rate))
		if limit.Burst != 5 {
			c.set(lat, "burst", strconv.Itoa(int(limit.Burst)))
		}
	}
	if action != "accept" {
		c.set(at, "action", quote(action))
	}
}

// matchName names a match kind for messages: its type in the model.
func matchName(m ir.Match) string {
	t := reflect.TypeOf(m)
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return "match " + strings.ToLower(t.Name())
}

// quote writes a TOML basic string.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
