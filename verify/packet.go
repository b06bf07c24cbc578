package verify

import (
	"encoding/binary"
	"hash/crc32"
	"net/netip"

	"github.com/ruleshift/ruleshift/translate/ir"
)

// How a captured packet is tied back to its probe, whatever NAT did to its
// addresses and ports: TCP probes carry seqBase+16*ID as sequence number
// (and ackBase+16*ID as acknowledgement), SCTP probes sctpTagBase|ID as
// initiate tag, every other probe ends with the 4-byte magic and its ID.
// Reject answers quote the probe (ICMP errors) or echo its sequence
// numbers (TCP resets), so they lead back to it the same way.
const (
	seqBase     = 0x10000000
	ackBase     = 0x50000000
	sctpTagBase = 0x52000000
	magic       = "RSV1"
)

// packet builds the probe's IP packet, DSCP set to dscp (a routing class).
func (p *Probe) packet(dscp uint8) []byte {
	l4 := p.l4()
	var b []byte
	if p.Family == ir.IPv6 {
		b = make([]byte, 40, 40+len(l4))
		binary.BigEndian.PutUint32(b[0:], 6<<28|uint32(dscp)<<22|uint32(p.ID)&0xfffff)
		binary.BigEndian.PutUint16(b[4:], uint16(len(l4)))
		b[6], b[7] = p.Proto, 64
		s, d := p.Src.As16(), p.Dst.As16()
		copy(b[8:], s[:])
		copy(b[24:], d[:])
	} else {
		b = make([]byte, 20, 20+len(l4))
		b[0], b[1] = 0x45, dscp<<2
		binary.BigEndian.PutUint16(b[2:], uint16(20+len(l4)))
		binary.BigEndian.PutUint16(b[4:], uint16(p.ID))
		b[8], b[9] = 64, p.Proto
		s, d := p.Src.As4(), p.Dst.As4()
		copy(b[12:], s[:])
		copy(b[16:], d[:])
		binary.BigEndian.PutUint16(b[10:], ^sum(0, b))
	}
	b = append(b, l4...)
	if off := checksumOffset(p.Proto); off >= 0 {
		binary.BigEndian.PutUint16(b[len(b)-len(l4)+off:], ^sum(pseudo(p, len(l4)), l4))
	}
	if p.Proto == protoICMP {
		binary.BigEndian.PutUint16(b[len(b)-len(l4)+2:], ^sum(0, l4))
	}
	return b
}

// checksumOffset is where the checksum over the pseudo-header goes, or -1.
func checksumOffset(proto uint8) int {
	switch proto {
	case protoTCP:
		return 16
	case protoUDP:
		return 6
	case protoICMPv6:
		return 2
	}
	return -1
}

func (p *Probe) l4() []byte {
	tail := binary.BigEndian.AppendUint32([]byte(magic), uint32(p.ID))
	switch p.Proto {
	case protoTCP:
		b := make([]byte, 20)
		binary.BigEndian.PutUint16(b[0:], p.Sport)
		binary.BigEndian.PutUint16(b[2:], p.Dport)
		binary.BigEndian.PutUint32(b[4:], p.Seq)
		binary.BigEndian.PutUint32(b[8:], p.Ack)
		b[12], b[13] = 5<<4, p.Flags
		binary.BigEndian.PutUint16(b[14:], 64240)
		return b
	case protoUDP:
		b := make([]byte, 8, 16)
		binary.BigEndian.PutUint16(b[0:], p.Sport)
		binary.BigEndian.PutUint16(b[2:], p.Dport)
		binary.BigEndian.PutUint16(b[4:], 16)
		return append(b, tail...)
	case protoSCTP:
		return p.sctp()
	case protoICMP, protoICMPv6:
		b := []byte{p.Type, p.Code, 0, 0, 0, 0, 0, 0}
		if p.isEchoKind() {
			binary.BigEndian.PutUint16(b[4:], p.EchoID)
			binary.BigEndian.PutUint16(b[6:], p.EchoSeq)
		} else if p.isICMPError() {
			b = append(b, p.quoted()...)
		}
		return append(b, tail...)
	case protoGRE:
		return append([]byte{0, 0, 0x08, 0}, tail...)
	}
	return tail
}

func (p *Probe) isEchoKind() bool {
	if p.Family == ir.IPv6 {
		return p.Type == 128 || p.Type == 129
	}
	return p.Type == 8 || p.Type == 0
}

// isICMPError reports whether the ICMP type carries a quoted packet.
func (p *Probe) isICMPError() bool {
	if p.Family == ir.IPv6 {
		return p.Type >= 1 && p.Type <= 4
	}
	switch p.Type {
	case 3, 4, 5, 11, 12:
		return true
	}
	return false
}

// quoted is the packet an ICMP error probe reports on: a UDP datagram
// from the probe's destination to its source.
func (p *Probe) quoted() []byte {
	q := Probe{ID: p.ID, Family: p.Family, Proto: protoUDP, Src: p.Dst, Dst: p.Src, Sport: 53, Dport: 40000}
	b := q.packet(0)
	return b[:len(b)-8] // header and UDP header, as an ICMP error quotes them
}

// sctp is an INIT chunk, the only SCTP packet that may start an
// association; conntrack checks the CRC32c.
func (p *Probe) sctp() []byte {
	b := make([]byte, 32)
	binary.BigEndian.PutUint16(b[0:], p.Sport)
	binary.BigEndian.PutUint16(b[2:], p.Dport)
	b[12], b[14], b[15] = 1, 0, 20 // INIT, length 20
	binary.BigEndian.PutUint32(b[16:], sctpTagBase|uint32(p.ID))
	binary.BigEndian.PutUint32(b[20:], 65535)
	binary.BigEndian.PutUint16(b[24:], 1)
	binary.BigEndian.PutUint16(b[26:], 1)
	binary.BigEndian.PutUint32(b[28:], uint32(p.ID))
	binary.LittleEndian.PutUint32(b[8:], crc32.Checksum(b, crc32.MakeTable(crc32.Castagnoli)))
	return b
}

// pseudo is the sum of the pseudo-header of TCP, UDP and ICMPv6.
func pseudo(p *Probe, l4len int) uint32 {
	var b []byte
	if p.Family == ir.IPv6 {
		s, d := p.Src.As16(), p.Dst.As16()
		b = append(append(b, s[:]...), d[:]...)
		b = binary.BigEndian.AppendUint32(b, uint32(l4len))
		b = append(b, 0, 0, 0, p.Proto)
	} else {
		s, d := p.Src.As4(), p.Dst.As4()
		b = append(append(b, s[:]...), d[:]...)
		b = append(b, 0, p.Proto)
		b = binary.BigEndian.AppendUint16(b, uint16(l4len))
	}
	return uint32(sum(0, b))
}

// sum is the Internet checksum (RFC 1071) of b added to initial.
func sum(initial uint32, b []byte) uint16 {
	s := initial
	for i := 0; i+1 < len(b); i += 2 {
		s += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		s += uint32(b[len(b)-1]) << 8
	}
	for s > 0xffff {
		s = s>>16 + s&0xffff
	}
	return uint16(s)
}

// frame wraps an IP packet in Ethernet.
func frame(dst, src [6]byte, family ir.Family, pkt []byte) []byte {
	b := make([]byte, 14, 14+len(pkt))
	copy(b[0:], dst[:])
	copy(b[6:], src[:])
	if family == ir.IPv6 {
		b[12], b[13] = 0x86, 0xdd
	} else {
		b[12], b[13] = 0x08, 0x00
	}
	return append(b, pkt...)
}

// Header is the part of a packet a verdict compares: addresses and ports
// as the packet left F (after any NAT).
type Header struct {
	Src, Dst     netip.Addr
	Sport, Dport uint16
	Proto        uint8
}

func (h Header) String() string {
	p := hasPorts(h.Proto)
	return ProtoName(h.Proto) + " " + hostPort(h.Src, h.Sport, p) + " > " + hostPort(h.Dst, h.Dport, p)
}

// ipHeader parses an IPv4 or IPv6 header: the header, the layer 4 bytes
// and whether it parsed.
func ipHeader(b []byte) (Header, []byte, bool) {
	var h Header
	if len(b) < 20 {
		return h, nil, false
	}
	switch b[0] >> 4 {
	case 4:
		ihl := int(b[0]&0xf) * 4
		tot := int(binary.BigEndian.Uint16(b[2:]))
		if ihl < 20 || len(b) < ihl || tot < ihl {
			return h, nil, false
		}
		h.Proto = b[9]
		h.Src = netip.AddrFrom4([4]byte(b[12:16]))
		h.Dst = netip.AddrFrom4([4]byte(b[16:20]))
		b = b[:min(len(b), tot)]
		return h.withPorts(b[ihl:]), b[ihl:], true
	case 6:
		if len(b) < 40 {
			return h, nil, false
		}
		h.Proto = b[6]
		h.Src = netip.AddrFrom16([16]byte(b[8:24]))
		h.Dst = netip.AddrFrom16([16]byte(b[24:40]))
		end := min(len(b), 40+int(binary.BigEndian.Uint16(b[4:])))
		return h.withPorts(b[40:end]), b[40:end], true
	}
	return h, nil, false
}

func (h Header) withPorts(l4 []byte) Header {
	if hasPorts(h.Proto) && len(l4) >= 4 {
		h.Sport = binary.BigEndian.Uint16(l4[0:])
		h.Dport = binary.BigEndian.Uint16(l4[2:])
	}
	return h
}
