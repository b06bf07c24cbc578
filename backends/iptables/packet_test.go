package iptables_test

import (
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/backends/iptables"
	"github.com/ruleshift/ruleshift/translate"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// packetDump4 and packetDump6 use every option of the packet and
// extension header matches, in the spellings people write (abbreviations,
// names, hex); iptables-save 1.8.9 lists them in canonical form.
const packetDump4 = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
-A INPUT -m mac --mac-source 0A:12:3e:4f:b2:c6 -j DROP
-A INPUT -m mac ! --mac-source 0a:12:3e:4f:b2:c6
-A INPUT -m iprange --src-range 192.168.25.149-192.168.25.151 ! --dst-range 1.1.1.1-1.1.1.1
-A INPUT -m addrtype --src-type LOCAL,UNICAST ! --dst-type BROADCAST --limit-iface-in
-A INPUT -m addrtype --dst-type UNSPEC,UNICAST,LOCAL,BROADCAST,ANYCAST,MULTICAST,BLACKHOLE,UNREACHABLE,PROHIBIT,THROW,NAT,XRESOLVE
-A INPUT -m pkttype ! --pkt-type broadcast
-A INPUT -m pkttype --pkt-type host
-A INPUT -m length --length 86:0xffff
-A INPUT -m length ! --length :400
-A INPUT -m length --length 40
-A INPUT -m length --length 40:
-A INPUT -m ttl --ttl-eq 3
-A INPUT -m ttl ! --ttl-eq 3
-A INPUT -m ttl --ttl-lt 3
-A INPUT -m ttl --ttl-gt 3
-A INPUT -m tos --tos Minimize-Delay
-A INPUT -m tos ! --tos 0x10/0x3f
-A INPUT -m tos --tos 8
-A INPUT -m dscp --dscp 0x32
-A INPUT -m dscp ! --dscp-class AF41
-A INPUT -p tcp -m ecn --ecn-tcp-cwr ! --ecn-tcp-ece --ecn-ip-ect 2
-A INPUT -m ecn ! --ecn-ip-ect 3
-A FORWARD -m devgroup --src-group 0x2 ! --dst-group 0xc/0xc
-A INPUT -m devgroup --src-group 23
-A INPUT -m cpu ! --cpu 1
-A INPUT -m cgroup --cgroup 0
-A INPUT -m cgroup ! --cgroup 0x10
-A INPUT -m socket
-A INPUT -m socket --transparent --nowildcard --restore-skmark
-A INPUT -m socket --nowildcard
-A INPUT -m realm --realm 4
-A INPUT -m realm ! --realm 5/5
-A INPUT -m realm --realm 1/0xf
-A INPUT -p tcp -m tcpmss --mss 42
-A INPUT -p tcp -m tcpmss ! --mss 42:1024
-A INPUT -p dccp -m dccp --sport 100 ! --dport 100:200 --dccp-types REQUEST,RESPONSE,DATA,ACK,DATAACK,CLOSEREQ,CLOSE,SYNC,SYNCACK,INVALID
-A INPUT -p dccp --dccp-option 5
-A INPUT -p dccp ! --dccp-types CLOSE
-A INPUT -p ah -m ah --ahspi 500
-A INPUT -p ah -m ah ! --ahspi 500:600
-A INPUT -p ah -m ah --ahspi 0:4294967295
-A INPUT -p esp -m esp --espspi 500
-A INPUT -p esp -m esp ! --espspi 0:4294967295
-A INPUT -p esp -m esp --espspi 0:4294967295
-A INPUT -p 108 -m ipcomp --ipcompspi 0x12
-A INPUT -p 108 -m ipcomp ! --ipcompspi 0x12:20 --compres
COMMIT
*mangle
:PREROUTING ACCEPT [0:0]
-A PREROUTING -m rpfilter
-A PREROUTING -m rpfilter --loose --validmark --accept-local --invert
-A PREROUTING -i eth1 -m cluster --cluster-total-nodes 2 --cluster-local-node 1 --cluster-hash-seed 0xdeadbeef
-A PREROUTING -i eth1 -m cluster --cluster-total-nodes 32 --cluster-local-nodemask 5 --cluster-hash-seed 0xdeadbeef
COMMIT
`

const packetDump6 = `*filter
:INPUT ACCEPT [0:0]
-A INPUT -m iprange ! --dst-range ::2d01-::2d03 --src-range ::2d01-::2d03
-A INPUT -m hl --hl-eq 3
-A INPUT -m hl ! --hl-eq 3
-A INPUT -m hl --hl-lt 3
-A INPUT -m hl --hl-gt 3
-A INPUT -m ah --ahspi 500 ! --ahlen 120 --ahres
-A INPUT -m ah ! --ahspi 0:4294967295
-A INPUT -m ah --ahspi 0:4294967295
-A INPUT -p esp -m esp ! --espspi 0:4294967295
-A INPUT -m frag --fragid 100 --fragres --fragmore
-A INPUT -m frag ! --fragid 100:200 ! --fraglen 8 --fragfirst
-A INPUT -m frag --fraglast
-A INPUT -m frag ! --fragid 0:4294967295
-A INPUT -m hbh --hbh-len 22
-A INPUT -m hbh ! --hbh-len 22 --hbh-opts 1:2,5,7:0
-A INPUT -m dst --dst-len 22 --dst-opts 1
-A INPUT -m rt --rt-type 0 ! --rt-segsleft 26 --rt-len 22 --rt-0-res --rt-0-addrs ::1,::2 --rt-0-not-strict
-A INPUT -m rt ! --rt-segsleft 0:4294967295
-A INPUT -m rt --rt-segsleft 13:42
-A INPUT -p mh --mh-type 1
-A INPUT -p mh -m mh --mh-type 0:255
-A INPUT -m ipv6header --header hop,dst,route,frag,auth,esp,none,prot --soft
-A INPUT -m ipv6header ! --header 60
-A INPUT -m ipv6header --header ipv6-frag
-A INPUT -m eui64
-A INPUT -m dscp --dscp-class EF
-A INPUT -m tos --tos 0x10
COMMIT
`

func packetDump(fam ir.Family) []byte {
	if fam == ir.IPv6 {
		return []byte(packetDump6)
	}
	return []byte(packetDump4)
}

func TestPacketRender(t *testing.T) {
	want := map[ir.Family][]string{
		ir.IPv4: {
			"-m mac --mac-source 0a:12:3e:4f:b2:c6 -j DROP",
			"-m addrtype --src-type UNICAST,LOCAL ! --dst-type BROADCAST --limit-iface-in",
			"-m pkttype --pkt-type unicast",
			"-m length ! --length 0:400",
			"-m tos --tos 0x10/0x3f",
			"-m dscp ! --dscp 0x22",
			"-m ecn ! --ecn-tcp-ece --ecn-tcp-cwr --ecn-ip-ect 2",
			"-m devgroup --src-group 0x2 ! --dst-group 0xc/0xc",
			"-m realm ! --realm 0x5/0x5",
			"-m cluster --cluster-local-nodemask 0x00000005 --cluster-total-nodes 32 --cluster-hash-seed 0xdeadbeef",
			"-m dccp --sport 100 ! --dport 100:200 --dccp-types REQUEST,RESPONSE,DATA,ACK,DATAACK,CLOSEREQ,CLOSE,SYNC,SYNCACK,INVALID",
			// iptables-save drops the "!" of a negated full range, which
			// the kernel keeps: ruleshift writes it so that it survives.
			"-m esp ! --espspi 0:4294967295",
			"-m ipcomp ! --ipcompspi 18:20 --compres",
		},
		ir.IPv6: {
			"-m ah --ahspi 500 ! --ahlen 120 --ahres",
			"-m frag ! --fragid 100:200 ! --fraglen 8 --fragfirst",
			"-m hbh ! --hbh-len 22 --hbh-opts 1:2,5,7:0",
			"-m rt --rt-type 0 ! --rt-segsleft 26 --rt-len 22 --rt-0-res --rt-0-addrs ::1,::2 --rt-0-not-strict",
			"-m ipv6header --header hop-by-hop,ipv6-opts,ipv6-route,ipv6-frag,ah,esp,ipv6-nonxt,protocol --soft",
			"-m dscp --dscp 0x2e",
			"-m eui64",
		},
	}
	for fam, lines := range want {
		rs, d := translate.Load([]translate.Input{{Name: "p", Data: packetDump(fam)}}, translate.Options{From: translate.Save, Family: fam})
		if d.HasErrors() {
			t.Fatal(d.Err())
		}
		text, rd := iptables.Render(rs, fam, iptables.Legacy, iptables.Options{})
		if rd.HasErrors() {
			t.Fatal(rd.Err())
		}
		for _, w := range lines {
			if !strings.Contains(text, w) {
				t.Errorf("%s output lacks %q:\n%s", fam, w, text)
			}
		}
	}
}

// TestPacketKernel loads the dumps as they are and as ruleshift renders
// them, for both families and both variants, and compares the listings.
func TestPacketKernel(t *testing.T) {
	for _, v := range []*iptables.Variant{iptables.Legacy, iptables.NFT} {
		for _, fam := range []ir.Family{ir.IPv4, ir.IPv6} {
			kernelRoundTrip(t, v, fam, "p", packetDump(fam), "hP-pk")
		}
	}
}
