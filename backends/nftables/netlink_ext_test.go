package nftables_test

import (
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/backends/nftables"
	"github.com/ruleshift/ruleshift/internal/testenv"
	"github.com/ruleshift/ruleshift/translate"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// extV4 and extV6 use the packet, extension header and target constructs
// the encoder covers, in each form the renderer writes for it.
const extV4 = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -m ttl --ttl-eq 5 -j ACCEPT
-A INPUT -m ttl --ttl-lt 5 -j ACCEPT
-A INPUT -m ttl --ttl-gt 5 -j DROP
-A INPUT -p tcp -m ttl ! --ttl-eq 64 -j DROP
-A INPUT -m iprange --src-range 10.0.0.1-10.0.0.9 -j ACCEPT
-A INPUT -m iprange ! --dst-range 0.0.0.0-127.255.255.254 -j DROP
-A INPUT -s 192.168.200.4/32 -m mac --mac-source 00:00:f1:05:a0:e0 -j RETURN
-A INPUT -m mac ! --mac-source 00:00:f1:05:a0:e1 -j DROP
-A INPUT -m policy --dir in --pol ipsec -p udp --dport 1701 -j ACCEPT
-A INPUT -m policy --dir in --pol none -j ACCEPT
-A INPUT -p tcp -m tcpmss --mss 500:1000 -j DROP
-A OUTPUT -m policy --dir out --pol ipsec -p udp --sport 1701 -j ACCEPT
-A OUTPUT -m policy --dir out --pol none -j ACCEPT
-A OUTPUT -p tcp -m owner --uid-owner root -j ACCEPT
-A OUTPUT -p tcp -m owner --gid-owner root -j ACCEPT
-A FORWARD -p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu
-A FORWARD -p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPMSS --set-mss 1360
-A INPUT -m pkttype ! --pkt-type broadcast -j DROP
-A INPUT -m pkttype --pkt-type unicast -j ACCEPT
-A INPUT -m length --length 100:200 -j ACCEPT
-A INPUT -m length ! --length 100:200 -j DROP
-A INPUT -m length --length 1500 -j DROP
-A INPUT -m cpu ! --cpu 3 -j ACCEPT
-A FORWARD -m devgroup --src-group 0x5 ! --dst-group 0x5/0xff -j ACCEPT
-A INPUT -m realm --realm 0x5/0xff -j ACCEPT
-A INPUT -m realm ! --realm 7 -j ACCEPT
-A OUTPUT -m cgroup --cgroup 7 -j ACCEPT
-A INPUT -m dscp --dscp 0x0a -j ACCEPT
-A INPUT -m dscp ! --dscp 0x0a -j ACCEPT
-A INPUT -m ecn --ecn-ip-ect 3 -j ACCEPT
-A INPUT -m ecn ! --ecn-ip-ect 0 -j ACCEPT
-A INPUT -m tos --tos 0x02/0x0f -j ACCEPT
-A INPUT -m tos ! --tos 0x10 -j ACCEPT
-A INPUT -m addrtype --src-type LOCAL --limit-iface-in -j ACCEPT
-A INPUT -p tcp -m tcp --tcp-option 5 -j ACCEPT
-A INPUT -p tcp -m tcp ! --tcp-option 8 -j ACCEPT
-A INPUT -p tcp -m tcpmss --mss 1460 -j ACCEPT
-A INPUT -p tcp -m tcpmss --mss 0:65535 -j ACCEPT
-A INPUT -p ah -m ah --ahspi 100 -j ACCEPT
-A INPUT -p ah -m ah ! --ahspi 100:200 -j ACCEPT
-A INPUT -p esp -m esp --espspi 100:200 -j ACCEPT
-A INPUT -p 108 -m ipcomp --ipcompspi 5 -j ACCEPT
-A INPUT -m addrtype ! --dst-type BLACKHOLE -j ACCEPT
-A INPUT -m addrtype --dst-type THROW -j ACCEPT
COMMIT
*raw
:PREROUTING ACCEPT [0:0]
-A PREROUTING -m rpfilter -j ACCEPT
-A PREROUTING -m rpfilter --loose --validmark --invert -j DROP
-A PREROUTING -p tcp --dport 80 -j TRACE
COMMIT
*mangle
:PREROUTING ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -j TTL --ttl-set 5
-A PREROUTING -m socket -j ACCEPT
-A PREROUTING -m socket --transparent -j ACCEPT
-A PREROUTING -m socket --nowildcard -j ACCEPT
-A PREROUTING -m socket --transparent --nowildcard -j ACCEPT
-A PREROUTING -j DSCP --set-dscp 0x0a
-A PREROUTING -j TOS --set-tos 0x03/0x03
-A PREROUTING -j TOS --set-tos 0x28/0xff
-A PREROUTING -p tcp -j TPROXY --on-port 80
-A PREROUTING -p tcp -j TPROXY --on-port 80 --on-ip 1.2.3.4
-A PREROUTING -p tcp -j TPROXY --on-port 0 --on-ip 1.2.3.4
-A PREROUTING -j TEE --gateway 10.0.0.1
-A POSTROUTING -j CLASSIFY --set-class 1:2
-A POSTROUTING -j CLASSIFY --set-class 10:ff
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -d 10.1.0.0/24 -j NETMAP --to 10.0.0.0/24
-A POSTROUTING -s 10.0.0.0/24 -j NETMAP --to 10.1.0.0/24
COMMIT
`

const extV6 = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 135 -m hl --hl-eq 255 -j ACCEPT
-A INPUT -m hl --hl-lt 2 -j DROP
-A INPUT -m hl ! --hl-eq 1 -j ACCEPT
-A INPUT -m rt --rt-type 0 --rt-segsleft 0 -j DROP
-A INPUT -m rt ! --rt-type 2 --rt-segsleft 3:9 -j DROP
-A INPUT -m rt --rt-len 24 -j DROP
-A INPUT -m iprange --src-range 2001:db8::1-2001:db8::ff00 -j ACCEPT
-A INPUT -m iprange ! --src-range 2001:db8::1-2001:db8::ff00 -j DROP
-A INPUT -m mac --mac-source 00:00:f1:05:a0:e0 -j ACCEPT
-A FORWARD -p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu
-A INPUT -m dscp --dscp 0x0a -j ACCEPT
-A INPUT -m ecn ! --ecn-ip-ect 2 -j ACCEPT
-A INPUT -m frag --fragid 5 -j ACCEPT
-A INPUT -m frag ! --fragid 5:9 --fragres --fragfirst -j ACCEPT
-A INPUT -m frag --fragmore -j ACCEPT
-A INPUT -m frag --fraglast -j ACCEPT
-A INPUT -m frag -j ACCEPT
-A INPUT -m hbh --hbh-len 24 -j ACCEPT
-A INPUT -m dst ! --dst-len 24 -j ACCEPT
-A INPUT -m hbh -j ACCEPT
-A INPUT -m rt -j ACCEPT
-A INPUT -m rt ! --rt-segsleft 0:4294967295 -j ACCEPT
-A INPUT -p mh -m mh --mh-type 4 -j ACCEPT
-A INPUT -p mh -m mh ! --mh-type 4:6 -j ACCEPT
-A INPUT -p mh -m mh -j ACCEPT
-A INPUT -m ipv6header --header hop,frag --soft -j ACCEPT
-A INPUT -m ipv6header ! --header dst --soft -j ACCEPT
-A INPUT -m ah --ahspi 5 --ahlen 24 --ahres -j ACCEPT
-A INPUT -p tcp -m tcp --tcp-option 2 -m tcpmss --mss 500:1000 -j ACCEPT
-A INPUT -p tcp --dport 80 -j SYNPROXY --sack-perm --timestamp --wscale 7 --mss 1460
-A INPUT -p tcp --dport 81 -j SYNPROXY
-A INPUT -m length --length 100:200 -j ACCEPT
COMMIT
*raw
:PREROUTING ACCEPT [0:0]
-A PREROUTING -m rpfilter -j ACCEPT
COMMIT
*mangle
:PREROUTING ACCEPT [0:0]
-A PREROUTING -j HL --hl-set 5
-A PREROUTING -j DSCP --set-dscp 0x0a
-A PREROUTING -j TOS --set-tos 0x01/0x03
-A PREROUTING -p tcp -j TPROXY --on-port 80 --on-ip ::1
-A PREROUTING -j TEE --gateway ::1
COMMIT
*nat
:POSTROUTING ACCEPT [0:0]
-A POSTROUTING -j NETMAP --to 2001:db8::/64
COMMIT
`

// concatV4 uses the concatenations netlink_concat.go encodes.
const concatV4 = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -p tcp -m multiport ! --ports 1000 -j ACCEPT
-A INPUT -p tcp -m multiport --ports 10,20:30 -j ACCEPT
-A INPUT -p udp -m multiport --ports 53 -j ACCEPT
-A INPUT -s 10.0.0.1 -p icmp ! --icmp-type 3/4 -j ACCEPT
-A INPUT -p tcp -m multiport --dports 25,110:120,443 -j ACCEPT
-A INPUT -p sctp -m multiport --ports 5,7:9 -j ACCEPT
-A INPUT -p icmp -m icmp ! --icmp-type 3/4 -j ACCEPT
-A INPUT -p dccp -m dccp --sport 5 --dport 6:9 -j ACCEPT
-A INPUT -p dccp -m dccp ! --dport 6 -j ACCEPT
-A INPUT -p dccp -m dccp --dccp-types REQUEST -j ACCEPT
-A INPUT -p dccp -m dccp --sport 7 ! --dccp-types SYNCACK -j ACCEPT
-A INPUT -p sctp -m sctp --chunk-types all INIT -j ACCEPT
-A INPUT -p sctp -m sctp --dport 5 --chunk-types all DATA:Be,ABORT:t -j ACCEPT
-A INPUT -p tcp -m ecn --ecn-tcp-ece ! --ecn-tcp-cwr -j ACCEPT
COMMIT
`

// meterV4 and meterV6 use the meters netlink_meter.go encodes.
const meterV4 = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A FORWARD -p tcp -m multiport ! --dports 80,443,6667,6697 -m hashlimit --hashlimit-above 10/sec --hashlimit-burst 20 --hashlimit-mode srcip --hashlimit-name aflood --hashlimit-srcmask 8 -j LOG
-A INPUT -m hashlimit --hashlimit-upto 5/min --hashlimit-burst 5 --hashlimit-mode dstip --hashlimit-name m2 -j ACCEPT
-A INPUT -p tcp -m hashlimit --hashlimit-upto 50/hour --hashlimit-mode dstport --hashlimit-name m3 -j ACCEPT
COMMIT
`

const meterV6 = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -p udp -m hashlimit --hashlimit-above 100/sec --hashlimit-mode srcip --hashlimit-srcmask 64 --hashlimit-name m6 -j DROP
COMMIT
`

// ctV4 and ctV6 use ct helper objects and the CT mirror chains.
const ctV4 = `*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:port_assignment - [0:0]
-A PREROUTING -j port_assignment
-A PREROUTING -p udp --dport 69 -j CT --helper tftp
-A OUTPUT -j port_assignment
-A port_assignment -p tcp -m tcp --dport 1723 -j CT --helper pptp
-A port_assignment -p tcp -m tcp --dport 21 -j CT --helper ftp
COMMIT
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -p tcp --dport 22 -j ACCEPT
COMMIT
`

const ctV6 = `*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -s 2001:db8::/32 -j RETURN
-A PREROUTING -p tcp --dport 21 -j CT --helper ftp
COMMIT
`

type extInput struct {
	name, data string
	fam        ir.Family
}

// TestNetlinkExtConstructs loads the inputs above over netlink, which must
// not fall back, and with nft -f of the rendered text, and wants the same
// listing and the same bytecode, handles aside.
func TestNetlinkExtConstructs(t *testing.T) {
	testenv.RequireRoot(t)
	testenv.RequireBinary(t, "nft", "nsenter")
	for _, in := range []extInput{{"ext.v4", extV4, ir.IPv4}, {"ext.v6", extV6, ir.IPv6}} {
		compareNetlinkLoad(t, in, "hE")
	}
}

// TestNetlinkConcatMeterHelper is TestNetlinkExtConstructs for
// concatenations, meters and conntrack helpers.
func TestNetlinkConcatMeterHelper(t *testing.T) {
	testenv.RequireRoot(t)
	testenv.RequireBinary(t, "nft", "nsenter")
	for _, in := range []extInput{{"concat.v4", concatV4, ir.IPv4}, {"meter.v4", meterV4, ir.IPv4}, {"meter.v6", meterV6, ir.IPv6},
		{"ct.v4", ctV4, ir.IPv4}, {"ct.v6", ctV6, ir.IPv6}} {
		compareNetlinkLoad(t, in, "hF")
	}
}

// compareNetlinkLoad loads in over netlink and with nft -f, each in a
// namespace of its own, and compares the listings.
func compareNetlinkLoad(t *testing.T, in extInput, prefix string, norm ...func(string) string) {
	t.Helper()
	rs, d := translate.Load([]translate.Input{{Name: in.name, Data: []byte(in.data)}}, translate.Options{Family: in.fam})
	if d.HasErrors() {
		t.Fatalf("%s: %v", in.name, d.Err())
	}
	script, d := nftables.Render(rs, nftables.Options{})
	if d.HasErrors() {
		t.Fatalf("%s: render: %v", in.name, d.Err())
	}
	if testing.Verbose() {
		t.Logf("%s:\n%s", in.name, script)
	}
	ref := testenv.NewNetns(t, prefix)
	if _, err := ref.Run([]byte(script), "nft", "-f", "-"); err != nil {
		t.Fatalf("%s: nft -f: %v\n%s", in.name, err, script)
	}
	ns := testenv.NewNetns(t, prefix)
	res, err := nftables.Apply(rs, nftables.ApplyOptions{NetNS: "/run/netns/" + ns.Name})
	if err != nil {
		t.Fatalf("%s: apply without nft: %v", in.name, err)
	}
	if res.Method != "netlink" {
		t.Errorf("%s: loaded with %s, want netlink", in.name, res.Method)
	}
	for _, args := range [][]string{{"list", "ruleset"}, {"--debug=netlink", "list", "ruleset"}} {
		want, _ := ref.Run(nil, "nft", args...)
		got, _ := ns.Run(nil, "nft", args...)
		w, g := withoutHandles(want), withoutHandles(got)
		for _, f := range norm {
			w, g = f(w), f(g)
		}
		if g != w {
			t.Errorf("%s: nft %s differs after a netlink load:\n%s", in.name, strings.Join(args, " "), lineDiff(w, g))
		}
	}
}
