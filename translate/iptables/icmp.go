package iptables

import (
	"fmt"
	"strings"

	"github.com/ruleshift/ruleshift/translate/ir"
)

type icmpName struct {
	name string
	typ  uint8
	code int // -1: any code
}

// icmpNames are iptables' names for ICMP types and type/code pairs.
var icmpNames = []icmpName{
	{"any", 0, -2},
	{"echo-reply", 0, -1}, {"pong", 0, -1},
	{"destination-unreachable", 3, -1},
	{"network-unreachable", 3, 0}, {"host-unreachable", 3, 1}, {"protocol-unreachable", 3, 2},
	{"port-unreachable", 3, 3}, {"fragmentation-needed", 3, 4}, {"source-route-failed", 3, 5},
	{"network-unknown", 3, 6}, {"host-unknown", 3, 7}, {"network-prohibited", 3, 9},
	{"host-prohibited", 3, 10}, {"TOS-network-unreachable", 3, 11}, {"TOS-host-unreachable", 3, 12},
	{"communication-prohibited", 3, 13}, {"host-precedence-violation", 3, 14},
	{"precedence-cutoff", 3, 15},
	{"source-quench", 4, -1},
	{"redirect", 5, -1}, {"network-redirect", 5, 0}, {"host-redirect", 5, 1},
	{"TOS-network-redirect", 5, 2}, {"TOS-host-redirect", 5, 3},
	{"echo-request", 8, -1}, {"ping", 8, -1},
	{"router-advertisement", 9, -1}, {"router-solicitation", 10, -1},
	{"time-exceeded", 11, -1}, {"ttl-exceeded", 11, -1},
	{"ttl-zero-during-transit", 11, 0}, {"ttl-zero-during-reassembly", 11, 1},
	{"parameter-problem", 12, -1}, {"ip-header-bad", 12, 0}, {"required-option-missing", 12, 1},
	{"timestamp-request", 13, -1}, {"timestamp-reply", 14, -1},
	{"address-mask-request", 17, -1}, {"address-mask-reply", 18, -1},
}

// icmp6Names are ip6tables' names for ICMPv6 types and type/code pairs.
var icmp6Names = []icmpName{
	{"destination-unreachable", 1, -1},
	{"no-route", 1, 0}, {"communication-prohibited", 1, 1}, {"beyond-scope", 1, 2},
	{"address-unreachable", 1, 3}, {"port-unreachable", 1, 4}, {"failed-policy", 1, 5},
	{"reject-route", 1, 6},
	{"packet-too-big", 2, -1},
	{"time-exceeded", 3, -1}, {"ttl-exceeded", 3, -1},
	{"ttl-zero-during-transit", 3, 0}, {"ttl-zero-during-reassembly", 3, 1},
	{"parameter-problem", 4, -1}, {"bad-header", 4, 0}, {"unknown-header-type", 4, 1},
	{"unknown-option", 4, 2},
	{"echo-request", 128, -1}, {"ping", 128, -1},
	{"echo-reply", 129, -1}, {"pong", 129, -1},
	{"mld-listener-query", 130, -1}, {"mld-listener-report", 131, -1}, {"mld-listener-done", 132, -1},
	{"mld-listener-reduction", 132, -1},
	{"router-solicitation", 133, -1}, {"router-advertisement", 134, -1},
	{"neighbour-solicitation", 135, -1}, {"neighbor-solicitation", 135, -1},
	{"neighbour-advertisement", 136, -1}, {"neighbor-advertisement", 136, -1},
	{"redirect", 137, -1},
}

// ParseICMPType parses an --icmp-type / --icmpv6-type argument as
// libxt_icmp.h's __parse_icmp does: any case-insensitive prefix of one
// name ("echo-req"; a prefix of two names is ambiguous and refused, even
// of two spellings of one type), else TYPE[/CODE] with base-0 numbers
// ("0x8", "010" is 8) and a code range CODE:CODE.
func ParseICMPType(s string, v6 bool) (ir.ICMP, bool) {
	t, err := parseICMPType(s, v6)
	return t, err == nil
}

func parseICMPType(s string, v6 bool) (ir.ICMP, error) {
	names := icmpNames
	if v6 {
		names = icmp6Names
	}
	match := -1
	for i, n := range names {
		if len(s) <= len(n.name) && strings.EqualFold(n.name[:len(s)], s) {
			if match >= 0 {
				return ir.ICMP{}, fmt.Errorf("ambiguous %s type %q: %q or %q?", icmpWord(v6), s, names[match].name, n.name)
			}
			match = i
		}
	}
	if match >= 0 {
		n := names[match]
		switch n.code {
		case -2:
			return ir.ICMP{Any: true, CodeMax: 255}, nil
		case -1:
			return ir.ICMP{Type: n.typ, CodeMin: 0, CodeMax: 255}, nil
		}
		return ir.ICMP{Type: n.typ, CodeMin: uint8(n.code), CodeMax: uint8(n.code)}, nil
	}
	tlo, thi, rest, ok := icmpRange(s)
	if !ok {
		return ir.ICMP{}, fmt.Errorf("unknown %s type %q", icmpWord(v6), s)
	}
	if tlo != thi {
		return ir.ICMP{}, fmt.Errorf("%s type range not supported", icmpWord(v6))
	}
	t := ir.ICMP{Type: tlo, CodeMax: 255}
	if rest == "" {
		return t, nil
	}
	if rest[0] != '/' {
		return ir.ICMP{}, fmt.Errorf("unknown character %q in %s type %q", rest[0], icmpWord(v6), s)
	}
	clo, chi, rest, ok := icmpRange(rest[1:])
	if !ok {
		return ir.ICMP{}, fmt.Errorf("unknown %s code in %q", icmpWord(v6), s)
	}
	if rest != "" {
		return ir.ICMP{}, fmt.Errorf("unknown character %q in %s type %q", rest[0], icmpWord(v6), s)
	}
	t.CodeMin, t.CodeMax = clo, chi
	return t, nil
}

// icmpRange is parse_range of libxt_icmp.h: N or N:M, base 0, each at
// most 255, and what follows.
func icmpRange(s string) (lo, hi uint8, rest string, ok bool) {
	a, rest, ok := xtPrefix(s, 0, 255)
	if !ok {
		return 0, 0, s, false
	}
	b := a
	if strings.HasPrefix(rest, ":") {
		if b, rest, ok = xtPrefix(rest[1:], 0, 255); !ok {
			return 0, 0, s, false
		}
	}
	return uint8(a), uint8(b), rest, true
}
