package ufw

import (
	"encoding/hex"
	"fmt"
	"net/netip"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/ruleshift/ruleshift/translate/ir"
)

// tuple is one ufw rule as user.rules stores it on its "### tuple ###"
// line (backend_iptables.py _write_rules, common.py UFWRule).
type tuple struct {
	action       string // allow, deny or reject
	route        bool   // FORWARD: "ufw route"
	proto        string // any, tcp, udp, esp, …
	dport, sport string // "any" or a sorted list of ports and a:b ranges
	dst, src     string // a CIDR (host bits of /32, /128 dropped) or the any address
	in, out      string // interfaces, "" when not given
	dir          string // in or out
	comment      string // the text; stored hex-encoded
	v6           bool
	rule         *ir.Rule
}

// ufwProtos are the protocols ufw's grammar takes (util.py
// supported_protocols), by number; ipv6 and igmp are IPv4 only.
var ufwProtos = map[uint8]string{6: "tcp", 17: "udp", 41: "ipv6", 50: "esp", 51: "ah", 2: "igmp", 47: "gre", 112: "vrrp"}

// ifaceRe is the interface charset of common.py set_interface.
var ifaceRe = regexp.MustCompile(`^[a-zA-Z0-9_\-.+,=%@]{1,15}$`)

// notTuple says why a rule is not one ufw rule; "" when it is.
type notTuple = string

// toTuple returns the tuple whose expansion behaves as r in the built-in
// chain (INPUT, OUTPUT or FORWARD) of family f, or why there is none.
// newOK says that the chain's earlier rules have left only states that a
// --state match of r holds, so that the match may go.
func toTuple(r *ir.Rule, chain string, f ir.Family, newOK func(ir.CtState, bool) bool) (*tuple, notTuple) {
	t := &tuple{proto: "any", dport: "any", sport: "any", dir: "in", v6: f == ir.IPv6, rule: r}
	t.dst, t.src = anyAddr(f), anyAddr(f)
	switch chain {
	case "OUTPUT":
		t.dir = "out"
	case "FORWARD":
		t.route = true
	}
	var dports, sports []ir.PortRange
	hasPorts := false
	for _, m := range r.Matches {
		switch m := m.(type) {
		case *ir.Comment:
			if t.comment != "" {
				t.comment += " "
			}
			t.comment += m.Text
		case *ir.Addr:
			if m.Neg {
				return nil, "negation"
			}
			if m.Mask.IsValid() || m.Host != "" {
				return nil, "a host name or a non-contiguous mask"
			}
			s := addrText(m.Net)
			if m.Dir == ir.Src {
				t.src = s
			} else {
				t.dst = s
			}
		case *ir.Iface:
			if m.Neg {
				return nil, "negation"
			}
			if !ifaceRe.MatchString(m.Name) {
				return nil, fmt.Sprintf("interface name %q is not one ufw takes", m.Name)
			}
			if m.Dir == ir.Src {
				t.in = m.Name
			} else {
				t.out = m.Name
			}
		case *ir.Protocol:
			if m.Neg {
				return nil, "negation"
			}
			if m.All {
				continue
			}
			name, ok := ufwProtos[m.Num]
			if !ok || (t.v6 && (name == "ipv6" || name == "igmp")) {
				return nil, fmt.Sprintf("protocol %d is not a ufw protocol (ufw has tcp, udp, esp, ah, gre, vrrp, and ipv6 and igmp for IPv4)", m.Num)
			}
			t.proto = name
		case *ir.TCP:
			if m.NegSrc || m.NegDst {
				return nil, "negation"
			}
			if m.Flags != nil || m.Option != nil {
				return nil, "tcp flags (ufw has no --syn or --tcp-flags)"
			}
			dports, sports, hasPorts = addRange(dports, m.DstPorts), addRange(sports, m.SrcPorts), true
		case *ir.UDP:
			if m.NegSrc || m.NegDst {
				return nil, "negation"
			}
			dports, sports, hasPorts = addRange(dports, m.DstPorts), addRange(sports, m.SrcPorts), true
		case *ir.Multiport:
			if m.Neg {
				return nil, "negation"
			}
			if m.Dir == ir.Both {
				return nil, "multiport --ports (ufw has no either-side port)"
			}
			hasPorts = true
			if m.Dir == ir.Src {
				sports = append(sports, m.Ports...)
			} else {
				dports = append(dports, m.Ports...)
			}
		case *ir.State:
			if !newOK(m.States, m.Neg) {
				return nil, "state match not provably redundant"
			}
		case *ir.Conntrack:
			if !onlyState(m) || !newOK(m.State.States, m.State.Neg) {
				return nil, "state match not provably redundant"
			}
		case *ir.ICMP:
			return nil, "icmp is not a ufw protocol"
		default:
			return nil, fmt.Sprintf("match %s (not in ufw's rule grammar)", kindName(m))
		}
	}
	if t.in != "" && t.out != "" && !t.route {
		return nil, "two interfaces outside FORWARD"
	}
	if t.route && t.in == "" && t.out != "" {
		t.dir = "out"
	}
	if hasPorts {
		if t.proto != "tcp" && t.proto != "udp" {
			return nil, "ports without -p tcp or udp"
		}
		var why string
		if t.dport, why = portList(dports); why != "" {
			return nil, why
		}
		if t.sport, why = portList(sports); why != "" {
			return nil, why
		}
	}
	switch tg := r.Target.(type) {
	case *ir.Verdict:
		switch tg.Kind {
		case ir.Accept:
			t.action = "allow"
		case ir.Drop:
			t.action = "deny"
		default:
			return nil, "RETURN"
		}
	case *ir.Reject:
		tcpReset := tg.With == ir.RejectTCPReset
		if (t.proto == "tcp") != tcpReset || (!tcpReset && tg.With != defaultReject(f)) {
			return nil, "REJECT type (ufw rejects tcp with tcp-reset and everything else with port-unreachable)"
		}
		t.action = "reject"
	case nil:
		return nil, "a rule without a target"
	default:
		return nil, fmt.Sprintf("target %s (not in ufw's rule grammar)", tg.Name())
	}
	return t, ""
}

func anyAddr(f ir.Family) string {
	if f == ir.IPv6 {
		return "::/0"
	}
	return "0.0.0.0/0"
}

// addrText is normalize_address's form: no /32 or /128.
func addrText(p netip.Prefix) string {
	if p.IsSingleIP() {
		return p.Addr().String()
	}
	return p.String()
}

func defaultReject(f ir.Family) ir.RejectWith {
	if f == ir.IPv6 {
		return ir.Reject6PortUnreach
	}
	return ir.RejectPortUnreach
}

func addRange(l []ir.PortRange, p *ir.PortRange) []ir.PortRange {
	if p == nil {
		return l
	}
	return append(l, *p)
}

// portList writes ports as ufw stores them, sorted (common.py normalize),
// or says why ufw cannot hold them: ports 1-65535, a<b in a range, at most
// 15 entries with a range counting 2 (multiport's limit).
func portList(ps []ir.PortRange) (string, notTuple) {
	if len(ps) == 0 {
		return "any", ""
	}
	ps = append([]ir.PortRange(nil), ps...)
	sort.Slice(ps, func(i, j int) bool {
		if ps[i].Lo != ps[j].Lo {
			return ps[i].Lo < ps[j].Lo
		}
		return ps[i].Hi < ps[j].Hi
	})
	n := 0
	var parts []string
	for _, p := range ps {
		switch {
		case p.Lo == 0:
			return "", "port 0 (ufw takes ports 1-65535)"
		case p.Lo > p.Hi:
			return "", "a reversed port range"
		case p.Single():
			parts = append(parts, strconv.Itoa(int(p.Lo)))
			n++
		default:
			parts = append(parts, fmt.Sprintf("%d:%d", p.Lo, p.Hi))
			n += 2
		}
	}
	if n > 15 {
		return "", "more than 15 ports"
	}
	return strings.Join(parts, ","), ""
}

func onlyState(m *ir.Conntrack) bool {
	return m.State != nil && m.Proto == nil && m.OrigSrc == nil && m.OrigDst == nil && m.ReplSrc == nil && m.ReplDst == nil &&
		m.OrigSrcPort == nil && m.OrigDstPort == nil && m.ReplSrcPort == nil && m.ReplDstPort == nil &&
		!m.StatusSet && m.Expire == nil && m.Dir == ""
}

// kindName names a match kind for a message: its Go type without the
// package ("Limit", "Owner"), lower case.
func kindName(m ir.Match) string {
	s := fmt.Sprintf("%T", m)
	s = s[strings.LastIndexByte(s, '.')+1:]
	return strings.ToLower(s)
}

// multi is UFWRule.multi: either port is a list or a range.
func (t *tuple) multi() bool {
	return strings.ContainsAny(t.dport, ",:") || strings.ContainsAny(t.sport, ",:")
}

// dirField is the tuple's last field: in, out, in_IF, out_IF or
// in_IF!out_IF.
func (t *tuple) dirField() string {
	switch {
	case t.in != "" && t.out != "":
		return "in_" + t.in + "!out_" + t.out
	case t.in != "":
		return t.dir + "_" + t.in
	case t.out != "":
		return t.dir + "_" + t.out
	}
	return t.dir
}

// line is the "### tuple ###" line.
func (t *tuple) line() string {
	action := t.action
	if t.route {
		action = "route:" + action
	}
	s := fmt.Sprintf("### tuple ### %s %s %s %s %s %s %s", action, t.proto, t.dport, t.dst, t.sport, t.src, t.dirField())
	if t.comment != "" {
		s += " comment=" + hex.EncodeToString([]byte(t.comment))
	}
	return s
}

// key is what ufw compares when it adds a rule (common.py match): all but
// the action, the log type and the comment. ufw refuses or rewrites a
// second rule of an equal key.
func (t *tuple) key() string {
	return fmt.Sprintf("%v %s %s %s %s %s %s", t.route, t.proto, t.dport, t.dst, t.sport, t.src, t.dirField())
}

func (t *tuple) chain() string {
	p := prefix(t.v6)
	switch {
	case t.route:
		return p + "-user-forward"
	case t.dir == "out":
		return p + "-user-output"
	}
	return p + "-user-input"
}

func prefix(v6 bool) string {
	if v6 {
		return "ufw6"
	}
	return "ufw"
}

// expansion is the iptables lines ufw writes under the tuple
// (UFWRule.format_rule, then _get_rules_from_formatted, whose "-p all"
// is dropped: a rule of protocol any has no ports here).
func (t *tuple) expansion() []string {
	var b strings.Builder
	b.WriteString("-A " + t.chain())
	if t.in != "" {
		b.WriteString(" -i " + t.in)
	}
	if t.out != "" {
		b.WriteString(" -o " + t.out)
	}
	multi := t.multi()
	if t.proto != "any" {
		b.WriteString(" -p " + t.proto)
		if multi {
			b.WriteString(" -m multiport")
			switch {
			case t.dport != "any" && t.sport != "any":
				b.WriteString(" --dports " + t.dport + " -m multiport --sports " + t.sport)
			case t.dport != "any":
				b.WriteString(" --dports " + t.dport)
			default:
				b.WriteString(" --sports " + t.sport)
			}
		}
	}
	if t.dst != anyAddr(fam(t.v6)) {
		b.WriteString(" -d " + t.dst)
	}
	if !multi && t.dport != "any" {
		b.WriteString(" --dport " + t.dport)
	}
	if t.src != anyAddr(fam(t.v6)) {
		b.WriteString(" -s " + t.src)
	}
	if !multi && t.sport != "any" {
		b.WriteString(" --sport " + t.sport)
	}
	switch t.action {
	case "allow":
		b.WriteString(" -j ACCEPT")
	case "reject":
		b.WriteString(" -j REJECT")
		if t.proto == "tcp" {
			b.WriteString(" --reject-with tcp-reset")
		}
	default:
		b.WriteString(" -j DROP")
	}
	return []string{b.String()}
}

func fam(v6 bool) ir.Family {
	if v6 {
		return ir.IPv6
	}
	return ir.IPv4
}
