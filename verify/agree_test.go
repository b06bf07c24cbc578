package verify

import (
	"net/netip"
	"strings"
	"testing"
)

// TestAgreeRepliesOwnPorts: a reply is sent to each side addressed to the
// port that side's NAT gave the original (p.alt on the new side). Left
// unchanged on both sides, the ports differ only as the two probes do and
// the verdicts agree; rewritten on one side only, they do not.
func TestAgreeRepliesOwnPorts(t *testing.T) {
	src, dst := netip.MustParseAddr("192.0.2.20"), netip.MustParseAddr("198.51.100.7")
	p := &Probe{Sport: 44158, Dport: 53073}
	p.alt = &Probe{Sport: 44158, Dport: 44853}
	acc := func(dport uint16) Verdict {
		return Verdict{Kind: Accept, Where: "tun0", Hdr: Header{Src: src, Dst: dst, Sport: 44158, Dport: dport}}
	}
	if !agree(p, acc(53073), acc(44853)) {
		t.Errorf("each side left its own reply unchanged: want agreement")
	}
	if agree(p, acc(53073), acc(1234)) {
		t.Errorf("the new side rewrote its reply's port, the old did not: want a difference")
	}
	if !agree(p, acc(1000), acc(2000)) {
		t.Errorf("both sides rewrote the port: want agreement")
	}
	q := &Probe{Sport: 40000, Dport: 80}
	if agree(q, acc(80), acc(3128)) {
		t.Errorf("one side redirected the port: want a difference")
	}
}

// natFlows is a public OpenVPN setup reduced: masquerading out of eth0
// and a port forwarded to a client. Its flows out of eth0 clash on ports,
// so NAT picks random ones and replies differ between the sides in
// their ports alone.
const natFlows = `*nat
:PREROUTING ACCEPT [0:0]
:INPUT ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -i eth0 -p tcp -m tcp --dport 44158 -j DNAT --to-destination 10.8.0.2
-A POSTROUTING -o eth0 -j MASQUERADE
COMMIT
*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -i tun0 -j ACCEPT
-A FORWARD -i eth0 -o tun0 -p tcp -m tcp --dport 44158 -m conntrack --ctstate NEW -j ACCEPT
-A FORWARD -i eth0 -o tun0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
COMMIT
`

// TestVerifySelfNAT: a NAT ruleset verified against itself agrees, for
// several seeds, whatever ports NAT picks on each side.
func TestVerifySelfNAT(t *testing.T) {
	needKernel(t)
	for _, seed := range []uint64{1, 2, 4} {
		old := loadSide(t, "nat.v4", natFlows, IPTablesLegacy, true)
		new := loadSide(t, "nat.v4", natFlows, IPTablesLegacy, false)
		res, err := Run(old, new, Options{Probes: 2000, Seed: seed, NSPrefix: prefix(t)})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Diffs) != 0 {
			var b strings.Builder
			res.Write(&b)
			t.Errorf("seed %d: a NAT ruleset differs from itself:\n%s", seed, b.String())
		}
	}
}
