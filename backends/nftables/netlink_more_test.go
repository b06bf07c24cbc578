package nftables_test

import (
	"sort"
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/backends/nftables"
	"github.com/ruleshift/ruleshift/internal/testenv"
	"github.com/ruleshift/ruleshift/translate"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// moreV4 and moreV6 use the constructs nft -f loaded before the netlink
// encoder covered them (netlink_rule_more.go).
const moreV4 = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -p tcp --dport 1 -j AUDIT --type drop
-A INPUT -m time --timestart 08:00 --timestop 17:00 --weekdays Mon,Tue -j ACCEPT
-A INPUT -m time --weekdays Wed -j ACCEPT
-A INPUT -m time --datestart 2020-01-01T00:00:00 --datestop 2030-01-01T00:00:00 -j ACCEPT
-A INPUT -m hashlimit --hashlimit-above 20kb/s --hashlimit-burst 1mb --hashlimit-mode dstip --hashlimit-name https --hashlimit-dstmask 24 -j DROP
-A INPUT -m hashlimit --hashlimit-upto 1000b/s --hashlimit-mode srcip --hashlimit-name b1 -j DROP
-A INPUT -p tcp -m hashlimit --hashlimit-upto 300 --hashlimit-burst 15 --hashlimit-mode srcip,dstport --hashlimit-name h2 --hashlimit-htable-expire 300000 -j ACCEPT
-A INPUT -p udp -m hashlimit --hashlimit-upto 5/min --hashlimit-mode srcip,dstip --hashlimit-name sh2 -j ACCEPT
-A INPUT -p udp -m hashlimit --hashlimit-upto 5/min --hashlimit-mode srcip,dstip --hashlimit-name sh2 -j ACCEPT
-A INPUT -p tcp --syn -m connlimit --connlimit-above 10 --connlimit-mask 24 -j REJECT
-A INPUT -m connlimit --connlimit-upto 5 --connlimit-daddr -j ACCEPT
-A INPUT -m addrtype --dst-type LOCAL,BROADCAST -j ACCEPT
-A INPUT -m addrtype ! --src-type LOCAL,MULTICAST -j ACCEPT
COMMIT
*mangle
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -j CONNMARK --save-mark --nfmask 0xff00 --ctmask 0xffffffff --right-shift-mark 8
-A PREROUTING -j CONNMARK --restore-mark --nfmask 0xffffffff --ctmask 0xff00 --left-shift-mark 4
-A PREROUTING -j TEE --gateway 10.0.0.1 --oif lo
-A OUTPUT -m conntrack --ctproto tcp --ctorigdstport 80 -m devgroup ! --dst-group 3 -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu
-A OUTPUT -m conntrack ! --ctproto udp -p udp --dport 53 -j ACCEPT
COMMIT
`

const moreV6 = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -p ipv6-icmp -m icmp6 ! --icmpv6-type 1/3 -j DROP
-A INPUT -p ipv6-icmp -m icmp6 --icmpv6-type 1/4 -j DROP
-A INPUT -m connlimit --connlimit-above 2 --connlimit-mask 64 -j DROP
-A INPUT -p tcp -m hashlimit --hashlimit-upto 300 --hashlimit-mode srcip,srcport --hashlimit-name h6 -j ACCEPT
COMMIT
*mangle
:PREROUTING ACCEPT [0:0]
-A PREROUTING -j TEE --gateway 2001:db8::1 --oif lo
COMMIT
`

// TestNetlinkMoreConstructs is TestNetlinkExtConstructs for the inputs
// above.
func TestNetlinkMoreConstructs(t *testing.T) {
	testenv.RequireRoot(t)
	testenv.RequireBinary(t, "nft", "nsenter")
	for _, in := range []extInput{{"more.v4", moreV4, ir.IPv4}, {"more.v6", moreV6, ir.IPv6}} {
		compareNetlinkLoad(t, in, "hM", setOrder)
	}
}

// setOrder sorts the elements of each set block of a --debug=netlink
// listing: a hash set (fib types) lists its elements in the order of a
// hash seeded at random. The sets and the rules keep their order.
func setOrder(listing string) string {
	var out, cur strings.Builder
	inSet := false
	flush := func() {
		if inSet {
			ls := strings.SplitAfter(cur.String(), "\n")
			sort.Strings(ls[1:])
			out.WriteString(strings.Join(ls, ""))
		} else {
			out.WriteString(cur.String())
		}
		cur.Reset()
	}
	for _, l := range strings.SplitAfter(listing, "\n") {
		if l != "" && l[0] != ' ' && l[0] != '\t' && l != "\n" {
			flush()
			inSet = strings.Contains(l, " @")
		}
		cur.WriteString(l)
	}
	flush()
	return out.String()
}

// TestNetlinkDupMissingDevice: nft refuses "dup to ADDR device DEV" when
// DEV does not exist where it loads the rule, and so does Apply, naming
// the rule and changing nothing.
func TestNetlinkDupMissingDevice(t *testing.T) {
	testenv.RequireRoot(t)
	testenv.RequireBinary(t, "nft", "nsenter")
	const in = "*mangle\n:PREROUTING ACCEPT [0:0]\n-A PREROUTING -j TEE --gateway 10.0.0.1 --oif rsnodev0\nCOMMIT\n"
	rs, d := translate.Load([]translate.Input{{Name: "dup", Data: []byte(in)}}, translate.Options{Family: ir.IPv4})
	if d.HasErrors() {
		t.Fatal(d.Err())
	}
	script, _ := nftables.Render(rs, nftables.Options{})
	ns := testenv.NewNetns(t, "hMd")
	if _, err := ns.Run([]byte(script), "nft", "-f", "-"); err == nil {
		t.Fatalf("nft -f loads a dup to a missing device:\n%s", script)
	}
	_, err := nftables.Apply(rs, nftables.ApplyOptions{NetNS: "/run/netns/" + ns.Name})
	if err == nil || !strings.Contains(err.Error(), `dup:3:`) || !strings.Contains(err.Error(), `"rsnodev0"`) {
		t.Errorf("apply: %v, want an error naming dup:3 and the device", err)
	}
	if left, _ := ns.Run(nil, "nft", "list", "ruleset"); left != "" {
		t.Errorf("the refused apply left:\n%s", left)
	}
}

// TestLoweringRefusesWhatNftTruncates: a hashlimit byte burst beyond 32
// bits, which nft 1.0.6 would load modulo 2^32, is refused by the
// lowering, so translate and apply agree.
func TestLoweringRefusesWhatNftTruncates(t *testing.T) {
	const in = "*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -m hashlimit --hashlimit-upto 10mb/s --hashlimit-burst 8000mb --hashlimit-mode srcip --hashlimit-name x -j ACCEPT\nCOMMIT\n"
	rs, d := translate.Load([]translate.Input{{Name: "hl", Data: []byte(in)}}, translate.Options{Family: ir.IPv4})
	if d.HasErrors() {
		t.Fatal(d.Err())
	}
	_, d = nftables.Render(rs, nftables.Options{})
	if !d.HasErrors() || !strings.Contains(d.Err().Error(), "hl:3:") || !strings.Contains(d.Err().Error(), "8388608000 bytes") {
		t.Errorf("render: %v, want the burst refused at hl:3", d.Err())
	}
}

// connlimitOrder has a shared port set and a connlimit set in one table:
// nft -f creates the declared set first, and so must the netlink loader
// for "nft list ruleset" to list them in the same order.
const connlimitOrder = `*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -p tcp -m multiport --dports 80,443,8000:8080 -j ACCEPT
-A PREROUTING -p udp -m multiport --dports 80,443,8000:8080 -j ACCEPT
-A OUTPUT -p tcp -m multiport --dports 80,443,8000:8080 -j ACCEPT
-A OUTPUT -p tcp --syn -m connlimit --connlimit-above 10 --connlimit-mask 24 -j DROP
-A OUTPUT -p tcp -m multiport --dports 22,23 -j ACCEPT
-A OUTPUT -m connlimit --connlimit-upto 3 -j ACCEPT
COMMIT
`

func TestNetlinkConnlimitSetOrder(t *testing.T) {
	testenv.RequireRoot(t)
	testenv.RequireBinary(t, "nft", "nsenter")
	compareNetlinkLoad(t, extInput{"connlimit.v4", connlimitOrder, ir.IPv4}, "hMo", setOrder)
}
