package proptest

import (
	"fmt"
	"strings"
	"testing"
)

// The fragments random rules are built from: at least one per match and
// target extension the iptables frontend registers (TestCatalogCovers
// checks it against the parsed kinds), with options in the forms
// iptables-save writes. A fragment that needs a protocol carries its -p;
// one only some tables or chains allow is kept only where the frontend
// accepts it, since every candidate rule is parsed alone first.

// fragment is a piece of a rule for one family (0: both).
type fragment struct {
	fam  int // 0, 4 or 6
	text string
}

var matchFragments = []fragment{
	{0, "-m addrtype --src-type LOCAL"},
	{0, "-m addrtype ! --dst-type BROADCAST,MULTICAST --limit-iface-in"},
	{0, "-p ah -m ah ! --ahspi 100:200"},
	{0, "-m cgroup --cgroup 1"},
	{0, "-m cluster --cluster-total-nodes 2 --cluster-local-node 1 --cluster-hash-seed 0xdeadbeef"},
	{0, `-m comment --comment "a comment"`},
	{0, "-m connbytes --connbytes 1000: --connbytes-dir both --connbytes-mode bytes"},
	{0, "-m connbytes ! --connbytes 10:100 --connbytes-dir original --connbytes-mode packets"},
	{0, "-m connlabel --label 1"},
	{0, "-p tcp --syn -m connlimit --connlimit-above 10 --connlimit-mask 24"},
	{0, "-m connlimit --connlimit-upto 5 --connlimit-daddr"},
	{0, "-m connmark --mark 0x1/0xff"},
	{0, "-m connmark ! --mark 0x7"},
	{0, "-m conntrack --ctstate ESTABLISHED,RELATED"},
	{0, "-m conntrack ! --ctstatus SEEN_REPLY --ctdir REPLY"},
	{0, "-m conntrack --ctproto tcp --ctorigdstport 80"},
	{4, "-m conntrack --ctorigsrc 10.0.0.0/8 --ctexpire 10:100"},
	{6, "-m conntrack --ctrepldst 2001:db8::/32 --ctstate DNAT"},
	{0, "-m cpu --cpu 1"},
	{0, "-p dccp -m dccp --dport 100:200 --dccp-types REQUEST,RESPONSE"},
	{0, "-p dccp -m dccp --dccp-option 2"},
	{0, "-m devgroup --src-group 0x2"},
	{0, "-m devgroup ! --dst-group 0x3/0xff"},
	{0, "-m dscp --dscp 0x2e"},
	{0, "-m dscp ! --dscp-class EF"},
	{0, "-p tcp -m ecn --ecn-tcp-cwr"},
	{0, "-m ecn --ecn-ip-ect 1"},
	{0, "-p esp -m esp --espspi 100:200"},
	{0, "-m hashlimit --hashlimit-above 20kb/s --hashlimit-burst 1mb --hashlimit-mode dstip --hashlimit-name https --hashlimit-dstmask 24"},
	{0, "-p tcp -m hashlimit --hashlimit-upto 300 --hashlimit-burst 15 --hashlimit-mode srcip,dstport --hashlimit-name h2 --hashlimit-htable-expire 300000"},
	// Drawn often enough to be shared by several rules of a ruleset,
	// and with a second rate to be refused there.
	{0, "-m hashlimit --hashlimit-upto 5/min --hashlimit-mode srcip --hashlimit-name shared"},
	{0, "-m hashlimit --hashlimit-upto 5/min --hashlimit-mode srcip --hashlimit-name shared"},
	{0, "-m hashlimit --hashlimit-upto 6/min --hashlimit-mode srcip --hashlimit-name shared"},
	{0, "-m hashlimit --hashlimit-upto 10/sec --hashlimit-mode srcip --hashlimit-name ms --hashlimit-htable-expire 1500"},
	{0, "-m helper --helper ftp"},
	{4, "-p icmp -m icmp --icmp-type echo-request"},
	{4, "-p icmp -m icmp --icmp-type 3/4"},
	{4, "-p icmp -m icmp ! --icmp-type 11"},
	{6, "-p ipv6-icmp -m icmp6 --icmpv6-type echo-request"},
	{6, "-p ipv6-icmp -m icmp6 ! --icmpv6-type 1/3"},
	{0, "-p ipcomp -m ipcomp --ipcompspi 5"},
	{4, "-m iprange --src-range 10.0.0.1-10.0.0.9"},
	{6, "-m iprange ! --dst-range 2001:db8::1-2001:db8::9"},
	{0, "-m length --length 100:1500"},
	{0, "-m length ! --length 64"},
	{0, "-m limit --limit 5/min --limit-burst 10"},
	{0, "-m limit --limit 100/sec"},
	{0, "-m mac --mac-source 00:11:22:33:44:55"},
	{0, "-m mark --mark 0x1/0x1"},
	{0, "-m mark ! --mark 0x5"},
	{0, "-p tcp -m multiport --dports 80,443,8000:8080"},
	{0, "-p udp -m multiport ! --sports 53,123"},
	{0, "-p tcp -m multiport --ports 22"},
	{0, "-m owner --uid-owner 0"},
	{0, "-m owner ! --gid-owner 100-200"},
	{0, "-m owner --socket-exists"},
	{0, "-m physdev --physdev-in eth0"},
	{0, "-m pkttype --pkt-type broadcast"},
	{0, "-m policy --dir in --pol ipsec"},
	{0, "-m policy --dir out --pol none"},
	{0, "-m policy --dir in --pol ipsec --strict --proto esp"},
	{0, "-m quota --quota 1000000"},
	{4, "-m realm --realm 0x5"},
	{0, "-m recent --set --name x --mask 255.255.255.255 --rsource"},
	{0, "-m recent --rcheck --seconds 60 --hitcount 3 --name x"},
	{0, "-m rpfilter --loose"},
	{0, "-p sctp -m sctp --dport 5000 --chunk-types any INIT"},
	{0, "-p sctp -m sctp --sport 1:2"},
	{0, "-m set --match-set blocklist src"},
	{0, "-m socket --transparent"},
	{0, "-m state --state NEW,ESTABLISHED"},
	{0, "-m statistic --mode random --probability 0.25"},
	{0, "-m statistic --mode nth --every 3 --packet 1"},
	{0, `-m string --string "foo" --algo bm --to 65535`},
	{0, "-p tcp -m tcp --dport 22 --syn"},
	{0, "-p tcp -m tcp --sport 1024:65535 ! --tcp-flags SYN,ACK SYN"},
	{0, "-p tcp -m tcp --tcp-option 2"},
	{0, "-p tcp -m tcpmss --mss 1000:1500"},
	{0, "-m time --timestart 08:00 --timestop 17:00 --weekdays Mon,Tue"},
	{0, "-m time --datestart 2020-01-01T00:00:00 --datestop 2030-01-01T00:00:00"},
	{0, "-m tos --tos 0x10"},
	{0, "-m tos ! --tos 0x08/0xff"},
	{4, "-m ttl --ttl-gt 10"},
	{4, "-m ttl ! --ttl-eq 64"},
	{0, `-m u32 --u32 "0>>22&0x3C@0>>16=0x1"`},
	{0, "-p udp -m udp --dport 53"},
	{0, "-p udp -m udp ! --sport 1:1023"},
	{6, "-m dst --dst-len 8"},
	{6, "-m eui64"},
	{6, "-m frag --fragid 5 --fragfirst"},
	{6, "-m hbh --hbh-len 8"},
	{6, "-m hl --hl-lt 5"},
	{6, "-m ipv6header --header frag,hop-by-hop --soft"},
	{6, "-p mh -m mh --mh-type 5"},
	{6, "-m rt --rt-type 0 --rt-segsleft 2"},
	{4, "-f"},
}

var targetFragments = []fragment{
	{0, "-j ACCEPT"},
	{0, "-j DROP"},
	{0, "-j RETURN"},
	{4, "-j REJECT --reject-with icmp-host-prohibited"},
	{6, "-j REJECT --reject-with icmp6-adm-prohibited"},
	{0, "-p tcp -j REJECT --reject-with tcp-reset"},
	{0, `-j LOG --log-prefix "x: " --log-level 4 --log-tcp-options`},
	{0, "-j NFLOG --nflog-group 5 --nflog-prefix p"},
	{0, "-j AUDIT --type drop"},
	{0, "-p udp -j CHECKSUM --checksum-fill"},
	{0, "-j CLASSIFY --set-class 0001:0010"},
	{0, "-j CONNMARK --set-xmark 0x1/0xff"},
	{0, "-j CONNMARK --save-mark --nfmask 0xffffffff --ctmask 0xffffffff"},
	{0, "-j CONNMARK --restore-mark --nfmask 0xffffffff --ctmask 0xffffffff"},
	{0, "-j CT --notrack"},
	{0, "-p tcp -j CT --helper ftp"},
	{0, "-j CT --zone 5"},
	{0, "-j CT --ctevents new,related"},
	{4, "-p tcp -j DNAT --to-destination 10.0.0.1:80"},
	{6, "-p tcp -j DNAT --to-destination [2001:db8::1]:80"},
	{0, "-j DSCP --set-dscp 0x0a"},
	{6, "-j HL --hl-set 64"},
	{0, "-j MARK --set-xmark 0x1/0xff"},
	{0, "-j MASQUERADE"},
	{0, "-p tcp -j MASQUERADE --to-ports 1000-2000"},
	{4, "-j NETMAP --to 10.0.0.0/8"},
	{6, "-j NETMAP --to 2001:db8::/64"},
	{0, "-j NFQUEUE --queue-num 3 --queue-bypass"},
	{0, "-j NOTRACK"},
	{0, "-p tcp -j REDIRECT --to-ports 8080"},
	{0, "-j SET --add-set foo src"},
	{4, "-j SNAT --to-source 192.0.2.1"},
	{6, "-j SNAT --to-source 2001:db8::2"},
	{0, "-p tcp -j SYNPROXY --sack-perm --timestamp --wscale 7 --mss 1460"},
	{0, "-p tcp -m tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu"},
	{4, "-j TEE --gateway 10.0.0.1"},
	{6, "-j TEE --gateway 2001:db8::1"},
	{0, "-j TOS --set-tos 0x10/0x3f"},
	{0, "-p tcp -j TPROXY --on-port 1 --on-ip 0.0.0.0 --tproxy-mark 0x1/0x1"},
	{0, "-j TRACE"},
	{4, "-j TTL --ttl-set 64"},
}

// tables are the iptables tables and their built-in chains.
var tables = []struct {
	name     string
	builtins []string
}{
	{"filter", []string{"INPUT", "FORWARD", "OUTPUT"}},
	{"nat", []string{"PREROUTING", "INPUT", "OUTPUT", "POSTROUTING"}},
	{"mangle", []string{"PREROUTING", "INPUT", "FORWARD", "OUTPUT", "POSTROUTING"}},
	{"raw", []string{"PREROUTING", "OUTPUT"}},
	{"security", []string{"INPUT", "FORWARD", "OUTPUT"}},
}

// userChains are names of user chains, including names nft cannot take
// as they are (keywords, other characters) and names that collide once
// renamed.
var userChains = []string{"web", "ssh_in", "reject", "reject_chain", "dynamic", "GOOD~STUFF", "a.b", "x-y", "LOG_DROP", "counter"}

var ifaces = []string{"eth0", "eth+", "wlan0", "br-1234", "lo"}

var addrs = map[int][]string{
	4: {"10.0.0.1", "192.168.0.0/16", "172.16.0.0/255.240.0.0", "0.0.0.0/0", "203.0.113.7/32"},
	6: {"2001:db8::1", "2001:db8::/32", "fe80::/10", "::/0", "::1/128"},
}

var protos = map[int][]string{
	4: {"tcp", "udp", "icmp", "sctp", "47", "all"},
	6: {"tcp", "udp", "ipv6-icmp", "sctp", "47", "all"},
}

// TestCatalogParses makes sure the catalog is not stale: every fragment
// is accepted by the frontend in some table and chain of its families,
// and together they reach many kinds of the model.
func TestCatalogParses(t *testing.T) {
	kinds := map[string]bool{}
	for _, fs := range [][]fragment{matchFragments, targetFragments} {
		for _, f := range fs {
			ok := false
			for _, fam := range []int{4, 6} {
				if f.fam != 0 && f.fam != fam {
					continue
				}
				g := &gen{fam: fam}
				for _, tb := range tables {
					for _, c := range tb.builtins {
						body := "-A " + c + " " + f.text
						if strings.HasPrefix(f.text, "-m") && !strings.Contains(f.text, "-j ") {
							body += " -j ACCEPT"
						}
						rs, d := load(fmt.Sprintf("*%s\n:%s ACCEPT [0:0]\n%s\nCOMMIT\n", tb.name, c, body), g.family())
						if d.HasErrors() {
							continue
						}
						ok = true
						for _, tab := range rs.Tables {
							for _, ch := range tab.Chains {
								for _, r := range ch.Rules {
									for _, m := range r.Matches {
										kinds[fmt.Sprintf("%T", m)] = true
									}
									kinds[fmt.Sprintf("%T", r.Target)] = true
								}
							}
						}
					}
				}
			}
			if !ok {
				t.Errorf("no table or chain takes %q", f.text)
			}
		}
	}
	// 81 kinds today (matches and targets); fewer means fragments stopped
	// reaching the model.
	if len(kinds) < 75 {
		t.Errorf("the catalog reaches only %d kinds of the model", len(kinds))
	}
	t.Logf("the catalog reaches %d kinds of the model", len(kinds))
}
