package nftables_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/internal/testenv"
	"github.com/ruleshift/ruleshift/translate/ir"
)

var pkCases = []struct {
	line string
	fam  ir.Family
	want string // "" when refused with err
	err  string
}{
	{"-A INPUT -m mac ! --mac-source 0a:12:3e:4f:b2:c6", ir.IPv4, "ether saddr != 0a:12:3e:4f:b2:c6", ""},
	{"-A INPUT -m iprange --src-range 10.0.0.1-10.0.0.1 ! --dst-range 10.0.0.5-10.0.0.9", ir.IPv4, "ip saddr 10.0.0.1 ip daddr != 10.0.0.5-10.0.0.9", ""},
	{"-A INPUT -m iprange --src-range 10.0.0.5-10.0.0.1", ir.IPv4, "", "reversed"},
	{"-A INPUT -m iprange ! --src-range 10.0.0.5-10.0.0.1 -j DROP", ir.IPv4, "drop", ""},
	{"-A INPUT -m addrtype --src-type THROW,LOCAL --limit-iface-in", ir.IPv4, "fib saddr . iif type { local, 9 }", ""},
	{"-A OUTPUT -m addrtype ! --dst-type UNICAST --limit-iface-out", ir.IPv6, "fib daddr . oif type != unicast", ""},
	{"-A INPUT -m pkttype --pkt-type otherhost", ir.IPv4, "pkttype other", ""},
	{"-A INPUT -m length --length 5:3", ir.IPv4, "", "reversed"},
	{"-A INPUT -m length ! --length 40:", ir.IPv4, "meta length != 40-65535", ""},
	{"-A INPUT -m ttl --ttl-lt 5", ir.IPv4, "ip ttl lt 5", ""},
	{"-A INPUT -m hl ! --hl-eq 255", ir.IPv6, "ip6 hoplimit != 255", ""},
	{"-A INPUT -m tos --tos Minimize-Delay", ir.IPv4, "@nh,8,8 & 0x3f == 0x10", ""},
	{"-A INPUT -m tos ! --tos 0x20/0xe0", ir.IPv6, "@nh,0,16 & 0xe00 != 0x200", ""},
	{"-A INPUT -m dscp --dscp-class EF", ir.IPv6, "ip6 dscp 0x2e", ""},
	{"-A INPUT -p tcp -m ecn --ecn-tcp-ece ! --ecn-tcp-cwr ! --ecn-ip-ect 3", ir.IPv4, "ip protocol tcp tcp flags ecn tcp flags & cwr == 0 ip ecn != ce", ""},
	{"-A FORWARD -m devgroup --src-group 0x2/0xf ! --dst-group 7", ir.IPv4, "iifgroup and 0xf == 0x2 oifgroup != 0x7", ""},
	{"-A INPUT -m cpu --cpu 3", ir.IPv4, "cpu 3", ""},
	{"-A OUTPUT -m cgroup ! --path /user.slice/x", ir.IPv4, `socket cgroupv2 level 2 != "user.slice/x"`, ""},
	{"-A INPUT -m socket --nowildcard --restore-skmark", ir.IPv6, "socket wildcard le 1 meta mark set socket mark", ""},
	{"-A INPUT -m realm ! --realm 0x10/0xff", ir.IPv4, "rtclassid and 0xff != 0x10", ""},
	{"-t mangle -A PREROUTING -m cluster --cluster-total-nodes 2 --cluster-local-node 1 --cluster-hash-seed 1", ir.IPv4,
		"jhash ct original ip saddr mod 2 seed 0x1 eq 0 meta pkttype set host", ""},
	{"-t mangle -A PREROUTING -m cluster --cluster-total-nodes 4 ! --cluster-local-nodemask 5 --cluster-hash-seed 1", ir.IPv6,
		"jhash ct original ip6 saddr mod 4 seed 0x1 != 0 jhash ct original ip6 saddr mod 4 seed 0x1 != 2 meta pkttype set host", ""},
	{"-t raw -A PREROUTING -m rpfilter --loose", ir.IPv4, "fib saddr oif != 0", ""},
	{"-t raw -A PREROUTING -m rpfilter --accept-local", ir.IPv4, "", "--accept-local"},
	{"-A INPUT -p tcp -m tcpmss --mss 0:65535", ir.IPv4, "ip protocol tcp tcp option maxseg exists", ""},
	{"-A INPUT -p tcp -m tcpmss ! --mss 536", ir.IPv4, "", "without an MSS option"},
	{"-A INPUT -p dccp -m dccp --sport 0:65535", ir.IPv4, "meta l4proto dccp", ""},
	{"-A INPUT -p dccp ! --dccp-types RESET,SYNC", ir.IPv6, "dccp type != { reset, sync }", ""},
	{"-A INPUT -p dccp --dccp-option 4", ir.IPv4, "", "no DCCP option"},
	{"-A INPUT -p ah -m ah ! --ahspi 0:4294967295", ir.IPv4, "ah spi != 0-4294967295", ""},
	{"-A INPUT -m ah --ahlen 24 --ahres", ir.IPv6, "ah hdrlength 4 ah reserved 0", ""},
	{"-A INPUT -m ah --ahlen 6", ir.IPv6, "", "never matches"},
	{"-A INPUT -m ah ! --ahlen 6", ir.IPv6, "meta l4proto ah", ""},
	{"-A INPUT -p esp -m esp --espspi 5:", ir.IPv6, "esp spi 5-4294967295", ""},
	{"-A INPUT -p ipcomp -m ipcomp --ipcompspi 70000", ir.IPv4, "", "16 bits"},
	{"-A INPUT -p ipcomp -m ipcomp --ipcompspi 5:70000", ir.IPv4, "comp cpi 5-65535", ""},
	{"-A INPUT -p ipcomp -m ipcomp --compres", ir.IPv4, "", "--compres"},
	{"-A INPUT -m frag --fraglen 8", ir.IPv6, "exthdr frag exists", ""},
	{"-A INPUT -m frag ! --fragid 0:4294967295 --fragres --fragfirst --fragmore", ir.IPv6,
		"frag id != 0-4294967295 frag reserved 0 frag reserved2 0 frag frag-off 0 frag more-fragments 1", ""},
	{"-A INPUT -m hbh --hbh-len 16", ir.IPv6, "hbh hdrlength 1", ""},
	{"-A INPUT -m dst ! --dst-len 16", ir.IPv6, "dst hdrlength != 1", ""},
	{"-A INPUT -m dst --dst-opts 1", ir.IPv6, "", "options inside"},
	{"-A INPUT -m rt --rt-segsleft 300:", ir.IPv6, "", "above 255"},
	{"-A INPUT -m rt ! --rt-segsleft 0:4294967295", ir.IPv6, "rt seg-left != 0-255", ""},
	{"-A INPUT -m rt --rt-segsleft 10:4294967295 --rt-len 24", ir.IPv6, "rt seg-left 10-255 rt hdrlength 2", ""},
	{"-A INPUT -m rt --rt-type 0 --rt-0-res", ir.IPv6, "", "reserved field"},
	{"-A INPUT -p mh --mh-type 0:255", ir.IPv6, "exthdr mh exists", ""},
	{"-A INPUT -p mh ! --mh-type 1:3", ir.IPv6, "mh type != 1-3", ""},
	{"-A INPUT -m ipv6header --header hop,frag --soft", ir.IPv6, "exthdr hbh exists exthdr frag exists", ""},
	{"-A INPUT -m ipv6header ! --header route --soft", ir.IPv6, "exthdr rt missing", ""},
	{"-A INPUT -m ipv6header --header hop", ir.IPv6, "", "--soft form"},
	{"-A INPUT -m eui64", ir.IPv6, "", "EUI-64"},
	{"-A INPUT -p sctp --chunk-types all DATA:Be,INIT", ir.IPv4, "sctp chunk data flags & 0x3 == 0x2 sctp chunk init exists", ""},
	{"-A INPUT -p sctp --chunk-types only PAD", ir.IPv4, "", "cannot test chunk type"},
}

func TestPacketNft(t *testing.T) {
	for _, c := range pkCases {
		got, err := ruleText(t, c.fam, c.line, nil)
		switch {
		case c.err != "" && err == nil:
			t.Errorf("%s: got %q, want an error with %q", c.line, got, c.err)
		case c.err != "" && !strings.Contains(err.Error(), c.err):
			t.Errorf("%s: error %v, want %q", c.line, err, c.err)
		case c.err == "" && err != nil:
			t.Errorf("%s: %v", c.line, err)
		case c.err == "" && got != c.want:
			t.Errorf("%s:\n got %s\nwant %s", c.line, got, c.want)
		}
	}
}

// TestPacketNftLoads loads every accepted translation into nft 1.0.6.
func TestPacketNftLoads(t *testing.T) {
	testenv.RequireBinary(t, "nft")
	ns := testenv.NewNetns(t, "hP-nft")
	for _, c := range pkCases {
		if c.err != "" {
			continue
		}
		hook := "prerouting"
		if strings.Contains(c.line, "-A OUTPUT") {
			hook = "output"
		}
		script := fmt.Sprintf("flush ruleset\nadd table %s t\nadd chain %s t c { type filter hook %s priority 0; }\nadd rule %s t c %s\n",
			c.fam, c.fam, hook, c.fam, c.want)
		if strings.Contains(c.want, "cgroupv2") {
			continue // the path must exist on the machine
		}
		if _, err := ns.Run([]byte(script), "nft", "-f", "-"); err != nil {
			t.Errorf("%s: %v", c.line, err)
			continue
		}
		if _, err := ns.Run(nil, "nft", "list", "ruleset"); err != nil {
			t.Errorf("%s: nft cannot list it back: %v", c.line, err)
		}
	}
}
