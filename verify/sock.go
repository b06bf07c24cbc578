package verify

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"syscall"
	"time"

	"github.com/ruleshift/ruleshift/translate/ir"
)

// Sockets, all opened inside a namespace with inNetns and used from the
// verify process: an AF_PACKET socket in P that injects frames on the
// peer end of any interface and captures everything F emits; raw IP
// sockets in F, bound to one interface each, whose packets traverse F's
// OUTPUT hook like any local traffic; and an NFLOG socket in F that
// receives what passed the INPUT hook (see observer in load.go).

const (
	ethPAll              = 0x0003
	packetIgnoreOutgoing = 23 // PACKET_IGNORE_OUTGOING, Linux 4.20
	sockBuf              = 16 << 20
	netlinkNetfilter     = 12
)

func htons(v uint16) uint16 { return v<<8 | v>>8 }

// recvTimeout makes blocking reads return every d so readers can stop.
func recvTimeout(fd int, d time.Duration) error {
	tv := syscall.NsecToTimeval(d.Nanoseconds())
	return syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv)
}

// openPacket opens P's injecting and capturing socket.
func openPacket(ns string) (int, error) {
	fd := -1
	err := inNetns(ns, func() error {
		var err error
		fd, err = syscall.Socket(syscall.AF_PACKET, syscall.SOCK_RAW|syscall.SOCK_CLOEXEC, int(htons(ethPAll)))
		if err != nil {
			return fmt.Errorf("AF_PACKET socket: %v", err)
		}
		// Our own injected frames are not captures.
		if err := syscall.SetsockoptInt(fd, syscall.SOL_PACKET, packetIgnoreOutgoing, 1); err != nil {
			return fmt.Errorf("PACKET_IGNORE_OUTGOING: %v", err)
		}
		syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_RCVBUFFORCE, sockBuf)
		syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_SNDBUFFORCE, sockBuf)
		return recvTimeout(fd, 20*time.Millisecond)
	})
	if err != nil && fd >= 0 {
		syscall.Close(fd)
	}
	return fd, err
}

// openRaw opens a raw IP socket in F bound to one interface; the packets
// it sends carry their own IP header.
func openRaw(ns string, fam ir.Family, iface string) (int, error) {
	fd := -1
	err := inNetns(ns, func() error {
		af := syscall.AF_INET
		if fam == ir.IPv6 {
			af = syscall.AF_INET6
		}
		var err error
		fd, err = syscall.Socket(af, syscall.SOCK_RAW|syscall.SOCK_CLOEXEC, syscall.IPPROTO_RAW)
		if err != nil {
			return fmt.Errorf("raw socket: %v", err)
		}
		if err := syscall.BindToDevice(fd, iface); err != nil {
			return fmt.Errorf("bind raw socket to %s: %v", iface, err)
		}
		syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_SNDBUFFORCE, sockBuf)
		return nil
	})
	if err != nil && fd >= 0 {
		syscall.Close(fd)
	}
	return fd, err
}

// sendRaw sends an IP packet on a raw socket. EPERM is what the kernel
// returns when OUTPUT dropped it: a verdict, not an error.
func sendRaw(fd int, dst netip.Addr, pkt []byte) error {
	var sa syscall.Sockaddr
	if dst.Is6() {
		sa = &syscall.SockaddrInet6{Addr: dst.As16()}
	} else {
		sa = &syscall.SockaddrInet4{Addr: dst.As4()}
	}
	err := syscall.Sendto(fd, pkt, 0, sa)
	if errors.Is(err, syscall.EPERM) {
		return nil
	}
	return err
}

// sendFrame injects an Ethernet frame on the interface with index ifindex.
func sendFrame(fd, ifindex int, v6 bool, f []byte) error {
	proto := uint16(0x0800)
	if v6 {
		proto = 0x86dd
	}
	sa := &syscall.SockaddrLinklayer{Protocol: htons(proto), Ifindex: ifindex, Halen: 6}
	copy(sa.Addr[:], f[:6])
	return syscall.Sendto(fd, f, 0, sa)
}

// Netlink constants of nfnetlink_log (linux/netfilter/nfnetlink_log.h).
const (
	nfnlSubsysULOG   = 4
	nfulnlMsgPacket  = 0
	nfulnlMsgConfig  = 1
	nfulaPayload     = 9
	nfulaCfgCmd      = 1
	nfulaCfgMode     = 2
	nfulaCfgQthresh  = 5
	nfulnlCfgCmdBind = 1
	nfulnlCopyPacket = 2
	nlmFRequest      = 1
	nlmFAck          = 4
)

// openNflog binds an NFLOG netlink socket in ns to groups, copying each
// packet whole and delivering it at once. The groups share the socket, so
// their messages arrive in the order the kernel logged them: a barrier
// logged to one group follows every earlier message of the others.
func openNflog(ns string, groups ...uint16) (int, error) {
	fd := -1
	err := inNetns(ns, func() error {
		var err error
		fd, err = syscall.Socket(syscall.AF_NETLINK, syscall.SOCK_RAW|syscall.SOCK_CLOEXEC, netlinkNetfilter)
		if err != nil {
			return fmt.Errorf("netlink socket: %v", err)
		}
		if err := syscall.Bind(fd, &syscall.SockaddrNetlink{Family: syscall.AF_NETLINK}); err != nil {
			return fmt.Errorf("netlink bind: %v", err)
		}
		syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_RCVBUFFORCE, sockBuf)
		mode := binary.BigEndian.AppendUint32(nil, 512)
		mode = append(mode, nfulnlCopyPacket, 0)
		seq := uint32(0)
		for _, group := range groups {
			for _, attrs := range [][]nlAttr{
				{{nfulaCfgCmd, []byte{nfulnlCfgCmdBind}}},
				{{nfulaCfgMode, mode}, {nfulaCfgQthresh, binary.BigEndian.AppendUint32(nil, 1)}},
			} {
				seq++
				if err := nlRequest(fd, seq, group, attrs); err != nil {
					return fmt.Errorf("nflog group %d: %v", group, err)
				}
			}
		}
		return recvTimeout(fd, 20*time.Millisecond)
	})
	if err != nil && fd >= 0 {
		syscall.Close(fd)
	}
	return fd, err
}

type nlAttr struct {
	typ  uint16
	data []byte
}

// nlRequest sends one NFULNL_MSG_CONFIG message and waits for its ack.
func nlRequest(fd int, seq uint32, group uint16, attrs []nlAttr) error {
	b := make([]byte, 16, 64)
	b = append(b, syscall.AF_UNSPEC, 0, byte(group>>8), byte(group))
	for _, a := range attrs {
		n := 4 + len(a.data)
		b = binary.NativeEndian.AppendUint16(b, uint16(n))
		b = binary.NativeEndian.AppendUint16(b, a.typ)
		b = append(b, a.data...)
		for len(b)%4 != 0 {
			b = append(b, 0)
		}
	}
	binary.NativeEndian.PutUint32(b[0:], uint32(len(b)))
	binary.NativeEndian.PutUint16(b[4:], nfnlSubsysULOG<<8|nfulnlMsgConfig)
	binary.NativeEndian.PutUint16(b[6:], nlmFRequest|nlmFAck)
	binary.NativeEndian.PutUint32(b[8:], seq)
	if err := syscall.Sendto(fd, b, 0, &syscall.SockaddrNetlink{Family: syscall.AF_NETLINK}); err != nil {
		return err
	}
	buf := make([]byte, 4096)
	n, _, err := syscall.Recvfrom(fd, buf, 0)
	if err != nil {
		return err
	}
	msgs, err := syscall.ParseNetlinkMessage(buf[:n])
	if err != nil {
		return err
	}
	for _, m := range msgs {
		if m.Header.Type == syscall.NLMSG_ERROR && len(m.Data) >= 4 {
			if e := int32(binary.NativeEndian.Uint32(m.Data)); e != 0 {
				return syscall.Errno(-e)
			}
		}
	}
	return nil
}

// logged is one packet an NFLOG group received.
type logged struct {
	group   uint16
	payload []byte
}

// nflogPayloads extracts the logged packets from one netlink read, each
// with its group (the nfgenmsg's resource id).
func nflogPayloads(b []byte) []logged {
	msgs, err := syscall.ParseNetlinkMessage(b)
	if err != nil {
		return nil
	}
	var out []logged
	for _, m := range msgs {
		if m.Header.Type != nfnlSubsysULOG<<8|nfulnlMsgPacket || len(m.Data) < 4 {
			continue
		}
		group := binary.BigEndian.Uint16(m.Data[2:])
		a := m.Data[4:]
		for len(a) >= 4 {
			n := int(binary.NativeEndian.Uint16(a))
			typ := binary.NativeEndian.Uint16(a[2:]) & 0x3fff
			if n < 4 || n > len(a) {
				break
			}
			if typ == nfulaPayload {
				out = append(out, logged{group, a[4:n]})
			}
			a = a[min(len(a), (n+3)&^3):]
		}
	}
	return out
}
