package nftables

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"runtime"
	"syscall"

	"golang.org/x/sys/unix"
)

// This file is the netlink transport of the apply path. It talks to
// nf_tables over a raw NETLINK_NETFILTER socket rather than through
// google/nftables' Conn.Flush for two reasons that matter on large rulesets:
// Flush asks for an acknowledgement of every message (100,000 rules mean
// 100,000 acks, which overrun the receive buffer and come back as ENOBUFS
// although the batch committed), and its errors do not say which message the
// kernel refused. Here messages carry no ACK flag, so the kernel only answers
// with errors, each naming the sequence number of the message it refused;
// the batch is processed synchronously inside sendmsg, so once sendmsg
// returns every error is already queued. google/nftables still encodes the
// expressions (expr.Marshal).

const (
	nfnlSubsysNftables = 10
	nlmsgHdrLen        = 16
	nfgenLen           = 4

	nlmFRequest = 0x1
	nlmFAck     = 0x4
	nlmFDump    = 0x300
	nlmFCreate  = 0x400
	nlmFAppend  = 0x800
	nlmFAckTLVs = 0x200 // set by the kernel on an error carrying extack

	msgNewTable   = 0
	msgGetTable   = 1
	msgDelTable   = 2
	msgNewChain   = 3
	msgGetChain   = 4
	msgNewRule    = 6
	msgGetRule    = 7
	msgNewSet     = 9
	msgGetSet     = 10
	msgNewSetElem = 12
	msgGetSetElem = 13
	msgDelSetElem = 14
	msgNewGen     = 15
	msgGetGen     = 16
	msgNewObj     = 18
	msgGetObj     = 19

	nfnlMsgBatchBegin = 0x10
	nfnlMsgBatchEnd   = 0x11
	nfnlBatchGenID    = 1
)

// conn is one netlink socket bound to the network namespace it was opened in.
type conn struct {
	fd  int
	seq uint32
}

// dial opens a socket in the current network namespace, or, when netns is a
// path such as /run/netns/NAME, in that namespace: a socket stays in the
// namespace it was created in, so only the creation needs the switch.
func dial(netns string) (*conn, error) {
	if netns == "" {
		return dialHere()
	}
	type res struct {
		c   *conn
		err error
	}
	ch := make(chan res, 1)
	go func() {
		// The thread is left locked and so discarded when the goroutine
		// ends if switching back fails: no other goroutine may run in the
		// wrong namespace.
		runtime.LockOSThread()
		orig, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			ch <- res{nil, err}
			return
		}
		defer orig.Close()
		target, err := os.Open(netns)
		if err != nil {
			ch <- res{nil, err}
			return
		}
		defer target.Close()
		if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
			ch <- res{nil, fmt.Errorf("enter %s: %w", netns, err)}
			return
		}
		c, err := dialHere()
		if unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET) == nil {
			runtime.UnlockOSThread()
		}
		ch <- res{c, err}
	}()
	r := <-ch
	return r.c, r.err
}

func dialHere() (*conn, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_NETFILTER)
	if err != nil {
		return nil, fmt.Errorf("netlink socket: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("netlink bind: %w", err)
	}
	// Extended acks carry the kernel's reason text; capped acks leave out
	// the echo of the refused message, which can be large.
	unix.SetsockoptInt(fd, unix.SOL_NETLINK, unix.NETLINK_EXT_ACK, 1)
	unix.SetsockoptInt(fd, unix.SOL_NETLINK, unix.NETLINK_CAP_ACK, 1)
	return &conn{fd: fd, seq: 1}, nil
}

func (c *conn) close() { unix.Close(c.fd) }

// kernelError is one NLMSG_ERROR answer.
type kernelError struct {
	Seq   uint32
	Index int // the refused message's position in the batch, -1 if unknown
	Errno syscall.Errno
	Msg   string // extack text, if any
}

func (e *kernelError) Error() string {
	if e.Msg != "" {
		return fmt.Sprintf("%v (%s)", e.Errno, e.Msg)
	}
	return e.Errno.Error()
}

// sendBatch sends the messages of the buffers, framed by batch begin and
// end, in one sendmsg, and returns the errors the kernel reported, lowest sequence
// number first. A nil slice means the whole batch was committed. genID,
// when not zero, makes the kernel refuse the batch with ERESTART if the
// ruleset changed since it was read.
func (c *conn) sendBatch(genID uint32, bufs ...*msgBuf) ([]*kernelError, error) {
	var begin msgBuf
	begin.begin(nfnlMsgBatchBegin, nlmFRequest, 0, nfnlSubsysNftables)
	if genID != 0 {
		begin.u32(nfnlBatchGenID, genID)
	}
	begin.end()
	var endm msgBuf
	endm.begin(nfnlMsgBatchEnd, nlmFRequest, 0, nfnlSubsysNftables)
	endm.end()

	base := c.seq
	begin.setSeq(0, base)
	next, total := base+1, len(begin.b)+len(endm.b)
	iov := [][]byte{begin.b}
	for _, b := range bufs {
		b.setSeqs(next)
		next += uint32(b.count())
		total += len(b.b)
		iov = append(iov, b.b)
	}
	iov = append(iov, endm.b)
	endm.setSeq(0, next)
	c.seq = next + 1
	// The whole batch must fit in the send buffer; SO_SNDBUFFORCE (root
	// only, which applying needs anyway) lifts the wmem_max limit.
	if err := unix.SetsockoptInt(c.fd, unix.SOL_SOCKET, unix.SO_SNDBUFFORCE, total+4096); err != nil {
		unix.SetsockoptInt(c.fd, unix.SOL_SOCKET, unix.SO_SNDBUF, total+4096)
	}
	unix.SetsockoptInt(c.fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, 8<<20)
	if _, err := unix.SendmsgBuffers(c.fd, iov, nil, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}, 0); err != nil {
		return nil, fmt.Errorf("netlink send (%d bytes): %w", total, err)
	}
	errs, err := c.drainErrors(base + 1)
	for _, e := range errs {
		e.Index = int(e.Seq) - int(base+1)
		if e.Index < 0 || e.Index >= int(next-base-1) {
			e.Index = -1
		}
	}
	return errs, err
}

// drainErrors reads whatever the kernel queued after a batch without
// blocking.
func (c *conn) drainErrors(firstSeq uint32) ([]*kernelError, error) {
	var out []*kernelError
	buf := make([]byte, 64<<10)
	for {
		n, _, err := unix.Recvfrom(c.fd, buf, unix.MSG_DONTWAIT)
		if err == unix.EAGAIN || err == unix.EWOULDBLOCK {
			break
		}
		if err == unix.ENOBUFS {
			// Too many errors to queue: the batch failed, and the ones
			// read so far say where.
			if len(out) == 0 {
				out = append(out, &kernelError{Seq: firstSeq, Errno: unix.ENOBUFS})
			}
			continue
		}
		if err != nil {
			return out, fmt.Errorf("netlink receive: %w", err)
		}
		for _, m := range splitMessages(buf[:n]) {
			if m.typ != unix.NLMSG_ERROR {
				continue
			}
			if e := parseError(m); e != nil {
				out = append(out, e)
			}
		}
	}
	sortErrors(out)
	return out, nil
}

func sortErrors(es []*kernelError) {
	for i := 1; i < len(es); i++ {
		for j := i; j > 0 && es[j].Seq < es[j-1].Seq; j-- {
			es[j], es[j-1] = es[j-1], es[j]
		}
	}
}

// rawMsg is one received netlink message.
type rawMsg struct {
	typ   uint16
	flags uint16
	seq   uint32
	data  []byte // after the netlink header
}

func splitMessages(b []byte) []rawMsg {
	var out []rawMsg
	for len(b) >= nlmsgHdrLen {
		l := int(binary.NativeEndian.Uint32(b[0:4]))
		if l < nlmsgHdrLen || l > len(b) {
			break
		}
		out = append(out, rawMsg{
			typ:   binary.NativeEndian.Uint16(b[4:6]),
			flags: binary.NativeEndian.Uint16(b[6:8]),
			seq:   binary.NativeEndian.Uint32(b[8:12]),
			data:  b[nlmsgHdrLen:l],
		})
		b = b[align4(l):]
	}
	return out
}

// parseError decodes an NLMSG_ERROR; nil for a plain acknowledgement.
func parseError(m rawMsg) *kernelError {
	if len(m.data) < 4+nlmsgHdrLen {
		return nil
	}
	code := int32(binary.NativeEndian.Uint32(m.data[0:4]))
	if code == 0 {
		return nil
	}
	orig := m.data[4 : 4+nlmsgHdrLen]
	e := &kernelError{Seq: binary.NativeEndian.Uint32(orig[8:12]), Errno: syscall.Errno(-code)}
	if m.flags&nlmFAckTLVs != 0 {
		// With NETLINK_CAP_ACK the echo is the header alone; the extack
		// attributes follow it.
		rest := m.data[4+nlmsgHdrLen:]
		if m.flags&0x100 == 0 { // NLM_F_CAPPED not set: payload echoed
			ol := int(binary.NativeEndian.Uint32(orig[0:4]))
			if ol-nlmsgHdrLen <= len(rest) {
				rest = rest[align4(ol-nlmsgHdrLen):]
			}
		}
		for _, a := range parseAttrs(rest) {
			if a.typ == unix.NLMSGERR_ATTR_MSG {
				e.Msg = cstring(a.data)
			}
		}
	}
	return e
}

// dump sends a GET request with NLM_F_DUMP and collects the answers.
func (c *conn) dump(msgType uint16, family uint8, attrs func(*msgBuf)) ([]rawMsg, error) {
	var req msgBuf
	req.begin(nfnlSubsysNftables<<8|msgType, nlmFRequest|nlmFDump|nlmFAck, family, 0)
	if attrs != nil {
		attrs(&req)
	}
	req.end()
	c.seq++
	req.setSeq(0, c.seq)
	if err := unix.Sendto(c.fd, req.b, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return nil, fmt.Errorf("netlink send: %w", err)
	}
	var out []rawMsg
	buf := make([]byte, 1<<20)
	for {
		n, _, err := unix.Recvfrom(c.fd, buf, 0)
		if err != nil {
			return nil, fmt.Errorf("netlink receive: %w", err)
		}
		for _, m := range splitMessages(buf[:n]) {
			switch {
			case m.seq != c.seq:
				continue
			case m.typ == unix.NLMSG_DONE:
				return out, nil
			case m.typ == unix.NLMSG_ERROR:
				if e := parseError(m); e != nil {
					return nil, e
				}
				return out, nil
			}
			// buf is reused by the next receive.
			m.data = append([]byte(nil), m.data...)
			out = append(out, m)
		}
	}
}

// genID reads the ruleset generation, for NFNL_BATCH_GENID.
func (c *conn) genID() (uint32, error) {
	var req msgBuf
	req.begin(nfnlSubsysNftables<<8|msgGetGen, nlmFRequest, 0, 0)
	req.end()
	c.seq++
	req.setSeq(0, c.seq)
	if err := unix.Sendto(c.fd, req.b, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return 0, err
	}
	buf := make([]byte, 8192)
	for {
		n, _, err := unix.Recvfrom(c.fd, buf, 0)
		if err != nil {
			return 0, err
		}
		for _, m := range splitMessages(buf[:n]) {
			if m.seq != c.seq {
				continue
			}
			if m.typ == unix.NLMSG_ERROR {
				if e := parseError(m); e != nil {
					return 0, e
				}
				continue
			}
			for _, a := range parseAttrs(m.data[nfgenLen:]) {
				if a.typ == 1 && len(a.data) == 4 {
					return binary.BigEndian.Uint32(a.data), nil
				}
			}
			return 0, errors.New("no generation id in answer")
		}
	}
}
