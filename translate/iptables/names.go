package iptables

import (
	"fmt"
	"math"
	"net/netip"
	"strings"

	"github.com/ruleshift/ruleshift/internal/netfilter"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// protoNums maps the protocol names iptables knows (its own table plus the
// common /etc/protocols entries) to numbers. Lookups are case-insensitive.
var protoNums = map[string]uint8{
	"all": 0, "icmp": 1, "igmp": 2, "ipencap": 4, "tcp": 6, "egp": 8, "pup": 12, "udp": 17,
	"idp": 22, "dccp": 33, "ipv6": 41, "rsvp": 46, "gre": 47, "esp": 50, "ah": 51,
	"ipv6-icmp": 58, "icmpv6": 58, "icmp6": 58, "ospf": 89, "ipip": 94, "encap": 98,
	"pim": 103, "vrrp": 112, "l2tp": 115, "sctp": 132, "mh": 135, "ipv6-mh": 135,
	"udplite": 136, "mpls-in-ip": 137, "ethernet": 143, "ipv6-route": 43, "ipv6-frag": 44,
	"ipv6-nonxt": 59, "ipv6-opts": 60, "hopopt": 0, "ipcomp": 108, "st": 5, "xtp": 36,
}

// protoModule names the match iptables loads implicitly for -p NUM.
func protoModule(n uint8, f ir.Family) string {
	switch n {
	case 58:
		return "icmp6"
	case 135:
		return "mh"
	}
	return netfilter.ProtoName(n)
}

// parseProtocol reads -p as iptables 1.8.9 does: lower-cased, then a
// base-0 number up to 255 ("0x6", "06" and " 6" are tcp), then a name of
// its own table or of /etc/protocols.
func parseProtocol(s string, f ir.Family) (*ir.Protocol, error) {
	if s == "" {
		return nil, fmt.Errorf("empty protocol")
	}
	s = strings.ToLower(s)
	var n uint8
	if v, ok := xtUint(s, 0, 255); ok {
		n = uint8(v)
	} else if v, ok := protoNums[s]; ok {
		n = v
	} else {
		return nil, fmt.Errorf("unknown protocol %q specified", s)
	}
	if n == 0 {
		return &ir.Protocol{All: true}, nil
	}
	return &ir.Protocol{Num: n}, nil
}

func bitsOf(f ir.Family) int {
	if f == ir.IPv6 {
		return 128
	}
	return 32
}

func looksNumeric(s string) bool {
	for _, c := range s {
		if (c < '0' || c > '9') && c != '.' {
			return false
		}
	}
	return true
}

func validHostName(s string) bool {
	if len(s) > 253 {
		return false
	}
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '.', c == '_':
		default:
			return false
		}
	}
	return true
}

// maskBits returns the prefix length of a contiguous mask.
func maskBits(m netip.Addr) (int, bool) {
	b := m.AsSlice()
	n, zero := 0, false
	for _, x := range b {
		for i := 7; i >= 0; i-- {
			if x&(1<<i) != 0 {
				if zero {
					return 0, false
				}
				n++
			} else {
				zero = true
			}
		}
	}
	return n, true
}

func andAddr(a, m netip.Addr) netip.Addr {
	x, y := a.AsSlice(), m.AsSlice()
	for i := range x {
		x[i] &= y[i]
	}
	r, _ := netip.AddrFromSlice(x)
	return r
}

// services are the /etc/services entries of Debian 12 (netbase 6.4) that
// appear in real rulesets, with the protocols they are listed for:
// iptables looks a name up with getservbyname(name, "tcp") for the tcp
// match, so "-p udp --dport http" is refused where netbase lists http for
// tcp only. Names are case-sensitive, as in getservbyname. A name outside
// this table is refused rather than guessed.
var services = map[string]service{
	"afs3-fileserver": {7000, svcUDP}, "amqp": {5672, svcTCP | svcSCTP}, "auth": {113, svcTCP},
	"bacula-dir": {9101, svcTCP}, "bacula-fd": {9102, svcTCP}, "bacula-sd": {9103, svcTCP},
	"bgp": {179, svcTCP}, "bootpc": {68, svcUDP}, "bootps": {67, svcUDP},
	"chargen": {19, svcTCP | svcUDP}, "cvspserver": {2401, svcTCP}, "daytime": {13, svcTCP | svcUDP},
	"dhcpv6-client": {546, svcUDP}, "dhcpv6-server": {547, svcUDP}, "discard": {9, svcTCP | svcUDP},
	"domain": {53, svcTCP | svcUDP}, "domain-s": {853, svcTCP | svcUDP}, "echo": {7, svcTCP | svcUDP},
	"epmap": {135, svcTCP}, "exec": {512, svcTCP}, "finger": {79, svcTCP}, "ftp": {21, svcTCP},
	"ftp-data": {20, svcTCP}, "ftps": {990, svcTCP}, "ftps-data": {989, svcTCP}, "git": {9418, svcTCP},
	"gopher": {70, svcTCP}, "hkp": {11371, svcTCP}, "http": {80, svcTCP}, "http-alt": {8080, svcTCP},
	"https": {443, svcTCP | svcUDP}, "iax": {4569, svcUDP}, "ident": {113, svcTCP},
	"imap": {143, svcTCP}, "imap2": {143, svcTCP}, "imaps": {993, svcTCP}, "ipp": {631, svcTCP},
	"ipsec-nat-t": {4500, svcUDP}, "ircd": {6667, svcTCP}, "isakmp": {500, svcUDP},
	"kerberos": {88, svcTCP | svcUDP}, "kerberos-adm": {749, svcTCP}, "l2tp": {1701, svcUDP},
	"ldap": {389, svcTCP | svcUDP}, "ldaps": {636, svcTCP | svcUDP}, "login": {513, svcTCP},
	"mdns": {5353, svcUDP}, "microsoft-ds": {445, svcTCP}, "ms-sql-s": {1433, svcTCP},
	"ms-wbt-server": {3389, svcTCP}, "munin": {4949, svcTCP}, "mysql": {3306, svcTCP},
	"netbios-dgm": {138, svcUDP}, "netbios-ns": {137, svcUDP}, "netbios-ssn": {139, svcTCP},
	"netstat": {15, svcTCP}, "nfs": {2049, svcTCP | svcUDP}, "nntp": {119, svcTCP},
	"nrpe": {5666, svcTCP}, "ntalk": {518, svcUDP}, "ntp": {123, svcUDP},
	"openvpn": {1194, svcTCP | svcUDP}, "pop3": {110, svcTCP}, "pop3s": {995, svcTCP},
	"postgresql": {5432, svcTCP}, "printer": {515, svcTCP}, "qotd": {17, svcTCP},
	"radius": {1812, svcTCP | svcUDP}, "radius-acct": {1813, svcTCP | svcUDP}, "redis": {6379, svcTCP},
	"route": {520, svcUDP}, "rsync": {873, svcTCP}, "shell": {514, svcTCP},
	"sip": {5060, svcTCP | svcUDP}, "sip-tls": {5061, svcTCP | svcUDP}, "smtp": {25, svcTCP},
	"snmp": {161, svcTCP | svcUDP}, "snmp-trap": {162, svcTCP | svcUDP}, "socks": {1080, svcTCP},
	"ssh": {22, svcTCP}, "submission": {587, svcTCP}, "sunrpc": {111, svcTCP | svcUDP},
	"svn": {3690, svcTCP}, "syslog": {514, svcTCP | svcUDP}, "tacacs": {49, svcTCP | svcUDP},
	"talk": {517, svcUDP}, "telnet": {23, svcTCP}, "tftp": {69, svcUDP}, "time": {37, svcTCP | svcUDP},
	"uucp": {540, svcTCP}, "webcache": {8080, svcTCP}, "whois": {43, svcTCP}, "www": {80, svcTCP},
	"x11": {6000, svcTCP}, "xmpp-client": {5222, svcTCP}, "xmpp-server": {5269, svcTCP},
	"zabbix-agent": {10050, svcTCP}, "zabbix-trapper": {10051, svcTCP},
}

// strtoul parses a number as xtables_strtoul does (see xtUint) within
// bits bits.
func strtoul(s string, bits int) (uint64, error) {
	max := uint64(1)<<bits - 1
	if bits >= 64 {
		max = math.MaxUint64
	}
	n, ok := xtUint(s, 0, max)
	if !ok {
		return 0, fmt.Errorf("invalid number %q", s)
	}
	return n, nil
}
