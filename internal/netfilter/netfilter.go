// Package netfilter holds the few names of iptables' world that both the
// iptables frontend (translate/iptables, reading) and the iptables backend
// (backends/iptables, writing) need: the chains a table is born with, the
// TCP flag names in bit order and the protocol names iptables-save prints.
// It imports nothing of the project, so that an output can use them
// without importing an input.
package netfilter

import "strings"

// builtinChains lists each table's built-in chains in kernel hook order.
var builtinChains = map[string][]string{
	"filter":   {"INPUT", "FORWARD", "OUTPUT"},
	"nat":      {"PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"},
	"mangle":   {"PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"},
	"raw":      {"PREROUTING", "OUTPUT"},
	"security": {"INPUT", "FORWARD", "OUTPUT"},
}

// BuiltinChains returns the built-in chains of an iptables table, in
// kernel hook order; nil for a table the kernel does not know. The slice
// is shared: do not modify it.
func BuiltinChains(table string) []string { return builtinChains[table] }

// TCPFlagOrder names the TCP flags from bit 0 up, the order iptables-save
// prints them in.
var TCPFlagOrder = []string{"FIN", "SYN", "RST", "PSH", "ACK", "URG"}

// saveProtoNames are the protocol names iptables-save prints; other
// numbers print as numbers. (nft has its own list: see backends/nftables.)
var saveProtoNames = map[uint8]string{
	1: "icmp", 2: "igmp", 6: "tcp", 17: "udp", 33: "dccp", 41: "ipv6", 47: "gre",
	50: "esp", 51: "ah", 58: "ipv6-icmp", 132: "sctp", 135: "mh", 136: "udplite",
}

// ProtoName returns iptables' canonical name for a protocol number, or "".
func ProtoName(n uint8) string { return saveProtoNames[n] }

// Undamaged is a save file as the restore tool takes it, with only the damage
// the iptables frontend's ParseSave reads past (with a warning) and iptables-restore 1.8.9 refuses taken away: CR
// LF line ends, indented lines, lines of blanks, blanks after COMMIT, and a
// missing last line end (which iptables-legacy-restore needs after
// COMMIT). None of these changes what a rule says.
func Undamaged(raw []byte) string {
	var b strings.Builder
	b.Grow(len(raw) + 1)
	text := string(raw)
	for len(text) > 0 {
		line, rest, _ := strings.Cut(text, "\n")
		text = rest
		line = strings.TrimLeft(strings.TrimSuffix(line, "\r"), " \t")
		if strings.TrimRight(line, " \t") == "COMMIT" {
			line = "COMMIT"
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return b.String()
}
