package iptables

import "github.com/ruleshift/ruleshift/translate/ir"

// Module names the iptables match module a kind is written with ("tcp",
// "conntrack", …), or "" for the conditions of the rule header (-p, -s,
// -d, -i, -o, -f). The model does not know it: which module a condition
// came from is this renderer's business (DESIGN.md, "The model").
func Module(m ir.Match) string {
	switch m := m.(type) {
	case *ir.Protocol, *ir.Addr, *ir.Iface, *ir.Fragment:
		return ""
	case *ir.ICMP:
		if m.V6 {
			return "icmp6"
		}
		return "icmp"
	case *ir.HopLimit:
		if m.V6 {
			return "hl"
		}
		return "ttl"
	case *ir.IPv6Opts:
		if m.Dst {
			return "dst"
		}
		return "hbh"
	case *ir.SetMatch, *ir.SetRef:
		return "set"
	case *ir.TCP:
		return "tcp"
	case *ir.UDP:
		return "udp"
	case *ir.SCTP:
		return "sctp"
	case *ir.Multiport:
		return "multiport"
	case *ir.Comment:
		return "comment"
	case *ir.State:
		return "state"
	case *ir.Conntrack:
		return "conntrack"
	case *ir.Mark:
		return "mark"
	case *ir.ConnMark:
		return "connmark"
	case *ir.Helper:
		return "helper"
	case *ir.ConnLimit:
		return "connlimit"
	case *ir.ConnBytes:
		return "connbytes"
	case *ir.ConnLabel:
		return "connlabel"
	case *ir.Limit:
		return "limit"
	case *ir.Hashlimit:
		return "hashlimit"
	case *ir.Recent:
		return "recent"
	case *ir.Owner:
		return "owner"
	case *ir.String:
		return "string"
	case *ir.U32:
		return "u32"
	case *ir.Time:
		return "time"
	case *ir.Statistic:
		return "statistic"
	case *ir.Quota:
		return "quota"
	case *ir.IPsecPolicy:
		return "policy"
	case *ir.Physdev:
		return "physdev"
	case *ir.MAC:
		return "mac"
	case *ir.IPRange:
		return "iprange"
	case *ir.AddrType:
		return "addrtype"
	case *ir.PktTypeMatch:
		return "pkttype"
	case *ir.Length:
		return "length"
	case *ir.TOSMatch:
		return "tos"
	case *ir.DSCPMatch:
		return "dscp"
	case *ir.ECNMatch:
		return "ecn"
	case *ir.DevGroup:
		return "devgroup"
	case *ir.CPU:
		return "cpu"
	case *ir.Cgroup:
		return "cgroup"
	case *ir.Socket:
		return "socket"
	case *ir.Realm:
		return "realm"
	case *ir.Cluster:
		return "cluster"
	case *ir.RPFilter:
		return "rpfilter"
	case *ir.TCPMSSMatch:
		return "tcpmss"
	case *ir.DCCP:
		return "dccp"
	case *ir.AH:
		return "ah"
	case *ir.ESP:
		return "esp"
	case *ir.IPComp:
		return "ipcomp"
	case *ir.Frag:
		return "frag"
	case *ir.RT:
		return "rt"
	case *ir.MH:
		return "mh"
	case *ir.IPv6Header:
		return "ipv6header"
	case *ir.EUI64:
		return "eui64"
	}
	return ""
}
