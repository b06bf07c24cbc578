package verify

import (
	"encoding/binary"
	"runtime"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/ruleshift/ruleshift/translate/ir"
)

// Knowing when every answer to a batch of probes has been seen, without
// guessing with timeouts. All probes of a run are sent from one thread
// pinned to one CPU; a veth hands each frame to that CPU's backlog queue,
// which the kernel works through in order, and every answer F makes (a
// forwarded packet, a reject, an NFLOG message) is produced while the
// frame that caused it is processed. So after a batch the sender injects
// two markers. An ARP request for F: no IP ruleset sees ARP, F always
// answers it (its input routing makes every address local), and once that
// answer reaches P's socket, every earlier capture there has been queued.
// And an IP packet of protocol 253 (RFC 3692, for experiments) that the
// observer logs and drops in a prerouting chain ahead of every other hook,
// so the ruleset never sees it: once it is read from the NFLOG socket,
// every earlier log message has been read. Batches are small
// enough that the backlog (netdev_max_backlog, 1000 by default) never
// overflows, which would drop probes as if a rule had.

// batchSize is how many probes go to each side between barriers.
const batchSize = 96

// barrierProto is the protocol of the NFLOG marker packet.
const barrierProto = 253

var (
	barrierIP  = [4]byte{169, 254, 0, 9}
	nextCPU    atomic.Uint32
	barrierSeq atomic.Uint32
)

// pinned runs fn on a fresh OS thread bound to cpu. The thread stays
// locked so that it dies with the goroutine and its mask with it.
func pinned(cpu int, fn func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		runtime.LockOSThread()
		var mask [16]uint64
		mask[cpu/64] |= 1 << (cpu % 64)
		syscall.RawSyscall(syscall.SYS_SCHED_SETAFFINITY, 0, unsafe.Sizeof(mask), uintptr(unsafe.Pointer(&mask)))
		fn()
	}()
	<-done
}

// pickCPU spreads concurrent runs over the CPUs this process may use.
func pickCPU() int {
	var mask [16]uint64
	_, _, e := syscall.RawSyscall(syscall.SYS_SCHED_GETAFFINITY, 0, unsafe.Sizeof(mask), uintptr(unsafe.Pointer(&mask)))
	var cpus []int
	for i := 0; e == 0 && i < len(mask)*64; i++ {
		if mask[i/64]&(1<<(i%64)) != 0 {
			cpus = append(cpus, i)
		}
	}
	if len(cpus) == 0 {
		return 0
	}
	return cpus[int(nextCPU.Add(1))%len(cpus)]
}

// arpRequest asks F's interface for barrierIP's owner; the sender
// hardware address carries the barrier number, and F's reply is sent to
// it.
func arpRequest(fMAC, pMAC [6]byte, id uint32) []byte {
	sha := [6]byte{0x02, 0x52, 0x53, 0xee, byte(id >> 8), byte(id)}
	b := make([]byte, 0, 42)
	b = append(b, fMAC[:]...)
	b = append(b, pMAC[:]...)
	b = append(b, 0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 1)
	b = append(b, sha[:]...)
	b = append(b, barrierIP[:]...)
	b = append(b, 0, 0, 0, 0, 0, 0)
	return append(b, 169, 254, 0, 2)
}

// arpReplyID returns the barrier number an ARP reply answers, or -1.
func arpReplyID(f []byte) int {
	if len(f) < 42 || f[12] != 0x08 || f[13] != 0x06 || binary.BigEndian.Uint16(f[20:]) != 2 {
		return -1
	}
	tha := f[32:38]
	if tha[0] != 0x02 || tha[1] != 0x52 || tha[2] != 0x53 || tha[3] != 0xee {
		return -1
	}
	return int(tha[4])<<8 | int(tha[5])
}

// barrierPacket is the NFLOG marker: IPv4, protocol 253, the magic
// "RSVB" and the barrier number.
func barrierPacket(id uint32) []byte {
	b := make([]byte, 20, 28)
	b[0], b[8], b[9] = 0x45, 64, barrierProto
	binary.BigEndian.PutUint16(b[2:], 28)
	copy(b[12:], barrierIP[:])
	copy(b[16:], []byte{169, 254, 0, 2})
	binary.BigEndian.PutUint16(b[10:], ^sum(0, b))
	return binary.BigEndian.AppendUint32(append(b, "RSVB"...), id)
}

// barrierPacketID returns the number of an NFLOG marker, or -1.
func barrierPacketID(p []byte) int {
	if len(p) != 28 || p[0] != 0x45 || p[9] != barrierProto || string(p[20:24]) != "RSVB" {
		return -1
	}
	return int(binary.BigEndian.Uint32(p[24:]))
}

// barrier waits until each side has answered everything sent before it:
// both markers seen. A lost marker is sent again; after a few tries it
// gives up and reports false.
func (r *runner) barrier() bool {
	id := barrierSeq.Add(1) & 0xffff
	ok := true
	for try := 0; try < 5; try++ {
		for _, s := range r.sides {
			if s.barrier.Load() == id && s.logBarrier.Load() == id {
				continue
			}
			n := s.t.ifaces[0]
			fmac := s.t.fMAC[n]
			sa := &syscall.SockaddrLinklayer{Protocol: htons(0x0806), Ifindex: s.t.pIndex[n], Halen: 6}
			copy(sa.Addr[:], fmac[:])
			syscall.Sendto(s.pkt, arpRequest(fmac, s.t.pMAC[n], id), 0, sa)
			sa.Protocol = htons(0x0800)
			syscall.Sendto(s.pkt, frame(fmac, s.t.pMAC[n], ir.IPv4, barrierPacket(id)), 0, sa)
		}
		ok = waitFor(200*time.Millisecond, func() bool {
			for _, s := range r.sides {
				if s.barrier.Load() != id || s.logBarrier.Load() != id {
					return false
				}
			}
			return true
		})
		if ok {
			break
		}
	}
	return ok
}

func waitFor(d time.Duration, cond func() bool) bool {
	end := time.Now().Add(d)
	for !cond() {
		if time.Now().After(end) {
			return false
		}
		time.Sleep(50 * time.Microsecond)
	}
	return true
}
