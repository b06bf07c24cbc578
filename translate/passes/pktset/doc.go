// Package pktset is the symbolic packet-set engine behind ruleshift lint
// (and, later, the optimiser): it answers, per chain, which packets a rule
// matches, whether earlier rules (one or several together) leave a later
// rule no packet, whether two rules overlap, and whether two rules
// commute.
//
// A rule's matches are a conjunction of conditions on one field each
// (protocol, addresses, ports, ICMP type/code, TCP flags, conntrack state,
// interfaces, mark, socket uid, fragment), and each condition is a range,
// a prefix or a short list of them, negated or not. So a rule is a box:
// one interval set per field (only multiport's "either port" needs a union
// of two boxes). Boxes were chosen over a BDD because:
//   - prefixes, port ranges and "+" interface prefixes are intervals
//     natively (interface names are 16-byte numbers), so a 128-bit
//     address costs one interval, not 128 BDD levels with an ordering
//     problem between fields;
//   - the common questions are cheap: two rules overlap unless one field
//     is disjoint, found at the first such field without building
//     anything, which keeps the quadratic pairwise scan of a 5,000-rule
//     chain fast;
//   - an answer names the rules behind it, which a lint finding must
//     print, and boxes keep them.
//
// Coverage of a box by a union of boxes (the case pairwise tools miss) is
// decided by subtraction: what is left of the later rule after removing
// each earlier rule is a list of disjoint boxes; empty means covered. The
// list is bounded (budget); past it the answer is "not proven".
//
// Conditions the engine does not model precisely (limit, recent,
// hashlimit, statistic, string, ipset contents, unknown matches) are
// opaque terms: a rule holding one never helps cover another and overlaps
// only "maybe", so no answer assumes such a match holds or fails.
//
// The family is not a field: a chain's packets are those of its table's
// family (ip or ip6 tables, which is what iptables input gives), and the
// space's address fields are 32 or 128 bits wide accordingly. In an inet
// table, conditions that imply a family are opaque.
//
// Values of fields that a packet does not have (ports of an ICMP packet)
// are free: a real packet is then many points of the space, all treated
// alike by every rule, since a rule testing a port also tests the
// protocol. That keeps every "covered" and "disjoint" answer sound.
package pktset
