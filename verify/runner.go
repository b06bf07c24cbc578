package verify

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ruleshift/ruleshift/translate/ir"
)

// A runner drives both sides with the same probes. Every probe is sent to
// the old side and then at once to the new one, so that rate limits and
// other time-dependent matches see the two sides at the same moments.
type runner struct {
	plan  *Plan
	sides [2]*side
	// progress hears how many probes of the phase were sent.
	progress func(done int)

	mu       sync.RWMutex
	probes   map[int]*Probe
	rstAck   map[uint32]int // a reset with ACK answers the probe whose Seq(+SYN+FIN) is its ack
	rstNoAck map[uint32]int // a reset without ACK answers the probe whose Ack is its seq

	cpu  int // the CPU every probe is sent from, see barrier.go
	stop atomic.Bool
	wg   sync.WaitGroup
	// lost counts batches whose barrier never came back: their probes may
	// have been measured before all answers arrived.
	lost atomic.Int32
}

type rawKey struct {
	fam   ir.Family
	iface string
}

// side is one live topology with its sockets and what it has seen.
type side struct {
	name string
	in   *Side
	t    *topo
	pkt  int
	raw  map[rawKey]int
	log  int

	mu  sync.Mutex
	obs map[int]*obs

	barrier    atomic.Uint32 // the last barrier F answered on P
	logBarrier atomic.Uint32 // the last barrier the NFLOG reader read
}

// obs is what one side saw of one probe.
type obs struct {
	arrived bool
	where   string
	hdr     Header
	reject  string
	err     string
	// logs and limitedLogs count the ruleset's log events for the probe,
	// without and with a rate limit (see logs.go).
	logs, limitedLogs int
}

func newRunner(plan *Plan) *runner {
	return &runner{plan: plan, cpu: pickCPU(), probes: map[int]*Probe{}, rstAck: map[uint32]int{}, rstNoAck: map[uint32]int{}}
}

// open builds one side: topology, rules, sockets, and its capture loops.
func (r *runner) open(i int, prefix string, s *Side) error {
	name := [2]string{"old", "new"}[i]
	t, err := buildTopo(prefix, name[:1], byte(i+1), r.plan)
	if err != nil {
		return fmt.Errorf("%s: building the test network: %v", name, err)
	}
	sd := &side{name: name, in: s, t: t, pkt: -1, log: -1, raw: map[rawKey]int{}, obs: map[int]*obs{}}
	r.sides[i] = sd
	if err := s.load(name, t.f); err != nil {
		return err
	}
	if sd.pkt, err = openPacket(t.p); err != nil {
		return fmt.Errorf("%s: %v", name, err)
	}
	if sd.log, err = openNflog(t.f, observerGroup, logGroup, limitedLogGroup); err != nil {
		return fmt.Errorf("%s: %v", name, err)
	}
	for _, f := range r.plan.Families {
		for _, n := range t.ifaces {
			fd, err := openRaw(t.f, f, n)
			if err != nil {
				return fmt.Errorf("%s: %v", name, err)
			}
			sd.raw[rawKey{f, n}] = fd
		}
	}
	r.wg.Add(2)
	go r.readPeer(sd)
	go r.readLog(sd)
	return nil
}

// close stops the readers, closes the sockets and deletes the namespaces.
func (r *runner) close() {
	r.stop.Store(true)
	r.wg.Wait()
	for _, s := range r.sides {
		if s == nil {
			continue
		}
		for _, fd := range append([]int{s.pkt, s.log}, rawFDs(s.raw)...) {
			if fd >= 0 {
				syscall.Close(fd)
			}
		}
		s.t.close()
	}
}

func rawFDs(m map[rawKey]int) []int {
	var out []int
	for _, fd := range m {
		out = append(out, fd)
	}
	return out
}

// register makes probes known to the capture loops before they are sent.
func (r *runner) register(ps []*Probe) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, p := range ps {
		r.probes[p.ID] = p
		if p.Proto != protoTCP {
			continue
		}
		if p.Flags&flagACK != 0 {
			r.rstNoAck[p.Ack] = p.ID
		} else {
			k := p.Seq
			if p.Flags&flagSYN != 0 {
				k++
			}
			if p.Flags&flagFIN != 0 {
				k++
			}
			r.rstAck[k] = p.ID
		}
	}
}

func (r *runner) readPeer(s *side) {
	defer r.wg.Done()
	buf := make([]byte, 65536)
	for !r.stop.Load() {
		n, from, err := syscall.Recvfrom(s.pkt, buf, 0)
		if err != nil || n < 14 {
			continue
		}
		ll, ok := from.(*syscall.SockaddrLinklayer)
		if !ok || ll.Pkttype == syscall.PACKET_OUTGOING {
			continue
		}
		if id := arpReplyID(buf[:n]); id >= 0 {
			s.barrier.Store(uint32(id))
			continue
		}
		r.record(s, decode(buf[14:n]), s.t.pName[ll.Ifindex])
	}
}

func (r *runner) readLog(s *side) {
	defer r.wg.Done()
	buf := make([]byte, 1<<16)
	for !r.stop.Load() {
		n, _, err := syscall.Recvfrom(s.log, buf, 0)
		if err != nil {
			continue
		}
		for _, l := range nflogPayloads(buf[:n]) {
			switch l.group {
			case logGroup, limitedLogGroup:
				r.recordLog(s, decode(l.payload), l.group == limitedLogGroup)
				continue
			}
			if id := barrierPacketID(l.payload); id >= 0 {
				s.logBarrier.Store(uint32(id))
				continue
			}
			r.record(s, decode(l.payload), "local")
		}
	}
}

// probeOf finds the probe a decoded capture belongs to: nil for none.
func (r *runner) probeOf(ev event) *Probe {
	r.mu.RLock()
	defer r.mu.RUnlock()
	id := ev.id
	switch ev.kind {
	case evNone:
		return nil
	case evRST:
		if ev.rstAck {
			id = r.rstAck[ev.rstKey]
		} else {
			id = r.rstNoAck[ev.rstKey]
		}
	}
	return r.probes[id]
}

// obsOf is what s saw of probe id so far; s.mu must be held.
func (s *side) obsOf(id int) *obs {
	o := s.obs[id]
	if o == nil {
		o = &obs{}
		s.obs[id] = o
	}
	return o
}

// recordLog counts one log event of the ruleset under the probe whose
// packet was logged: the probe itself, or the reject it caused (a reset
// or an ICMP error F sent, which the rules see and may log too).
func (r *runner) recordLog(s *side, ev event, limited bool) {
	p := r.probeOf(ev)
	if p == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.obsOf(p.ID)
	if limited {
		o.limitedLogs++
	} else {
		o.logs++
	}
}

// record files one decoded capture under its probe.
func (r *runner) record(s *side, ev event, where string) {
	p := r.probeOf(ev)
	if p == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.obsOf(p.ID)
	switch {
	case ev.kind == evArrive || ev.kind == evICMP && p.isICMPError():
		o.arrived, o.where, o.hdr = true, where, ev.hdr
	case ev.kind == evICMP:
		o.reject = ev.code
	case ev.kind == evRST:
		o.reject = "tcp-reset"
	}
}

// send puts one probe on the wire of one side.
func (r *runner) send(s *side, p *Probe) error {
	if p.alt != nil && s == r.sides[1] {
		p = p.alt
	}
	switch p.Path {
	case Output:
		fd, ok := s.raw[rawKey{p.Family, p.Out}]
		if !ok {
			return fmt.Errorf("no interface %s", p.Out)
		}
		return sendRaw(fd, p.Dst, p.packet(0))
	case Forward:
		dscp, ok := routeClass(r.plan, p.Out)
		if !ok {
			return fmt.Errorf("interface %s cannot be a forwarding exit", p.Out)
		}
		return r.inject(s, p, dscp)
	}
	return r.inject(s, p, 0)
}

func (r *runner) inject(s *side, p *Probe, dscp uint8) error {
	idx, ok := s.t.pIndex[p.In]
	if !ok {
		return fmt.Errorf("no interface %s", p.In)
	}
	f := frame(s.t.fMAC[p.In], s.t.pMAC[p.In], p.Family, p.packet(dscp))
	for {
		err := sendFrame(s.pkt, idx, p.Family == ir.IPv6, f)
		if !errors.Is(err, syscall.ENOBUFS) {
			return err
		}
		time.Sleep(time.Millisecond)
	}
}

// phase sends probes through both sides, in batches closed by a barrier,
// from one pinned thread (see barrier.go).
func (r *runner) phase(ps []*Probe) {
	r.register(ps)
	pinned(r.cpu, func() {
		for start := 0; start < len(ps); start += batchSize {
			for _, p := range ps[start:min(len(ps), start+batchSize)] {
				for _, s := range r.sides {
					if err := r.send(s, p); err != nil {
						s.mu.Lock()
						s.obsOf(p.ID).err = err.Error()
						s.mu.Unlock()
					}
				}
			}
			if !r.barrier() {
				r.lost.Add(1)
			}
			if r.progress != nil {
				r.progress(min(len(ps), start+batchSize))
			}
		}
	})
}

// verdict says what one side did with a probe.
func (s *side) verdict(p *Probe) Verdict {
	s.mu.Lock()
	defer s.mu.Unlock()
	o := s.obs[p.ID]
	var v Verdict
	switch {
	case o == nil:
		return Verdict{Kind: Drop}
	case o.err != "":
		v = Verdict{Kind: Unsent, Detail: o.err}
	case o.arrived:
		v = Verdict{Kind: Accept, Where: o.where, Hdr: o.hdr}
	case o.reject != "":
		v = Verdict{Kind: Reject, Detail: o.reject}
	default:
		v = Verdict{Kind: Drop}
	}
	v.Logs, v.LimitedLogs = o.logs, o.limitedLogs
	return v
}
