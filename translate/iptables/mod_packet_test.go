package iptables

import (
	"net"
	"net/netip"
	"regexp"
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/translate/ir"
)

func TestPacketParse(t *testing.T) {
	mac, _ := net.ParseMAC("0a:12:3e:4f:b2:c6")
	a := netip.MustParseAddr
	u8 := func(v uint8) *uint8 { return &v }
	u32 := func(v uint32) *uint32 { return &v }
	cases := []struct {
		line string
		fam  ir.Family
		want ir.Match
	}{
		{"-A INPUT -m mac ! --mac 0A:12:3e:4f:b2:c6", ir.IPv4, &ir.MAC{Neg: true, Addr: mac}},
		{"-A INPUT -m iprange --src-range 10.0.0.5-10.0.0.1 ! --dst-range 1.1.1.1", ir.IPv4,
			&ir.IPRange{Src: &ir.AddrRange{From: a("10.0.0.5"), To: a("10.0.0.1")}, Dst: &ir.AddrRange{From: a("1.1.1.1"), To: a("1.1.1.1")}, NegDst: true}},
		{"-A INPUT -m addrtype ! --dst-type local,ANYCAST --limit-iface-in", ir.IPv4, &ir.AddrType{Dst: 1<<2 | 1<<4, NegDst: true, LimitIfaceIn: true}},
		{"-A INPUT -m pkttype --pkt-type host", ir.IPv4, &ir.PktTypeMatch{Type: ir.PktUnicast}},
		{"-A INPUT -m length ! --length :0x190", ir.IPv4, &ir.Length{Neg: true, Min: 0, Max: 400}},
		{"-A INPUT -m length --length 5:3", ir.IPv4, &ir.Length{Min: 5, Max: 3}},
		{"-A INPUT -m ttl ! --ttl-eq 3", ir.IPv4, &ir.HopLimit{Op: ir.CmpEq, Neg: true, Value: 3}},
		{"-A INPUT -m hl --hl-gt 3", ir.IPv6, &ir.HopLimit{V6: true, Op: ir.CmpGt, Value: 3}},
		{"-A INPUT -m tos --tos Minimize-Delay", ir.IPv4, &ir.TOSMatch{Value: 0x10, Mask: 0x3f}},
		{"-A INPUT -m tos ! --tos 8", ir.IPv6, &ir.TOSMatch{Neg: true, Value: 8, Mask: 0xff}},
		{"-A INPUT -m dscp ! --dscp-class af41", ir.IPv4, &ir.DSCPMatch{Neg: true, Value: 34}},
		{"-A INPUT -p tcp -m ecn ! --ecn-tcp-ece --ecn-ip-ect 2", ir.IPv4, &ir.ECNMatch{ECE: true, NegECE: true, IP: true, ECT: 2}},
		{"-A FORWARD -m devgroup ! --src-group 23 --dst-group 0xc/0xc", ir.IPv4,
			&ir.DevGroup{Src: &ir.GroupMask{Value: 23, Mask: 0xffffffff}, NegSrc: true, Dst: &ir.GroupMask{Value: 12, Mask: 12}}},
		{"-A INPUT -m cpu ! --cpu 1", ir.IPv4, &ir.CPU{Neg: true, CPU: 1}},
		{"-A INPUT -m cgroup ! --cgroup 0x10", ir.IPv4, &ir.Cgroup{ClassID: u32(16), NegClassID: true}},
		{"-A INPUT -m socket --nowildcard --restore-skmark", ir.IPv4, &ir.Socket{NoWildcard: true, RestoreSkMark: true}},
		{"-A INPUT -m realm ! --realm 5/5", ir.IPv4, &ir.Realm{Neg: true, ID: 5, Mask: 5}},
		{"-A INPUT -m realm --realm cosmos", ir.IPv4, &ir.Realm{ID: 0, Mask: 0xffffffff}},
		{"-t mangle -A PREROUTING -m cluster --cluster-total-nodes 4 ! --cluster-local-node 3 --cluster-hash-seed 0xdeadbeef", ir.IPv4,
			&ir.Cluster{Neg: true, TotalNodes: 4, NodeMask: 4, HashSeed: 0xdeadbeef}},
		{"-t raw -A PREROUTING -m rpfilter --loose --invert", ir.IPv6, &ir.RPFilter{Loose: true, Invert: true}},
		{"-A INPUT -p tcp -m tcpmss --mss 5:", ir.IPv4, &ir.TCPMSSMatch{Min: 5, Max: 65535}},
		{"-A INPUT -p dccp ! --sport 100 --dccp-types request,INVALID ! --dccp-option 5", ir.IPv4,
			&ir.DCCP{SrcPorts: &ir.PortRange{Lo: 100, Hi: 100}, NegSrc: true, Types: 1 | 1<<10, Option: u8(5), NegOption: true}},
		{"-A INPUT -p ah -m ah ! --ahspi 0:4294967295", ir.IPv4, &ir.AH{SPI: ir.FullU32, NegSPI: true}},
		{"-A INPUT -m ah --ahspi 500: ! --ahlen 120 --ahres", ir.IPv6, &ir.AH{V6: true, SPI: ir.U32Range{Lo: 500, Hi: 0xffffffff}, Len: 120, NegLen: true, Res: true}},
		{"-A INPUT -p esp -m esp --espspi 0x10", ir.IPv6, &ir.ESP{SPI: ir.U32Range{Lo: 16, Hi: 16}}},
		{"-A INPUT -p 108 -m ipcomp ! --ipcompspi 18:20 --compres", ir.IPv4, &ir.IPComp{SPI: ir.U32Range{Lo: 18, Hi: 20}, NegSPI: true, Res: true}},
		{"-A INPUT -m frag ! --fragid 100:200 --fraglen 8 --fragfirst --fraglast", ir.IPv6,
			&ir.Frag{ID: ir.U32Range{Lo: 100, Hi: 200}, NegID: true, Len: 8, First: true, Last: true}},
		{"-A INPUT -m dst ! --dst-len 16 --dst-opts 1:2,5", ir.IPv6, &ir.IPv6Opts{Dst: true, Len: 16, NegLen: true, Opts: []ir.IPv6Opt{{Type: 1, Len: u8(2)}, {Type: 5}}}},
		{"-A INPUT -m rt --rt-type 0 ! --rt-segsleft 26 --rt-0-addrs ::1,::2 --rt-0-not-strict", ir.IPv6,
			&ir.RT{Type: u8(0), SegsLeft: ir.U32Range{Lo: 26, Hi: 26}, NegSegsLeft: true, Addrs: []netip.Addr{a("::1"), a("::2")}, NotStrict: true}},
		{"-A INPUT -p mh ! --mh-type bu:ba", ir.IPv6, &ir.MH{Neg: true, Lo: 5, Hi: 6}},
		{"-A INPUT -m ipv6header ! --header hop,60,ipv6-frag --soft", ir.IPv6, &ir.IPv6Header{Neg: true, Headers: 0x80 | 0x40 | 0x10, Soft: true}},
		{"-A INPUT -m eui64", ir.IPv6, &ir.EUI64{}},
		{"-A INPUT -m nfacct --nfacct-name http-in", ir.IPv6, &ir.NFAcct{Name: "http-in"}},
	}
	for _, c := range cases {
		cmd, err := parseCT(t, c.line, c.fam)
		if err != "" {
			t.Errorf("%s: %s", c.line, err)
			continue
		}
		if got := cmd.Rules[0].Matches[len(cmd.Rules[0].Matches)-1]; !ir.Equal(got, c.want) {
			t.Errorf("%s:\n got %#v\nwant %#v", c.line, got, c.want)
		}
	}
}

// positioned is "file:line:col: " at the start of every error.
var positioned = regexp.MustCompile(`^t:1:\d+: `)

func TestPacketErrors(t *testing.T) {
	cases := []struct {
		line string
		fam  ir.Family
		want string
	}{
		{"-A INPUT -m mac --mac-source XX:XX:XX:XX:XX:XX", ir.IPv4, "looks anonymised"},
		{"-A INPUT -m mac --mac-source 0a:12:3e:4f:b2", ir.IPv4, "invalid MAC address"},
		{"-A INPUT -m mac", ir.IPv4, "--mac-source is required"},
		{"-A INPUT -m nfacct", ir.IPv4, "--nfacct-name is required"},
		{"-A INPUT -m nfacct ! --nfacct-name a", ir.IPv4, "cannot be negated"},
		{"-A INPUT -m nfacct --nfacct-name a --nfacct-name b", ir.IPv4, "can only be used once"},
		{"-A OUTPUT -m mac --mac-source 00:01:02:03:04:05", ir.IPv4, "only in PREROUTING, INPUT, FORWARD, not in OUTPUT"},
		{"-A INPUT -m iprange", ir.IPv4, "--src-range or --dst-range"},
		{"-A INPUT -m iprange --src-range ::1-::2", ir.IPv4, "invalid IPv4 (iptables) address range"},
		{"-A INPUT -m addrtype", ir.IPv4, "--src-type or --dst-type"},
		{"-A INPUT -m addrtype --src-type FOO", ir.IPv4, `unknown address type "FOO"`},
		{"-A INPUT -m addrtype --src-type LOCAL --limit-iface-in --limit-iface-out", ir.IPv4, "cannot be used together"},
		{"-A INPUT -m addrtype --src-type LOCAL --limit-iface-out", ir.IPv4, "only in FORWARD, OUTPUT, POSTROUTING"},
		{"-A INPUT -m addrtype --dst-type BROADCAST", ir.IPv6, "BROADCAST matching for IPv6"},
		{"-A INPUT -m pkttype --pkt-type loopback", ir.IPv4, `bad packet type "loopback"`},
		{"-A INPUT -m pkttype", ir.IPv4, "--pkt-type is required"},
		{"-A INPUT -m length --length 70000", ir.IPv4, "out of range (0-65535)"},
		{"-A INPUT -m length", ir.IPv4, "--length is required"},
		{"-A INPUT -m ttl --ttl-eq 256", ir.IPv4, "out of range (0-255)"},
		{"-A INPUT -m ttl --ttl-eq 3 --ttl-lt 5", ir.IPv4, "only one of --ttl-eq"},
		{"-A INPUT -m ttl ! --ttl-lt 5", ir.IPv4, "cannot be negated"},
		{"-A INPUT -m ttl", ir.IPv4, "you must specify one of --ttl-eq"},
		{"-A INPUT -m ttl --ttl-eq 3", ir.IPv6, "IPv4 (iptables) only"},
		{"-A INPUT -m tos --tos 0x100", ir.IPv4, "tos: bad value"},
		{"-A INPUT -m tos --tos Minimize-Cost", ir.IPv6, "IPv4 only"},
		{"-A INPUT -m tos", ir.IPv4, "--tos is required"},
		{"-A INPUT -m dscp --dscp 64", ir.IPv4, "out of range (0-63)"},
		{"-A INPUT -m dscp --dscp-class XX", ir.IPv4, "invalid DSCP class"},
		{"-A INPUT -m dscp --dscp 1 --dscp-class EF", ir.IPv4, "cannot be used together"},
		{"-A INPUT -m dscp", ir.IPv4, "--dscp or --dscp-class is required"},
		{"-A INPUT -m ecn --ecn-ip-ect 4", ir.IPv4, "out of range (0-3)"},
		{"-A INPUT -m ecn --ecn-tcp-cwr", ir.IPv4, `ecn match needs "-p tcp"`},
		{"-A INPUT -m ecn", ir.IPv4, "some option required"},
		{"-A INPUT -m devgroup", ir.IPv4, "--src-group or --dst-group"},
		{"-A FORWARD -m devgroup --src-group x", ir.IPv4, "invalid group"},
		{"-A INPUT -m devgroup --dst-group 1", ir.IPv4, "not in INPUT"},
		{"-A INPUT -m cpu --cpu x", ir.IPv4, "cpu: bad value"},
		{"-A INPUT -m cpu", ir.IPv4, "--cpu is required"},
		{"-A INPUT -m cgroup --cgroup 1 --path /a", ir.IPv4, "cannot be used together"},
		{"-A INPUT -m cgroup", ir.IPv4, "--path or --cgroup is required"},
		{"-A INPUT -m socket --transparent --transparent", ir.IPv4, "can only be used once"},
		{"-A INPUT -m socket ! --transparent", ir.IPv4, "cannot be negated"},
		{"-A OUTPUT -m socket", ir.IPv4, "only in PREROUTING, INPUT"},
		{"-A INPUT -m realm --realm nowhere", ir.IPv4, "invalid realm"},
		{"-A INPUT -m realm --realm 1", ir.IPv6, "IPv4 (iptables) only"},
		{"-A INPUT -m realm", ir.IPv4, "--realm is required"},
		{"-t mangle -A PREROUTING -m cluster --cluster-total-nodes 2 --cluster-local-node 1", ir.IPv4, `"--cluster-hash-seed" must be specified`},
		{"-t mangle -A PREROUTING -m cluster --cluster-total-nodes 33 --cluster-local-node 1 --cluster-hash-seed 1", ir.IPv4, "out of range (1-32)"},
		{"-t mangle -A PREROUTING -m cluster --cluster-total-nodes 4 --cluster-local-node 5 --cluster-hash-seed 1", ir.IPv4, "must be <= --cluster-total-nodes"},
		{"-t mangle -A PREROUTING -m cluster --cluster-total-nodes 2 --cluster-local-nodemask 4 --cluster-hash-seed 1", ir.IPv4, "names nodes above"},
		{"-t mangle -A PREROUTING -m cluster --cluster-total-nodes 2 --cluster-hash-seed 1", ir.IPv4, "--cluster-local-node or --cluster-local-nodemask must be specified"},
		{"-t mangle -A PREROUTING -m cluster --cluster-total-nodes 2 --cluster-local-node 1 --cluster-local-nodemask 1 --cluster-hash-seed 1", ir.IPv4, "cannot be used together"},
		{"-A INPUT -m rpfilter", ir.IPv4, `only valid in the raw or mangle table, not "filter"`},
		{"-A INPUT -p tcp -m tcpmss --mss 5:3", ir.IPv4, "invalid range"},
		{"-A INPUT -p tcp -m tcpmss --mss x", ir.IPv4, "tcpmss: bad value"},
		{"-A INPUT -m tcpmss --mss 5", ir.IPv4, `tcpmss match needs "-p tcp"`},
		{"-A INPUT -p tcp -m tcpmss", ir.IPv4, "--mss is required"},
		{"-A INPUT -p dccp --dccp-types FOO", ir.IPv4, `unknown DCCP type "FOO"`},
		{"-A INPUT -p dccp --dccp-option 256", ir.IPv4, "out of range (0-255)"},
		{"-A INPUT -p dccp --sport 1 --sport 2", ir.IPv4, "only one source port"},
		{"-A INPUT -m dccp --sport 1", ir.IPv4, `dccp match needs "-p dccp"`},
		{"-A INPUT -p ah -m ah --ahlen 5", ir.IPv4, "--ahlen is IPv6 only"},
		{"-A INPUT -m ah --ahspi 1", ir.IPv4, `ah match needs "-p ah"`},
		{"-A INPUT -p ah -m ah --ahspi 1:2:3", ir.IPv4, "ah: bad value"},
		{"-A INPUT -m esp --espspi 1", ir.IPv6, `esp match needs "-p esp"`},
		{"-A INPUT -m ipcomp --ipcompspi 1", ir.IPv4, `ipcomp match needs "-p ipcomp"`},
		{"-A INPUT -m frag --fragmore --fraglast", ir.IPv6, "cannot be used together"},
		{"-A INPUT -m frag --fragid 1", ir.IPv4, "IPv6 (ip6tables) only"},
		{"-A INPUT -m hbh --hbh-opts x", ir.IPv6, "invalid option type"},
		{"-A INPUT -m hbh --hbh-opts 1:x", ir.IPv6, "invalid option length"},
		{"-A INPUT -m hbh ! --hbh-opts 1", ir.IPv6, "cannot be negated"},
		{"-A INPUT -m rt --rt-0-addrs ::1", ir.IPv6, `"--rt-type 0" required`},
		{"-A INPUT -m rt --rt-type 0 --rt-0-not-strict", ir.IPv6, `"--rt-0-addrs ..." required`},
		{"-A INPUT -m rt --rt-type 0 --rt-0-addrs 1.2.3.4", ir.IPv6, "invalid IPv6 address"},
		{"-A INPUT -m rt --rt-type 256", ir.IPv6, "out of range (0-255)"},
		{"-A INPUT -p mh --mh-type nope", ir.IPv6, "invalid MH type"},
		{"-A INPUT -m mh --mh-type 1", ir.IPv6, `mh match needs "-p mh"`},
		{"-A INPUT -m ipv6header --header tcp", ir.IPv6, `unknown header "tcp"`},
		{"-A INPUT -m ipv6header --soft", ir.IPv6, `"--header" must be specified`},
		{"-A OUTPUT -m eui64", ir.IPv6, "not in OUTPUT"},
	}
	for _, c := range cases {
		_, err := parseCT(t, c.line, c.fam)
		if err == "" {
			t.Errorf("%s: no error, want %q", c.line, c.want)
			continue
		}
		if !strings.Contains(err, c.want) {
			t.Errorf("%s:\n got %s\nwant %q", c.line, err, c.want)
		}
		for _, l := range strings.Split(err, "\n") {
			if !positioned.MatchString(l) {
				t.Errorf("%s: error without a position: %s", c.line, l)
			}
		}
	}
}

func TestPacketLenient(t *testing.T) {
	toks, _, _ := SplitLine("-A INPUT -m tcpmss --mss 42", ir.Pos{File: "t", Line: 1, Col: 1})
	cmd, d := ParseCommand(toks, ParseOptions{Family: ir.IPv4, Lenient: true})
	if d.HasErrors() || len(cmd.Rules) != 1 {
		t.Fatalf("lenient parse failed: %v", d.Err())
	}
	if len(d.Items) == 0 {
		t.Errorf("lenient parse gave no warning")
	}
}
