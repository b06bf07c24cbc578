package passes

import (
	"fmt"

	"github.com/ruleshift/ruleshift/translate/ir"
)

// hookCase is one entry of the restriction table, or a control that has
// none, as a rule put in a user chain that one hook jumps to.
type hookCase struct {
	fam     ir.Family
	table   string
	spec    string
	allowed HookSet
	// checkentry: the kernel checks it in checkentry, which iptables-nft
	// skips for user chains (see hooks.go).
	checkentry bool
}

var all5 = hPre | hIn | hFwd | hOut | hPost

var hookCases = []hookCase{
	{ir.IPv4, "mangle", "-m owner --uid-owner 0", hOut | hPost, false},
	{ir.IPv4, "mangle", "-m owner --socket-exists", hOut | hPost, false},
	{ir.IPv4, "mangle", "-m mac --mac-source 00:11:22:33:44:55", inbound, false},
	{ir.IPv4, "mangle", "-m socket", hPre | hIn, false},
	{ir.IPv4, "mangle", "-m socket --transparent", hPre | hIn, false},
	{ir.IPv4, "mangle", "-m realm --realm 0x1", hIn | hFwd | hOut | hPost, false},
	{ir.IPv4, "mangle", "-m cgroup --cgroup 1", hIn | hOut | hPost, false},
	{ir.IPv4, "mangle", "-m rpfilter", hPre, false},
	{ir.IPv4, "mangle", "-m addrtype --src-type LOCAL --limit-iface-in", inbound, true},
	{ir.IPv4, "mangle", "-m addrtype --src-type LOCAL --limit-iface-out", outbound, true},
	{ir.IPv4, "mangle", "-m addrtype --src-type LOCAL", all5, false},
	{ir.IPv4, "mangle", "-m devgroup --src-group 0x1", inbound, true},
	{ir.IPv4, "mangle", "-m devgroup --dst-group 0x1", outbound, true},
	{ir.IPv4, "mangle", "-m policy --dir in --pol none", inbound, true},
	{ir.IPv4, "mangle", "-m policy --dir out --pol none", outbound, true},
	{ir.IPv4, "mangle", "-m physdev --physdev-out eth0", all5 &^ hOut, true},
	{ir.IPv4, "mangle", "-m physdev --physdev-is-out", all5 &^ hOut, true},
	{ir.IPv4, "mangle", "-m physdev --physdev-out eth0 ! --physdev-is-bridged", all5 &^ hOut, true},
	{ir.IPv4, "mangle", "-m physdev --physdev-out eth0 --physdev-is-bridged", all5, false},
	{ir.IPv4, "mangle", "-m physdev --physdev-in eth0", all5, false},
	{ir.IPv4, "mangle", "-p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu", outbound, true},
	{ir.IPv4, "mangle", "-p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPMSS --set-mss 1000", all5, false},
	{ir.IPv4, "mangle", "-p tcp -j TPROXY --on-port 1 --on-ip 0.0.0.0 --tproxy-mark 0x0/0x0", hPre, false},
	{ir.IPv4, "mangle", "-j CLASSIFY --set-class 0001:0001", hFwd | hOut | hPost, false},
	{ir.IPv4, "mangle", "-j LOG", all5, false},
	{ir.IPv4, "mangle", "-j MARK --set-xmark 0x1/0xffffffff", all5, false},
	{ir.IPv4, "nat", "-j SNAT --to-source 1.2.3.4", hIn | hPost, false},
	{ir.IPv4, "nat", "-j DNAT --to-destination 1.2.3.4", hPre | hOut, false},
	{ir.IPv4, "nat", "-j MASQUERADE", hPost, false},
	{ir.IPv4, "nat", "-j REDIRECT", hPre | hOut, false},
	{ir.IPv4, "nat", "-j NETMAP --to 1.2.3.0/24", hPre | hIn | hOut | hPost, false},
	{ir.IPv4, "filter", "-j REJECT --reject-with icmp-port-unreachable", hIn | hFwd | hOut, false},
	{ir.IPv4, "filter", "-p tcp -j SYNPROXY --sack-perm", hIn | hFwd, false},
	{ir.IPv6, "mangle", "-m eui64", inbound, false},
	{ir.IPv6, "mangle", "-m rpfilter", hPre, false},
	{ir.IPv6, "mangle", "-m owner --uid-owner 0", hOut | hPost, false},
	{ir.IPv6, "mangle", "-p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu", outbound, true},
	{ir.IPv6, "filter", "-j REJECT --reject-with icmp6-port-unreachable", hIn | hFwd | hOut, false},
	{ir.IPv6, "nat", "-j MASQUERADE", hPost, false},
}

// tableHooks are the hooks of each iptables table's built-in chains.
var tableHooks = map[string]HookSet{
	"filter": hIn | hFwd | hOut,
	"nat":    hPre | hIn | hOut | hPost,
	"mangle": all5,
	"raw":    hPre | hOut,
}

// saveText is a table whose built-in chain of hook h jumps to user chain
// A, which holds one rule.
func saveText(table string, h ir.Hook, spec string) string {
	b := HookName(h)
	return fmt.Sprintf("*%s\n:%s ACCEPT [0:0]\n:A - [0:0]\n-A %s -j A\n-A A %s\nCOMMIT\n", table, b, b, spec)
}
