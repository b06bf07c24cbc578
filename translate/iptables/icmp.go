package iptables

import (
	"strconv"
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
	{"info-request", 15, -1}, {"info-reply", 16, -1},
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

// ParseICMPType parses an --icmp-type / --icmpv6-type argument: a name,
// "any" (IPv4), a number, or TYPE/CODE.
func ParseICMPType(s string, v6 bool) (ir.ICMP, bool) {
	names := icmpNames
	if v6 {
		names = icmp6Names
	}
	for _, n := range names {
		if strings.EqualFold(n.name, s) {
			switch n.code {
			case -2:
				return ir.ICMP{Any: true, CodeMax: 255}, true
			case -1:
				return ir.ICMP{Type: n.typ, CodeMin: 0, CodeMax: 255}, true
			}
			return ir.ICMP{Type: n.typ, CodeMin: uint8(n.code), CodeMax: uint8(n.code)}, true
		}
	}
	ts, cs, hasCode := strings.Cut(s, "/")
	t, err := strconv.ParseUint(ts, 10, 8)
	if err != nil {
		return ir.ICMP{}, false
	}
	if !hasCode {
		return ir.ICMP{Type: uint8(t), CodeMax: 255}, true
	}
	c, err := strconv.ParseUint(cs, 10, 8)
	if err != nil {
		return ir.ICMP{}, false
	}
	return ir.ICMP{Type: uint8(t), CodeMin: uint8(c), CodeMax: uint8(c)}, true
}
