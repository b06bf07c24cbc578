package iptables

import (
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
	return detectFamily(name, string(data))
}

func detectFamily(name, text string) (f ir.Family, why string, guessed bool) {
	v4, v6 := 0, 0
	for len(text) > 0 {
		line := text
		if i := strings.IndexByte(text, '\n'); i >= 0 {
			line, text = text[:i], text[i+1:]
		} else {
			text = ""
		}
		if len(line) == 0 || line[0] == '#' || line[0] == '*' || line[0] == ':' {
			continue
		}
		a, b := familyEvidence(line)
		v4 += a
		v6 += b
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

// familyEvidence counts the IPv4 and IPv6 hints of one line. It walks the
// words without splitting the line: this runs over every line of the input.
func familyEvidence(line string) (v4, v6 int) {
	prev := ""
	for len(line) > 0 {
		i := 0
		for i < len(line) && (line[i] == ' ' || line[i] == '\t') {
			i++
		}
		line = line[i:]
		j := 0
		for j < len(line) && line[j] != ' ' && line[j] != '\t' {
			j++
		}
		if j == 0 {
			break
		}
		w := line[:j]
		line = line[j:]
		switch w {
		case "ipv6-icmp", "icmpv6", "icmp6", "--icmpv6-type", "--hl-eq", "--hl-lt", "--hl-gt", "--hl-set",
			"--hl-inc", "--hl-dec", "rt", "frag", "hbh", "dst", "mh", "ipv6header", "eui64":
			v6++
		case "icmp", "--icmp-type", "--ttl-eq", "--ttl-lt", "--ttl-gt", "--ttl-set", "--ttl-inc", "--ttl-dec":
			v4++
		}
		if strings.HasPrefix(w, "icmp6-") {
			v6++
		} else if strings.HasPrefix(w, "icmp-") {
			v4++
		}
		if isAddrOpt(prev) {
			for w != "" {
				a := w
				if k := strings.IndexByte(w, ','); k >= 0 {
					a, w = w[:k], w[k+1:]
				} else {
					w = ""
				}
				if k := strings.IndexByte(a, '/'); k >= 0 {
					a = a[:k]
				}
				switch {
				case strings.Contains(a, ":") && !strings.Contains(a, "."):
					if _, err := netip.ParseAddr(a); err == nil {
						v6++
					}
				case a != "" && a[0] >= '0' && a[0] <= '9':
					if _, err := netip.ParseAddr(a); err == nil {
						v4++
					}
				}
			}
		}
		prev = w
	}
	return v4, v6
}
