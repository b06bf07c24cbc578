package policy

import (
	"fmt"

	"github.com/ruleshift/ruleshift/translate/ir"
)

// icmpName is one of iptables' names of an ICMP type (code -1: every
// code), which the policy reader takes as iptables does.
type icmpName struct {
	name string
	typ  uint8
	code int
}

// icmpNames and icmp6Names are the names written for a type, one per
// type and code: iptables' first spelling of each (the reader's test
// checks each one reads back to its type and code).
var icmpNames = []icmpName{
	{"echo-reply", 0, -1}, {"destination-unreachable", 3, -1},
	{"network-unreachable", 3, 0}, {"host-unreachable", 3, 1}, {"protocol-unreachable", 3, 2},
	{"port-unreachable", 3, 3}, {"fragmentation-needed", 3, 4}, {"source-route-failed", 3, 5},
	{"network-unknown", 3, 6}, {"host-unknown", 3, 7}, {"network-prohibited", 3, 9},
	{"host-prohibited", 3, 10}, {"communication-prohibited", 3, 13},
	{"source-quench", 4, -1}, {"redirect", 5, -1}, {"network-redirect", 5, 0}, {"host-redirect", 5, 1},
	{"echo-request", 8, -1}, {"router-advertisement", 9, -1}, {"router-solicitation", 10, -1},
	{"time-exceeded", 11, -1}, {"ttl-zero-during-transit", 11, 0}, {"ttl-zero-during-reassembly", 11, 1},
	{"parameter-problem", 12, -1}, {"ip-header-bad", 12, 0}, {"required-option-missing", 12, 1},
	{"timestamp-request", 13, -1}, {"timestamp-reply", 14, -1},
	{"address-mask-request", 17, -1}, {"address-mask-reply", 18, -1},
}

var icmp6Names = []icmpName{
	{"destination-unreachable", 1, -1}, {"no-route", 1, 0}, {"communication-prohibited", 1, 1},
	{"beyond-scope", 1, 2}, {"address-unreachable", 1, 3}, {"port-unreachable", 1, 4},
	{"failed-policy", 1, 5}, {"reject-route", 1, 6},
	{"packet-too-big", 2, -1}, {"time-exceeded", 3, -1},
	{"ttl-zero-during-transit", 3, 0}, {"ttl-zero-during-reassembly", 3, 1},
	{"parameter-problem", 4, -1}, {"bad-header", 4, 0}, {"unknown-header-type", 4, 1}, {"unknown-option", 4, 2},
	{"echo-request", 128, -1}, {"echo-reply", 129, -1},
	{"mld-listener-query", 130, -1}, {"mld-listener-report", 131, -1}, {"mld-listener-done", 132, -1},
	{"router-solicitation", 133, -1}, {"router-advertisement", 134, -1},
	{"neighbour-solicitation", 135, -1}, {"neighbour-advertisement", 136, -1}, {"redirect", 137, -1},
}

// icmpText is the icmp value of a type test: its name, else TYPE,
// TYPE/CODE or TYPE/LO:HI.
func icmpText(m *ir.ICMP, v6 bool) string {
	if m.Any {
		return "any"
	}
	names := icmpNames
	if v6 {
		names = icmp6Names
	}
	for _, n := range names {
		if n.typ == m.Type && (n.code == -1 && m.AnyCode() || n.code >= 0 && m.CodeMin == uint8(n.code) && m.CodeMax == uint8(n.code)) {
			return n.name
		}
	}
	switch {
	case m.AnyCode():
		return fmt.Sprint(m.Type)
	case m.CodeMin == m.CodeMax:
		return fmt.Sprintf("%d/%d", m.Type, m.CodeMin)
	}
	return fmt.Sprintf("%d/%d:%d", m.Type, m.CodeMin, m.CodeMax)
}
