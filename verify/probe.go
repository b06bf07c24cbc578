// Package verify proves two rulesets equivalent on real packets, the last
// stage of the flow: after translate has produced a ruleset for a new
// backend, verify loads the old and the new one into two identical
// throwaway network namespace topologies, sends the same packets through
// both and reports every packet whose fate differs.
//
// The package has two halves. The pure half (probe.go, generate.go,
// edges.go, packet.go, report.go) turns rulesets into probes, probes into
// bytes and captured bytes back into verdicts; it is unit-tested without
// root. The kernel half (topo.go, netns.go, runner.go, nflog.go,
// explain.go) builds the namespaces, loads the rules, sends and captures.
package verify

import (
	"fmt"
	"net/netip"
	"strings"

	"github.com/ruleshift/ruleshift/translate/ir"
)

// Path is where a probe meets the firewall host F.
type Path uint8

const (
	Input   Path = iota + 1 // from a peer to F itself
	Output                  // from F to a peer
	Forward                 // from a peer through F to another peer
)

func (p Path) String() string {
	switch p {
	case Input:
		return "input"
	case Output:
		return "output"
	case Forward:
		return "forward"
	}
	return "?"
}

// reverse is the path a reply to a packet on p takes.
func (p Path) reverse() Path {
	switch p {
	case Input:
		return Output
	case Output:
		return Input
	}
	return p
}

// Protocol numbers the generator and the packet builder know by name.
const (
	protoICMP   = 1
	protoTCP    = 6
	protoUDP    = 17
	protoGRE    = 47
	protoICMPv6 = 58
	protoSCTP   = 132
)

// TCP flag bits, as in the TCP header and in ir.TCPFlags.
const (
	flagFIN = 1 << iota
	flagSYN
	flagRST
	flagPSH
	flagACK
	flagURG
)

// Probe is one packet to send through both rulesets.
type Probe struct {
	ID     int
	Path   Path
	Family ir.Family
	Proto  uint8
	Src    netip.Addr
	Dst    netip.Addr
	// Sport and Dport are used by TCP, UDP and SCTP.
	Sport, Dport uint16
	// Flags, Seq and Ack are TCP's; Seq and Ack default from ID.
	Flags    uint8
	Seq, Ack uint32
	// Type and Code are ICMP's; EchoID and EchoSeq are echo's identifier
	// and sequence (a reply carries its request's).
	Type, Code      uint8
	EchoID, EchoSeq uint16
	// In is the interface of F the packet arrives on (Input, Forward);
	// Out the one it leaves by (Output, Forward).
	In, Out string
	// Orig is the probe this one replies to, for replies of flows.
	Orig *Probe
	// alt, for a reply, is what the new side is sent instead, when NAT
	// picked a different free port there than on the old side: each
	// reply must meet its own side's conntrack entry.
	alt *Probe
	// Why says where the probe came from: a rule's position, or "random".
	Why string

	// autoSport: the source port is free, and is made unique per probe so
	// that concurrent flows never share a conntrack entry.
	autoSport bool
	// reverse: while generating, the probe stands for a reply (a rule
	// asked for ESTABLISHED); finishReverse turns it into its original.
	reverse bool
}

// IsReply reports whether the probe is the reply of an established flow.
func (p *Probe) IsReply() bool { return p.Orig != nil }

// key identifies a probe for de-duplication: everything but ID and Why.
func (p *Probe) key() string {
	return fmt.Sprintf("%d %d %d %s %s %d %d %d %d %d %s %s", p.Path, p.Family, p.Proto, p.Src, p.Dst, p.Sport, p.Dport, p.Flags, p.Type, p.Code, p.In, p.Out)
}

// hasPorts reports whether the protocol carries ports.
func hasPorts(proto uint8) bool {
	return proto == protoTCP || proto == protoUDP || proto == protoSCTP
}

func isICMP(proto uint8) bool { return proto == protoICMP || proto == protoICMPv6 }

// isEcho reports whether an ICMP type is an echo request.
func isEchoRequest(fam ir.Family, t uint8) bool {
	return fam == ir.IPv4 && t == 8 || fam == ir.IPv6 && t == 128
}

// ProtoName is the name iptables uses for a protocol number.
func ProtoName(n uint8) string {
	switch n {
	case protoICMP:
		return "icmp"
	case protoTCP:
		return "tcp"
	case protoUDP:
		return "udp"
	case protoICMPv6:
		return "icmpv6"
	case protoSCTP:
		return "sctp"
	case protoGRE:
		return "gre"
	}
	return fmt.Sprintf("proto-%d", n)
}

// FlagNames writes TCP flags the way tcpdump does: S, A, F, R, P, U.
func FlagNames(f uint8) string {
	var b strings.Builder
	for _, x := range []struct {
		bit uint8
		c   byte
	}{{flagSYN, 'S'}, {flagACK, 'A'}, {flagFIN, 'F'}, {flagRST, 'R'}, {flagPSH, 'P'}, {flagURG, 'U'}} {
		if f&x.bit != 0 {
			b.WriteByte(x.c)
		}
	}
	if b.Len() == 0 {
		return "none"
	}
	return b.String()
}

func hostPort(a netip.Addr, port uint16, withPort bool) string {
	if !withPort {
		return a.String()
	}
	return netip.AddrPortFrom(a, port).String()
}

// String describes the probe in one line, as the report prints it.
func (p *Probe) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s %s > %s", p.Path, ProtoName(p.Proto), hostPort(p.Src, p.Sport, hasPorts(p.Proto)), hostPort(p.Dst, p.Dport, hasPorts(p.Proto)))
	switch {
	case p.Proto == protoTCP:
		fmt.Fprintf(&b, " [%s]", FlagNames(p.Flags))
	case isICMP(p.Proto):
		fmt.Fprintf(&b, " type %d code %d", p.Type, p.Code)
	}
	if p.In != "" {
		fmt.Fprintf(&b, " in %s", p.In)
	}
	if p.Out != "" {
		fmt.Fprintf(&b, " out %s", p.Out)
	}
	return b.String()
}
