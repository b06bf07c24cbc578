package verify

// probeNeutral lists the match kinds satisfy leaves alone, each with why.
// A probe is a plain packet (addresses, ports, TCP flags, ICMP type,
// interfaces, conntrack state by the flow it belongs to); a rule with one
// of these matches is reached only when the packet happens to meet it, the
// same way on both sides of the comparison. The kind-coverage test
// (internal/archtest) fails for a match kind that is neither shaped in
// satisfy nor listed here, so a new kind is a decision, not an oversight.
var probeNeutral = map[string]string{
	"Fragment": "probes are whole packets; verify sends no fragments",
	"Comment":  "never affects a verdict",
	"NFProto":  "the probe's own family decides; probes of both families meet an inet table",
	"Tuples":   "made by --optimize of rules whose own addresses and ports the probes already sit on",

	"Mark":      "the packet mark is set by rules, not by the probe; probes start unmarked",
	"ConnMark":  "the connection mark is set by rules; probes' flows start unmarked",
	"Helper":    "stateful: probes open no connection a helper claims",
	"ConnLimit": "stateful: counts live connections, which probes cannot steer",
	"ConnBytes": "stateful: counts a connection's traffic so far",
	"ConnLabel": "the label is set by rules; probes' flows start unlabelled",

	"AH":         "probes carry no IPsec header",
	"ESP":        "probes carry no IPsec header",
	"IPComp":     "probes carry no IPComp header",
	"Frag":       "probes carry no IPv6 fragment header",
	"IPv6Opts":   "probes carry no IPv6 hop-by-hop or destination options header",
	"RT":         "probes carry no IPv6 routing header",
	"MH":         "probes carry no mobility header",
	"IPv6Header": "probes carry no IPv6 extension headers",
	"EUI64":      "the source MAC of the test topology is fixed",

	"MAC":          "the source MAC of the test topology is fixed",
	"IPRange":      "not shaped yet: could set Src/Dst like -s/-d",
	"AddrType":     "depends on the routes of the test namespace, not on the probe",
	"PktTypeMatch": "probes are unicast to the host or the peer",
	"Length":       "probe sizes are fixed by their protocol",
	"HopLimit":     "probes are sent with the default TTL/hop limit",
	"TOSMatch":     "probes are sent with TOS 0",
	"DSCPMatch":    "probes are sent with DSCP 0",
	"ECNMatch":     "probes are sent without ECN bits",
	"DevGroup":     "the test topology's devices are all in group 0",
	"CPU":          "depends on the CPU that handles the packet",
	"NFAcct":       "always matches; it only counts",
	"Cgroup":       "depends on the sending process's cgroup, not on the packet",
	"Socket":       "depends on local sockets, which probes do not open",
	"Realm":        "depends on routes with realms, which the topology has none of",
	"Cluster":      "depends on the hash of the source address over the cluster nodes",
	"RPFilter":     "depends on the routes of the test namespace",
	"TCPMSSMatch":  "probes' SYNs carry no MSS option",
	"DCCP":         "verify sends no DCCP",

	"Limit":       "stateful: a rate limit's bucket, which probes cannot steer",
	"Hashlimit":   "stateful: per-flow rate buckets",
	"Recent":      "stateful: address lists filled by earlier packets",
	"Owner":       "depends on the sending process, not on the packet",
	"SetMatch":    "depends on an ipset outside the ruleset",
	"String":      "probes carry no payload to search",
	"U32":         "an arbitrary payload test that probes are not built to meet",
	"Time":        "depends on the clock",
	"Statistic":   "random or every-nth: the same chance on both sides",
	"Quota":       "stateful: a byte counter",
	"IPsecPolicy": "probes are not IPsec-protected",
	"Physdev":     "the test topology has no bridge",
}
