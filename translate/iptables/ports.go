package iptables

import (
	"fmt"
	"strings"

	"github.com/ruleshift/ruleshift/translate/ir"
)

// Ports as iptables 1.8.9's extensions read them. There are two readers:
//
//   - xtables_parse_port (tcp, sctp, multiport): a base-0 number (0x16 and
//     026 are both 22), else getservbyname(name, proto) for the rule's
//     protocol;
//   - getaddrinfo(NULL, name) (udp, dccp, conntrack --ct*port, the
//     XTTYPE_PORT types): a decimal number only (026 is 26), else a
//     service of any protocol.
//
// NAT --to-ports reads a base-0 number or a service of any protocol.

type svcProtos uint8

const (
	svcTCP svcProtos = 1 << iota
	svcUDP
	svcSCTP
)

type service struct {
	port   uint16
	protos svcProtos
}

// serviceFor looks name up as getservbyname(name, proto) does; proto ""
// takes any protocol.
func serviceFor(name, proto string) (uint16, bool) {
	s, ok := services[name]
	if !ok {
		return 0, false
	}
	switch proto {
	case "":
		return s.port, true
	case "tcp":
		return s.port, s.protos&svcTCP != 0
	case "udp":
		return s.port, s.protos&svcUDP != 0
	case "sctp":
		return s.port, s.protos&svcSCTP != 0
	}
	return 0, false
}

func portErr(s, proto string) error {
	if _, known := services[s]; known && proto != "" {
		return fmt.Errorf("invalid port/service %q specified (/etc/services lists %q, but not for %s)", s, s, proto)
	}
	if _, known := services[strings.ToLower(s)]; known {
		return fmt.Errorf("invalid port/service %q specified (service names are case-sensitive: %q)", s, strings.ToLower(s))
	}
	return fmt.Errorf("invalid port/service %q specified", s)
}

// parsePort is xtables_parse_port(s, proto).
func parsePort(s, proto string) (uint16, error) {
	if n, ok := xtUint(s, 0, 65535); ok {
		return uint16(n), nil
	}
	if n, ok := serviceFor(s, proto); ok {
		return n, nil
	}
	return 0, portErr(s, proto)
}

// portByName is xtables_getportbyname: getaddrinfo(NULL, s), whose
// numeric service is a decimal strtoul truncated to 16 bits.
func portByName(s string) (uint16, error) {
	if n, ok := cStrtoul10(s); ok {
		return n, nil
	}
	if n, ok := serviceFor(s, ""); ok {
		return n, nil
	}
	return 0, fmt.Errorf("port %q does not resolve to anything", s)
}

// parsePortRange reads "P", "P:Q", ":Q" or "P:" for the protocol match
// of proto: tcp and sctp split at the first ':' and read each end with
// xtables_parse_port; udp and dccp (XTTYPE_PORTRC) take at most two
// ':'-separated parts through getaddrinfo. Only the first kind refuses a
// reversed range.
func parsePortRange(s, proto string) (ir.PortRange, error) {
	r := ir.PortRange{Lo: 0, Hi: 65535}
	if proto == "udp" || proto == "dccp" || proto == "" {
		parts := strings.Split(s, ":")
		if len(parts) > 2 {
			return r, fmt.Errorf("too many components in port range %q (at most 2)", s)
		}
		for i, p := range parts {
			if p == "" {
				continue
			}
			n, err := portByName(p)
			if err != nil {
				return r, err
			}
			if i == 0 {
				r.Lo = n
			} else {
				r.Hi = n
			}
		}
		if len(parts) == 1 {
			r.Hi = r.Lo
		}
		// A reversed range is kept as given: iptables 1.8.9 loads it,
		// and it matches nothing.
		return r, nil
	}
	lo, hi, isRange := strings.Cut(s, ":")
	if !isRange {
		p, err := parsePort(s, proto)
		return ir.PortRange{Lo: p, Hi: p}, err
	}
	var err error
	if lo != "" {
		if r.Lo, err = parsePort(lo, proto); err != nil {
			return r, err
		}
	}
	if hi != "" {
		if r.Hi, err = parsePort(hi, proto); err != nil {
			return r, err
		}
	}
	if r.Lo > r.Hi {
		return r, fmt.Errorf("invalid portrange %q (min > max)", s)
	}
	return r, nil
}

// natPort reads one port of a NAT range: a base-0 number, or a service
// of any protocol when it stands alone.
func natPort(s string, nameOK bool) (uint16, string, error) {
	if n, rest, ok := xtPrefix(s, 0, 65535); ok {
		return uint16(n), rest, nil
	}
	if nameOK {
		if n, ok := serviceFor(s, ""); ok {
			return n, "", nil
		}
	}
	return 0, "", fmt.Errorf("port %q not valid", s)
}
