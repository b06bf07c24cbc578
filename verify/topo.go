package verify

import (
	"fmt"
	"net"
	"strings"
)

// The topology of one side: the firewall host F, whose interfaces carry
// the names the rules use (eth0, ppp0, …), and one peer namespace P that
// holds the other end of every veth pair. P has no addresses, IPv6 off and
// forwarding off, so its kernel never answers anything: it is only the
// wire, where verify injects frames (AF_PACKET) and captures what F sends.
// One peer namespace stands for every neighbour (peer A and peer B of the
// classic picture): a probe "from A" is injected on the interface A sits
// behind, and anything F emits is captured whichever interface it uses.
//
// Routing on F, identical on both sides, decides each probe's path
// without looking at anything the rules can see differently:
//
//	pref 10: tos 4*c lookup 100+c   forwarded probes carry DSCP c (1-7) and
//	                                leave by Routable[c-1]
//	pref 20: oif X lookup 200+i     F's own probes are sent on a socket bound
//	                                to X (SO_BINDTODEVICE)
//	pref 30: iif X lookup 99        everything else that arrives from a peer
//	                                is local ("local default dev lo")
//	pref 35: iif lo lookup main     what F's stack sends unbound (reject
//	                                answers) goes to the wire, even to an
//	                                address F holds
//	pref 40: lookup local           moved down from 0 so the rules above win
//
// Input probes' destinations are F's addresses on lo (Plan.Local), so that
// address-type matches (-m addrtype --dst-type LOCAL, fib daddr type
// local: ufw's ufw-not-local) see them as local, as on a real host: the
// AnyIP route of table 99 delivers them but is not in the local table,
// which those matches read.
//
// Every route leaves by a gateway whose neighbour entry is permanent, with
// a MAC that no interface has, so F never waits for ARP or ND and P's
// kernel drops the frames as not its own.

var gwMAC = [6]byte{0x02, 0x52, 0x53, 0xff, 0xff, 0xff}

const (
	gw4 = "169.254.0.1"
	gw6 = "fe80::1"
)

type topo struct {
	f, p   string // namespace names
	ifaces []string
	fMAC   map[string][6]byte
	pMAC   map[string][6]byte
	pIndex map[string]int // ifindex in P of the peer end of F's interface
	pName  map[int]string // the reverse: F's interface name
}

// fFlags are F's sysctls, set before its interfaces exist so that the
// "default" values reach them. Reject answers are ICMP errors: rate
// limits off, or a burst of probes would see some rejects as drops.
var fSysctls = [][2]string{
	{"net.ipv4.ip_forward", "1"},
	{"net.ipv4.conf.all.rp_filter", "0"},
	{"net.ipv4.conf.default.rp_filter", "0"},
	{"net.ipv4.conf.all.accept_local", "1"},
	{"net.ipv4.conf.default.accept_local", "1"},
	{"net.ipv4.conf.all.send_redirects", "0"},
	{"net.ipv4.conf.default.send_redirects", "0"},
	{"net.ipv4.icmp_ratelimit", "0"},
	{"net.ipv4.icmp_ratemask", "0"},
	{"?net.ipv4.icmp_msgs_per_sec", "1000000"},
	{"?net.ipv4.icmp_msgs_burst", "1000000"},
	{"net.ipv6.conf.all.forwarding", "1"},
	{"net.ipv6.conf.default.forwarding", "1"},
	{"net.ipv6.conf.default.accept_dad", "0"},
	{"net.ipv6.icmp.ratelimit", "0"},
	{"?net.ipv6.icmp.ratemask", "255"},
	{"?net.netfilter.nf_conntrack_tcp_be_liberal", "1"},
}

var pSysctls = [][2]string{
	{"net.ipv6.conf.all.disable_ipv6", "1"},
	{"net.ipv6.conf.default.disable_ipv6", "1"},
	{"net.ipv4.ip_forward", "0"},
}

// buildTopo creates one side's namespaces, named prefix-side-f and
// prefix-side-p. On error, whatever was created is removed.
func buildTopo(prefix, side string, sideNum byte, plan *Plan) (t *topo, err error) {
	t = &topo{f: prefix + "-" + side + "f", p: prefix + "-" + side + "p", ifaces: plan.Ifaces,
		fMAC: map[string][6]byte{}, pMAC: map[string][6]byte{}, pIndex: map[string]int{}, pName: map[int]string{}}
	defer func() {
		if err != nil {
			t.close()
		}
	}()
	for _, ns := range []string{t.f, t.p} {
		if _, err := run(nil, "ip", "netns", "add", ns); err != nil {
			return t, err
		}
	}
	if err := sysctls(t.f, fSysctls); err != nil {
		return t, err
	}
	if err := sysctls(t.p, pSysctls); err != nil {
		return t, err
	}
	var links, ups strings.Builder
	links.WriteString("link set lo up\n")
	for i, n := range t.ifaces {
		t.fMAC[n] = [6]byte{0x02, 0x52, 0x53, sideNum, 0, byte(i)}
		t.pMAC[n] = [6]byte{0x02, 0x52, 0x53, sideNum, 1, byte(i)}
		fmt.Fprintf(&links, "link add %s address %s type veth peer name p%d address %s netns %s\nlink set %s up\n",
			n, mac(t.fMAC[n]), i, mac(t.pMAC[n]), t.p, n)
		fmt.Fprintf(&ups, "link set p%d up\n", i)
	}
	if _, err := run([]byte(links.String()), "ip", "-n", t.f, "-b", "-"); err != nil {
		return t, err
	}
	if _, err := run([]byte(ups.String()), "ip", "-n", t.p, "-b", "-"); err != nil {
		return t, err
	}
	for _, fam := range []string{"-4", "-6"} {
		if _, err := run([]byte(t.routing(fam, plan)), "ip", "-n", t.f, fam, "-b", "-"); err != nil {
			return t, err
		}
	}
	return t, inNetns(t.p, func() error {
		for i, n := range t.ifaces {
			ifc, err := net.InterfaceByName(fmt.Sprintf("p%d", i))
			if err != nil {
				return err
			}
			t.pIndex[n], t.pName[ifc.Index] = ifc.Index, n
		}
		return nil
	})
}

// routing is the "ip -b" script of F's routes, rules and local addresses
// for one family (fam is "-4" or "-6").
func (t *topo) routing(fam string, plan *Plan) string {
	var b strings.Builder
	gw, any, host := gw4, "0.0.0.0/0", "/32"
	if fam == "-6" {
		gw, any, host = gw6, "::/0", "/128"
	}
	onlink := " onlink"
	if fam == "-6" {
		onlink = ""
	}
	for i, n := range t.ifaces {
		fmt.Fprintf(&b, "neigh replace %s lladdr %s dev %s nud permanent\n", gw, mac(gwMAC), n)
		fmt.Fprintf(&b, "route replace default via %s dev %s%s table %d\n", gw, n, onlink, 200+i)
		fmt.Fprintf(&b, "rule add pref 20 oif %s lookup %d\n", n, 200+i)
		fmt.Fprintf(&b, "rule add pref 30 iif %s lookup 99\n", n)
	}
	fmt.Fprintf(&b, "route replace default via %s dev %s%s\n", gw, plan.Routable[0], onlink)
	for c, n := range plan.Routable {
		fmt.Fprintf(&b, "route replace default via %s dev %s%s table %d\n", gw, n, onlink, 101+c)
		fmt.Fprintf(&b, "rule add pref 10 tos 0x%02x lookup %d\n", (c+1)<<2, 101+c)
	}
	fmt.Fprintf(&b, "route replace local %s dev lo table 99\n", any)
	b.WriteString("rule add pref 35 iif lo lookup main\nrule add pref 40 lookup local\nrule del pref 0\n")
	for _, a := range plan.Local {
		if a.Is6() == (fam == "-6") {
			fmt.Fprintf(&b, "addr add %s%s dev lo\n", a, host)
		}
	}
	return b.String()
}

// routeClass is the DSCP a forwarded probe leaving by out carries.
func routeClass(plan *Plan, out string) (uint8, bool) {
	for i, n := range plan.Routable {
		if n == out {
			return uint8(i + 1), true
		}
	}
	return 0, false
}

func mac(m [6]byte) string { return net.HardwareAddr(m[:]).String() }

// close deletes the namespaces; the veth pairs and everything loaded go
// with them.
func (t *topo) close() {
	for _, ns := range []string{t.f, t.p} {
		run(nil, "ip", "netns", "del", ns)
	}
}
