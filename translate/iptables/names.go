package iptables

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

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

// saveProtoNames are the protocol names iptables-save prints; other
// numbers print as numbers. (nft has its own list: see backends/nftables.)
var saveProtoNames = map[uint8]string{
	1: "icmp", 2: "igmp", 6: "tcp", 17: "udp", 33: "dccp", 41: "ipv6", 47: "gre",
	50: "esp", 51: "ah", 58: "ipv6-icmp", 132: "sctp", 135: "mh", 136: "udplite",
}

// ProtoName returns iptables' canonical name for a protocol number, or "".
func ProtoName(n uint8) string { return saveProtoNames[n] }

// protoModule names the match iptables loads implicitly for -p NUM.
func protoModule(n uint8, f ir.Family) string {
	switch n {
	case 58:
		return "icmp6"
	case 135:
		return "mh"
	}
	return ProtoName(n)
}

func parseProtocol(s string, f ir.Family) (*ir.Protocol, error) {
	if s == "" {
		return nil, fmt.Errorf("empty protocol")
	}
	if n, ok := protoNums[s]; ok {
		if n == 0 {
			return &ir.Protocol{All: true}, nil
		}
		return &ir.Protocol{Num: n}, nil
	}
	if n, err := strconv.ParseUint(s, 10, 8); err == nil {
		if n == 0 {
			return &ir.Protocol{All: true}, nil
		}
		return &ir.Protocol{Num: uint8(n)}, nil
	}
	n, ok := protoNums[strings.ToLower(s)]
	if !ok {
		return nil, fmt.Errorf("unknown protocol %q", s)
	}
	if n == 0 {
		return &ir.Protocol{All: true}, nil
	}
	return &ir.Protocol{Num: n}, nil
}

// parseAddr parses one element of a -s/-d list: an address, a network with
// a prefix length or a (possibly non-contiguous) mask, or a host name.
func parseAddr(s string, f ir.Family) (addrSpec, error) {
	a := addrSpec{bits: -1}
	host, maskStr, hasMask := strings.Cut(s, "/")
	if host == "" {
		return a, fmt.Errorf("empty address in %q", s)
	}
	ip, err := netip.ParseAddr(host)
	if err != nil {
		if strings.Contains(host, ":") || !validHostName(host) {
			return a, fmt.Errorf("invalid address %q", s)
		}
		if f == ir.IPv4 && looksNumeric(host) {
			return a, fmt.Errorf("invalid IPv4 address %q", host)
		}
		a.host = host
		if hasMask {
			n, err := strconv.Atoi(maskStr)
			if err != nil || n < 0 || n > bitsOf(f) {
				return a, fmt.Errorf("invalid mask %q", maskStr)
			}
			a.bits = n
		}
		return a, nil
	}
	if ip.Zone() != "" {
		return a, fmt.Errorf("address %q has a zone, which iptables does not take", host)
	}
	if ip.Is4In6() && f == ir.IPv4 {
		ip = ip.Unmap()
	}
	if (f == ir.IPv4) != ip.Is4() {
		return a, fmt.Errorf("%q is not an %s address", host, famWord(f))
	}
	bits := ip.BitLen()
	if hasMask {
		if n, err := strconv.Atoi(maskStr); err == nil {
			if n < 0 || n > bits {
				return a, fmt.Errorf("invalid prefix length /%s", maskStr)
			}
			bits = n
		} else {
			m, err := netip.ParseAddr(maskStr)
			if err != nil || m.BitLen() != ip.BitLen() {
				return a, fmt.Errorf("invalid mask %q", maskStr)
			}
			if n, ok := maskBits(m); ok {
				bits = n
			} else {
				a.mask = m
				a.net = netip.PrefixFrom(andAddr(ip, m), ip.BitLen())
				return a, nil
			}
		}
	}
	a.net, _ = ip.Prefix(bits)
	return a, nil
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

// services are the /etc/services names that appear in real rulesets; a name
// outside this list is an error rather than a guess.
var services = map[string]uint16{
	"ftp-data": 20, "ftp": 21, "ssh": 22, "telnet": 23, "smtp": 25, "time": 37, "domain": 53,
	"bootps": 67, "bootpc": 68, "tftp": 69, "gopher": 70, "finger": 79, "http": 80, "www": 80,
	"kerberos": 88, "pop3": 110, "sunrpc": 111, "auth": 113, "ident": 113, "nntp": 119,
	"ntp": 123, "epmap": 135, "netbios-ns": 137, "netbios-dgm": 138, "netbios-ssn": 139,
	"imap": 143, "imap2": 143, "snmp": 161, "snmp-trap": 162, "bgp": 179, "irc": 194, "ldap": 389,
	"https": 443, "microsoft-ds": 445, "isakmp": 500, "syslog": 514, "printer": 515,
	"submission": 587, "ldaps": 636, "rsync": 873, "ftps-data": 989, "ftps": 990,
	"imaps": 993, "pop3s": 995, "socks": 1080, "openvpn": 1194, "ms-sql-s": 1433,
	"l2tp": 1701, "pptp": 1723, "radius": 1812, "radius-acct": 1813, "nfs": 2049,
	"mysql": 3306, "ipp": 631, "rdp": 3389, "ms-wbt-server": 3389, "svn": 3690,
	"sip": 5060, "sip-tls": 5061, "xmpp-client": 5222, "xmpp-server": 5269,
	"postgresql": 5432, "x11": 6000, "ircd": 6667, "http-alt": 8080, "webcache": 8080,
	"domain-s": 853, "ipsec-nat-t": 4500, "mdns": 5353, "nameserver": 42, "whois": 43,
	"tacacs": 49, "re-mail-ck": 50, "login": 513, "shell": 514, "exec": 512, "uucp": 540,
	"kerberos-adm": 749, "git": 9418, "amqp": 5672, "redis": 6379, "zabbix-agent": 10050,
	"zabbix-trapper": 10051, "munin": 4949, "nrpe": 5666, "hkp": 11371, "afs3-fileserver": 7000,
	"cvspserver": 2401, "iax": 4569, "mongodb": 27017, "bacula-dir": 9101, "bacula-fd": 9102,
	"bacula-sd": 9103, "ntalk": 518, "talk": 517, "route": 520, "netstat": 15, "daytime": 13,
	"echo": 7, "discard": 9, "chargen": 19, "qotd": 17, "msp": 18, "rtelnet": 107, "pop2": 109,
	"rlp": 39, "domain-dns": 53, "nfsd": 2049, "dhcpv6-client": 546, "dhcpv6-server": 547,
}

// parsePort parses a port number or service name.
func parsePort(s string) (uint16, error) {
	if s == "" {
		return 0, fmt.Errorf("empty port")
	}
	if n, err := strconv.ParseUint(s, 10, 16); err == nil {
		return uint16(n), nil
	}
	if n, ok := services[strings.ToLower(s)]; ok {
		return n, nil
	}
	return 0, fmt.Errorf("invalid port/service %q", s)
}

// parsePortRange parses "P", "P:Q", ":Q" or "P:" (iptables' open ends).
func parsePortRange(s string) (ir.PortRange, error) {
	lo, hi, isRange := strings.Cut(s, ":")
	if !isRange {
		p, err := parsePort(s)
		return ir.PortRange{Lo: p, Hi: p}, err
	}
	r := ir.PortRange{Lo: 0, Hi: 65535}
	var err error
	if lo != "" {
		if r.Lo, err = parsePort(lo); err != nil {
			return r, err
		}
	}
	if hi != "" {
		if r.Hi, err = parsePort(hi); err != nil {
			return r, err
		}
	}
	if r.Lo > r.Hi {
		// iptables swaps a reversed range silently; so do we.
		r.Lo, r.Hi = r.Hi, r.Lo
	}
	return r, nil
}

// strtoul parses a number as iptables does with strtoul(s, NULL, 0): hex
// after 0x, octal after a leading 0, decimal otherwise. Go's own base-0
// syntax (0b101, 0o7, 1_000) and signs are refused, as iptables refuses
// them; bits bounds the value.
func strtoul(s string, bits int) (uint64, error) {
	base, digits := 10, s
	switch {
	case len(s) > 2 && (s[:2] == "0x" || s[:2] == "0X"):
		base, digits = 16, s[2:]
	case len(s) > 1 && s[0] == '0':
		base, digits = 8, s[1:]
	}
	if digits == "" || strings.ContainsAny(digits, "_+-") {
		return 0, fmt.Errorf("invalid number %q", s)
	}
	n, err := strconv.ParseUint(digits, base, bits)
	if err != nil {
		return 0, fmt.Errorf("invalid number %q", s)
	}
	return n, nil
}
