package verify

import (
	"encoding/binary"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/translate"
	"github.com/ruleshift/ruleshift/translate/ir"
)

func addrs(ss ...string) []netip.Addr {
	var out []netip.Addr
	for _, s := range ss {
		out = append(out, netip.MustParseAddr(s))
	}
	return out
}

func TestPrefixEdges(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	cases := []struct {
		prefix     string
		want, not  []netip.Addr
		insideOnly bool
	}{
		{"10.0.0.0/8", addrs("10.0.0.0", "10.255.255.255", "9.255.255.255", "11.0.0.0", "10.0.0.1", "10.255.255.254"), nil, false},
		{"192.168.1.7/32", addrs("192.168.1.7", "192.168.1.6", "192.168.1.8"), nil, false},
		{"2001:db8::/64", addrs("2001:db8::", "2001:db8::ffff:ffff:ffff:ffff", "2001:db8:0:1::", "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff"), nil, false},
		// Martians never make a probe: the kernel drops them before the rules.
		{"0.0.0.0/8", addrs("1.0.0.0"), addrs("0.0.0.0", "0.255.255.255"), false},
		{"224.0.0.0/4", addrs("223.255.255.255"), addrs("224.0.0.0", "240.0.0.0"), false},
	}
	for _, c := range cases {
		got := prefixEdges(netip.MustParsePrefix(c.prefix), rng)
		for _, w := range c.want {
			if !slices.Contains(got, w) {
				t.Errorf("%s: edges %v lack %s", c.prefix, got, w)
			}
		}
		for _, n := range c.not {
			if slices.Contains(got, n) {
				t.Errorf("%s: edges %v hold unusable %s", c.prefix, got, n)
			}
		}
	}
	if got := prefixEdges(netip.MustParsePrefix("0.0.0.0/0"), rng); len(got) != 1 {
		t.Errorf("0.0.0.0/0 has no edges but one random address, got %v", got)
	}
}

func TestInsideOutside(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, s := range []string{"10.0.0.0/8", "192.0.2.1/32", "2001:db8::/32", "172.16.0.0/12"} {
		p := netip.MustParsePrefix(s)
		in, out := inside(p, rng), outside(p, rng)
		if !p.Contains(in) || !usable(in) {
			t.Errorf("inside(%s) = %s", s, in)
		}
		if p.Contains(out) || !usable(out) {
			t.Errorf("outside(%s) = %s", s, out)
		}
	}
	if a := inside(netip.MustParsePrefix("127.0.0.0/8"), rng); a.IsValid() {
		t.Errorf("inside(127/8) = %s, want none", a)
	}
}

func TestMaskEdges(t *testing.T) {
	net, mask := netip.MustParseAddr("10.0.2.0"), netip.MustParseAddr("255.0.255.0")
	got := maskEdges(net, mask)
	hit, miss := 0, 0
	for _, a := range got {
		if maskMatch(a, net, mask) {
			hit++
		} else {
			miss++
		}
	}
	if hit < 2 || miss < 1 {
		t.Errorf("maskEdges(10.0.2.0/255.0.255.0) = %v: want at least two hits and a miss", got)
	}
}

func TestPortEdges(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	got := portEdges(ir.PortRange{Lo: 80, Hi: 90}, rng)
	for _, w := range []uint16{79, 80, 90, 91} {
		if !slices.Contains(got, w) {
			t.Errorf("edges of 80:90 = %v lack %d", got, w)
		}
	}
	if !slices.ContainsFunc(got, func(p uint16) bool { return p > 80 && p < 90 }) {
		t.Errorf("edges of 80:90 = %v: none strictly inside", got)
	}
	got = portEdges(ir.PortRange{Lo: 0, Hi: 65535}, rng)
	if slices.Contains(got, 65535+0) && len(got) > 3 {
		t.Errorf("edges of 0:65535 = %v wrap around", got)
	}
	if got := portEdges(ir.PortRange{Lo: 22, Hi: 22}, rng); !slices.Equal(got, []uint16{22, 22, 21, 23}) {
		t.Errorf("edges of 22 = %v", got)
	}
}

func parse(t *testing.T, text string) *ir.Ruleset {
	t.Helper()
	rs, d := translate.Load([]translate.Input{{Name: "t.rules", Data: []byte(text)}}, translate.Options{From: translate.Save})
	if d.HasErrors() {
		t.Fatal(d.Err())
	}
	return rs
}

func TestGenerateIsDeterministic(t *testing.T) {
	rs := parse(t, basic)
	dump := func(seed uint64) string {
		var b strings.Builder
		for _, p := range Generate([]*ir.Ruleset{rs}, GenOptions{Probes: 300, Seed: seed}).Probes {
			b.WriteString(p.String() + " " + p.Why + "\n")
		}
		return b.String()
	}
	a, b, c := dump(7), dump(7), dump(8)
	if a != b {
		t.Error("the same seed gave different probes")
	}
	if a == c {
		t.Error("different seeds gave the same probes")
	}
}

func TestGenerateCoversRules(t *testing.T) {
	plan := Generate([]*ir.Ruleset{parse(t, basic)}, GenOptions{Probes: 2000, Seed: 1})
	has := func(what string, f func(p *Probe) bool) {
		t.Helper()
		if !slices.ContainsFunc(plan.Probes, f) {
			t.Errorf("no probe %s", what)
		}
	}
	in10 := netip.MustParsePrefix("10.0.0.0/8")
	has("to port 22 from 10/8", func(p *Probe) bool { return p.Path == Input && p.Dport == 22 && in10.Contains(p.Src) })
	has("to port 22 from 11.0.0.0", func(p *Probe) bool { return p.Dport == 22 && p.Src == netip.MustParseAddr("11.0.0.0") })
	has("to port 21", func(p *Probe) bool { return p.Path == Input && p.Dport == 21 && p.Proto == protoTCP })
	for _, port := range []uint16{7999, 8000, 8080, 8081, 443, 444} {
		has("to multiport edge", func(p *Probe) bool { return p.Dport == port && p.Proto == protoTCP })
	}
	has("forwarded from eth0 to eth1", func(p *Probe) bool { return p.Path == Forward && p.In == "eth0" && p.Out == "eth1" })
	has("forwarded from another interface", func(p *Probe) bool { return p.Path == Forward && p.In == "vx0" })
	has("echo request", func(p *Probe) bool { return p.Proto == protoICMP && p.Type == 8 })
	has("with ACK only", func(p *Probe) bool { return p.Proto == protoTCP && p.Flags == flagACK })
	// The ESTABLISHED rule of FORWARD eth1 -> eth0 is met by replies of
	// flows opened the other way.
	has("opening a flow eth0 -> eth1", func(p *Probe) bool {
		return p.Path == Forward && p.In == "eth0" && p.Out == "eth1" && p.Flags == flagSYN
	})
	if !slices.Equal(plan.Ifaces, []string{"eth1", "eth0", "vx0"}) {
		t.Errorf("interfaces %v", plan.Ifaces)
	}
	ids := map[int]bool{}
	for _, p := range plan.Probes {
		if ids[p.ID] || p.ID == 0 {
			t.Fatalf("probe ID %d reused", p.ID)
		}
		ids[p.ID] = true
	}
}

func TestGenerateBudget(t *testing.T) {
	rs := parse(t, basic)
	for _, n := range []int{10, 50, 1000} {
		plan := Generate([]*ir.Ruleset{rs}, GenOptions{Probes: n, Seed: 3})
		if len(plan.Probes) != n {
			t.Errorf("Probes: %d gave %d probes", n, len(plan.Probes))
		}
		random := 0
		for _, p := range plan.Probes {
			if p.Why == "random" {
				random++
			}
		}
		if random < n/10 {
			t.Errorf("Probes: %d: only %d random probes", n, random)
		}
	}
}

func TestInterfaces(t *testing.T) {
	rs := parse(t, `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -i ppp+ -j DROP
-A FORWARD -i br-1234567890ab -o wlan0 -j ACCEPT
-A FORWARD -i wlan0 -j ACCEPT
-A FORWARD -i vx+ -j ACCEPT
COMMIT
`)
	names, wild := interfaces([]*ir.Ruleset{rs})
	if !slices.Contains(names, "ppp0") || !slices.Contains(names, "wlan0") || !slices.Contains(names, "br-1234567890ab") {
		t.Errorf("interfaces %v lack a named one", names)
	}
	if slices.Contains(names, "lo") {
		t.Errorf("interfaces %v hold lo", names)
	}
	last := names[len(names)-1]
	for _, w := range wild {
		if strings.HasPrefix(last, w) {
			t.Errorf("the unmatched interface %s matches wildcard %s+", last, w)
		}
	}
	if names[0] != "wlan0" {
		t.Errorf("most used interface should come first: %v", names)
	}
}

func TestDecode(t *testing.T) {
	for _, p := range []*Probe{
		{ID: 7, Family: ir.IPv4, Proto: protoTCP, Src: netip.MustParseAddr("10.0.0.1"), Dst: netip.MustParseAddr("10.0.0.2"), Sport: 1000, Dport: 22, Flags: flagSYN},
		{ID: 8, Family: ir.IPv4, Proto: protoUDP, Src: netip.MustParseAddr("10.0.0.1"), Dst: netip.MustParseAddr("10.0.0.2"), Sport: 1000, Dport: 53},
		{ID: 9, Family: ir.IPv6, Proto: protoICMPv6, Src: netip.MustParseAddr("2001:db8::1"), Dst: netip.MustParseAddr("2001:db8::2"), Type: 128},
		{ID: 10, Family: ir.IPv6, Proto: protoSCTP, Src: netip.MustParseAddr("2001:db8::1"), Dst: netip.MustParseAddr("2001:db8::2"), Sport: 5, Dport: 6},
		{ID: 11, Family: ir.IPv4, Proto: protoGRE, Src: netip.MustParseAddr("10.0.0.1"), Dst: netip.MustParseAddr("10.0.0.2")},
		{ID: 12, Family: ir.IPv4, Proto: protoICMP, Src: netip.MustParseAddr("10.0.0.1"), Dst: netip.MustParseAddr("10.0.0.2"), Type: 3, Code: 3},
	} {
		finishIDs(p)
		pkt := p.packet(0)
		if sum(0, pkt[:20]) != 0xffff && p.Family == ir.IPv4 {
			t.Errorf("#%d: bad IPv4 header checksum", p.ID)
		}
		ev := decode(pkt)
		wantKind := evArrive
		if p.isICMPError() {
			wantKind = evICMP // the runner tells an arriving error probe from a reject
		}
		if ev.kind != wantKind || ev.id != p.ID {
			t.Errorf("#%d %s: decoded %+v", p.ID, p, ev)
		}
		// An ICMP error quoting the probe leads back to it.
		if p.Proto == protoTCP || p.Proto == protoUDP {
			errp := &Probe{ID: 999, Family: p.Family, Proto: protoICMP, Src: p.Dst, Dst: p.Src, Type: 3, Code: 10}
			icmp := append([]byte{3, 10, 0, 0, 0, 0, 0, 0}, pkt...)
			binary.BigEndian.PutUint16(icmp[2:], ^sum(0, icmp))
			hdr := errp.packet(0)[:20]
			binary.BigEndian.PutUint16(hdr[2:], uint16(20+len(icmp)))
			ev := decode(append(hdr, icmp...))
			if ev.kind != evICMP || ev.id != p.ID || ev.code != "icmp-host-prohibited" {
				t.Errorf("#%d: ICMP error decoded as %+v", p.ID, ev)
			}
		}
	}
	// A reset answering a SYN acknowledges its sequence number plus one.
	p := &Probe{ID: 20, Family: ir.IPv4, Proto: protoTCP, Src: netip.MustParseAddr("10.0.0.1"), Dst: netip.MustParseAddr("10.0.0.2"), Sport: 1, Dport: 2, Flags: flagSYN}
	finishIDs(p)
	rst := &Probe{ID: 0, Family: ir.IPv4, Proto: protoTCP, Src: p.Dst, Dst: p.Src, Sport: 2, Dport: 1, Flags: flagRST | flagACK, Seq: 0, Ack: p.Seq + 1}
	ev := decode(rst.packet(0))
	if ev.kind != evRST || !ev.rstAck || ev.rstKey != p.Seq+1 {
		t.Errorf("reset decoded as %+v", ev)
	}
}
