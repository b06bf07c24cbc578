package lint

import (
	"bufio"
	"bytes"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/ruleshift/ruleshift/translate/ir"
	"github.com/ruleshift/ruleshift/translate/passes/pktset"
)

// SSH is the ssh service the lock-out check (L8) keeps reachable.
type SSH struct {
	Port uint16
	// Client and Server are the live session's addresses (from
	// SSH_CONNECTION); the zero Addr when not known.
	Client, Server netip.Addr
	// From says where the port came from, for the message.
	From string
}

// ParseSSHConnection reads the SSH_CONNECTION variable sshd sets: "client
// cport server sport".
func ParseSSHConnection(v string) (SSH, bool) {
	f := strings.Fields(v)
	if len(f) != 4 {
		return SSH{}, false
	}
	c, err1 := netip.ParseAddr(f[0])
	s, err2 := netip.ParseAddr(f[2])
	p, err3 := strconv.ParseUint(f[3], 10, 16)
	if err1 != nil || err2 != nil || err3 != nil || p == 0 {
		return SSH{}, false
	}
	return SSH{Port: uint16(p), Client: c.Unmap(), Server: s.Unmap(), From: "SSH_CONNECTION"}, true
}

// SSHDPort returns the first Port of an sshd_config (22 when it names
// none).
func SSHDPort(data []byte) uint16 {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) >= 2 && strings.EqualFold(f[0], "Port") {
			if p, err := strconv.ParseUint(f[1], 10, 16); err == nil && p > 0 {
				return uint16(p)
			}
		}
		if len(f) >= 1 && strings.EqualFold(f[0], "Match") {
			break // what follows applies to some connections only
		}
	}
	return 22
}

// ssh checks that new and established connections to the ssh port are
// accepted by an INPUT chain (L8).
func (l *linter) ssh(pt *pktset.Table, c *ir.Chain) {
	s := l.o.SSH
	// The administrator's session does not come over loopback.
	notLo := pt.Complement(pktset.InIf, pktset.Point(pktset.IfaceValue("lo")))
	base := box(pktset.Proto, val(6), pktset.Frag, val(0), pktset.DPort, val(uint64(s.Port)), pktset.InIf, notLo)
	v6 := pt.T.Family == ir.IPv6
	if s.Client.IsValid() && s.Client.Is6() == v6 && s.Server.Is6() == v6 {
		base.Constrain(pktset.SAddr, pktset.Point(pktset.AddrValue(s.Client)))
		base.Constrain(pktset.DAddr, pktset.Point(pktset.AddrValue(s.Server)))
	} else if s.Client.IsValid() {
		return // the session is of the other family
	}
	for _, st := range []struct {
		v     uint64
		flags pktset.ISet
		name  string
	}{
		// A new connection starts with a SYN, with or without ECN's flags.
		{pktset.CtNew, pktset.Union(val(0x02), val(0xc2)), "new ssh connections"},
		{pktset.CtEstablished, nil, "the established ssh session"},
	} {
		q := base
		q.Constrain(pktset.Ct, val(st.v))
		if st.flags != nil {
			q.Constrain(pktset.Flags, st.flags)
		}
		fate := pt.Fate(c, q)
		if !fate.Denied {
			continue
		}
		pos, by := denial(c, fate)
		fix := fmt.Sprintf("accept it before: -A %s -p tcp --dport %d -j ACCEPT (or --disable L8 if the lock-out is meant)", c.Name, s.Port)
		if len(fate.Via) > 0 && !s.Client.IsValid() {
			// Some interfaces or sources are accepted: whether the
			// administrator's is among them is not known here.
			l.addSeverity("L8", Warning, nil, pos, positions(c, fate.Via), fix,
				"%s to port %d (%s) are accepted only by %s; from elsewhere they are dropped by %s: check that your session comes that way", st.name, s.Port, s.From, wheres(c, fate.Via), by)
			return
		}
		l.add("L8", nil, pos, nil, fix,
			"%s to port %d (%s) are dropped by %s: applying these rules locks you out", st.name, s.Port, s.From, by)
		return
	}
}
