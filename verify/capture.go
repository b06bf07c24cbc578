package verify

import (
	"encoding/binary"
	"fmt"
)

// What one captured packet says about the probes: pure decoding, so that
// the rules for telling an arrival from a reject answer are unit-tested.

type evKind uint8

const (
	evNone   evKind = iota
	evArrive        // a probe itself, as it left F
	evICMP          // an ICMP error quoting probe id (or an ICMP error probe arriving)
	evRST           // a TCP reset; the probe is found by rstKey
)

type event struct {
	kind evKind
	id   int
	// code names an ICMP error ("icmp-port-unreachable").
	code string
	// rstKey is the reset's acknowledgement number when rstAck (the probe
	// had no ACK), else its sequence number.
	rstKey uint32
	rstAck bool
	hdr    Header
}

// decode reads one IP packet captured on a peer or logged by F.
func decode(b []byte) event {
	h, l4, ok := ipHeader(b)
	if !ok {
		return event{}
	}
	v6 := h.Src.Is6()
	if isICMP(h.Proto) && len(l4) >= 8 {
		t, c := l4[0], l4[1]
		if !v6 && (t == 3 || t == 11 || t == 12) || v6 && t >= 1 && t <= 4 {
			id := innerID(l4[8:])
			if id == 0 {
				return event{}
			}
			return event{kind: evICMP, id: id, code: rejectName(v6, t, c), hdr: h}
		}
	}
	if h.Proto == protoTCP && len(l4) >= 20 {
		seq, ack, flags := binary.BigEndian.Uint32(l4[4:]), binary.BigEndian.Uint32(l4[8:]), l4[13]
		if id := seqID(seq); id != 0 {
			return event{kind: evArrive, id: id, hdr: h}
		}
		if flags&flagRST != 0 {
			if flags&flagACK != 0 {
				return event{kind: evRST, rstKey: ack, rstAck: true, hdr: h}
			}
			return event{kind: evRST, rstKey: seq, hdr: h}
		}
		return event{}
	}
	if id := l4ID(h.Proto, l4); id != 0 {
		return event{kind: evArrive, id: id, hdr: h}
	}
	return event{}
}

// innerID finds the probe an ICMP error quotes.
func innerID(b []byte) int {
	h, l4, ok := ipHeader(b)
	if !ok {
		return 0
	}
	if h.Proto == protoTCP {
		if len(l4) < 8 {
			return 0
		}
		return seqID(binary.BigEndian.Uint32(l4[4:]))
	}
	return l4ID(h.Proto, l4)
}

// l4ID reads the ID of a probe that is not TCP: SCTP's initiate tag, or
// the magic trailer every other probe ends with.
func l4ID(proto uint8, l4 []byte) int {
	if proto == protoSCTP {
		if len(l4) < 20 || l4[12] != 1 {
			return 0
		}
		tag := binary.BigEndian.Uint32(l4[16:])
		if tag&0xff000000 != sctpTagBase {
			return 0
		}
		return int(tag & 0xffffff)
	}
	if len(l4) < 8 {
		return 0
	}
	t := l4[len(l4)-8:]
	if string(t[:4]) != magic {
		return 0
	}
	return int(binary.BigEndian.Uint32(t[4:]))
}

// seqID reads a probe ID from a TCP sequence number.
func seqID(seq uint32) int {
	if seq < seqBase || (seq-seqBase)%16 != 0 {
		return 0
	}
	id := int((seq - seqBase) / 16)
	if id == 0 || id > 1<<20 {
		return 0
	}
	return id
}

// rejectName is the iptables --reject-with name of an ICMP error.
func rejectName(v6 bool, t, c uint8) string {
	if v6 {
		if t == 1 {
			switch c {
			case 0:
				return "icmp6-no-route"
			case 1:
				return "icmp6-adm-prohibited"
			case 3:
				return "icmp6-addr-unreachable"
			case 4:
				return "icmp6-port-unreachable"
			}
		}
		return fmt.Sprintf("icmpv6 type %d code %d", t, c)
	}
	if t == 3 {
		switch c {
		case 0:
			return "icmp-net-unreachable"
		case 1:
			return "icmp-host-unreachable"
		case 2:
			return "icmp-proto-unreachable"
		case 3:
			return "icmp-port-unreachable"
		case 9:
			return "icmp-net-prohibited"
		case 10:
			return "icmp-host-prohibited"
		case 13:
			return "icmp-admin-prohibited"
		}
	}
	return fmt.Sprintf("icmp type %d code %d", t, c)
}
