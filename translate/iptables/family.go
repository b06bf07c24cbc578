package iptables

import (
	"bytes"
	"net/netip"
	"path/filepath"
	"strings"

	"github.com/ruleshift/ruleshift/translate/ir"
)

// DetectFamily guesses the family of a save file from what is in it: IPv6
// or IPv4 addresses, ICMPv6 or ICMP, IPv6-only matches and reject types.
// When the contents say nothing, the file name decides (rules.v6,
// ip6tables.rules) and failing that IPv4; guessed is then true and why says
// what was seen.
func DetectFamily(name string, data []byte) (f ir.Family, why string, guessed bool) {
	v4, v6 := 0, 0
	for _, line := range bytes.Split(data, []byte("\n")) {
		if len(line) == 0 || line[0] == '#' || line[0] == '*' || line[0] == ':' {
			continue
		}
		fields := strings.Fields(string(line))
		for i, w := range fields {
			switch w {
			case "ipv6-icmp", "icmpv6", "icmp6", "--icmpv6-type", "--hl-eq", "--hl-lt", "--hl-gt", "--hl-set",
				"--hl-inc", "--hl-dec", "rt", "frag", "hbh", "dst", "mh", "ipv6header", "eui64":
				v6++
			case "icmp", "--icmp-type", "--ttl-eq", "--ttl-lt", "--ttl-gt", "--ttl-set", "--ttl-inc", "--ttl-dec":
				v4++
			}
			if strings.HasPrefix(w, "icmp6-") {
				v6++
			} else if strings.HasPrefix(w, "icmp-") && strings.Contains(w, "-") {
				v4++
			}
			if i > 0 && isAddrOpt(fields[i-1]) {
				for _, a := range strings.Split(w, ",") {
					a, _, _ = strings.Cut(a, "/")
					if ip, err := netip.ParseAddr(a); err == nil {
						if ip.Is4() {
							v4++
						} else {
							v6++
						}
					}
				}
			}
		}
	}
	switch {
	case v6 > 0 && v4 == 0:
		return ir.IPv6, "", false
	case v4 > 0 && v6 == 0:
		return ir.IPv4, "", false
	case v4 > 0 && v6 > 0:
		if v6 > v4 {
			return ir.IPv6, "the file mixes IPv4 and IPv6 evidence, more of it IPv6", true
		}
		return ir.IPv4, "the file mixes IPv4 and IPv6 evidence, more of it IPv4", true
	}
	base := strings.ToLower(filepath.Base(name))
	if strings.HasSuffix(base, ".v6") || strings.Contains(base, "ip6tables") || strings.HasSuffix(base, "6.rules") {
		return ir.IPv6, "no addresses or ICMP in the file; its name says IPv6", true
	}
	return ir.IPv4, "no addresses or ICMP in the file to tell its family", true
}

func isAddrOpt(s string) bool {
	switch s {
	case "-s", "-d", "--source", "--destination", "--src", "--dst", "--to-destination", "--to-source",
		"--to", "--ctorigsrc", "--ctorigdst", "--ctreplsrc", "--ctrepldst", "--src-range", "--dst-range", "--on-ip":
		return true
	}
	return false
}

func joinAddrs(a []netip.Addr) string {
	s := make([]string, len(a))
	for i, x := range a {
		s[i] = x.String()
	}
	return strings.Join(s, ", ")
}
