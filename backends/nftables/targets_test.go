package nftables_test

import (
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/backends/nftables"
	ipt "github.com/ruleshift/ruleshift/translate/iptables"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// ruleText parses one iptables command (table filter unless -t says
// otherwise) and renders its first rule for nft without a counter; decls,
// which may be nil, collects the sets and objects the rule declares. It
// serves the packet, conntrack and target tests of this package.
func ruleText(t *testing.T, fam ir.Family, line string, decls *nftables.Decls) (string, error) {
	t.Helper()
	toks, _, _ := ipt.SplitLine(line, ir.Pos{File: "t", Line: 1, Col: 1})
	cmd, d := ipt.ParseCommand(toks, ipt.ParseOptions{Family: fam})
	if d.HasErrors() {
		t.Fatalf("%q: %v", line, d.Err())
	}
	table := cmd.Table
	if table == "" {
		table = "filter"
	}
	text, rd := nftables.RuleText(cmd.Rules[0], nftables.RuleContext{Family: fam, Table: table, Chain: cmd.Chain, Base: ipt.BaseOf(table, cmd.Chain), NoCounter: true, Decls: decls})
	if rd.HasErrors() {
		return "", rd.Err()
	}
	return text, nil
}

func TestNftTargets(t *testing.T) {
	v4, v6 := ir.IPv4, ir.IPv6
	cases := []struct {
		fam        ir.Family
		line, want string
	}{
		{v4, "-t nat -A PREROUTING -p tcp -j DNAT --to 1.2.3.4-1.2.3.9:80-90 --random --persistent", "ip protocol tcp dnat to 1.2.3.4-1.2.3.9:80-90 random,persistent"},
		{v4, "-t nat -A OUTPUT -p udp -j DNAT --to-destination :53", "ip protocol udp dnat to :53"},
		{v6, "-t nat -A PREROUTING -p tcp -j DNAT --to-destination [fec0::1-fec0::9]:1-20", "meta l4proto tcp dnat to [fec0::1]-[fec0::9]:1-20"},
		{v6, "-t nat -A PREROUTING -j DNAT --to-destination fec0::1-fec0::9", "dnat to fec0::1-fec0::9"},
		{v4, "-t nat -A POSTROUTING -j SNAT --to 1.2.3.4 --random-fully --persistent", "snat to 1.2.3.4 fully-random,persistent"},
		{v4, "-t nat -A POSTROUTING -p tcp -j MASQUERADE --to-ports 10-20 --random", "ip protocol tcp masquerade to :10-20 random"},
		{v4, "-t nat -A PREROUTING -j REDIRECT", "redirect"},
		{v4, "-t nat -A PREROUTING -j NETMAP --to 10.0.0.0/8", "dnat ip prefix to 10.0.0.0/8"},
		{v6, "-t nat -A INPUT -j NETMAP --to fec0::/64", "snat ip6 prefix to fec0::/64"},
		{v4, "-A FORWARD -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --set-mss 90", "tcp flags syn / syn,rst tcp option maxseg size set 90"},
		{v4, "-t mangle -A PREROUTING -p tcp -j TPROXY --on-port 1 --on-ip 10.0.0.1 --tproxy-mark 0x23/0xff", "ip protocol tcp tproxy to 10.0.0.1:1 meta mark set meta mark & 0xffffff00 xor 0x23 accept"},
		{v6, "-t mangle -A PREROUTING -p tcp -j TPROXY --on-port 0 --on-ip dead::beef", "meta l4proto tcp tproxy to dead::beef accept"},
		{v4, "-t mangle -A PREROUTING -p udp -j TPROXY --on-port 5 --tproxy-mark 1", "ip protocol udp tproxy to :5 meta mark set 0x1 accept"},
		{v4, "-t mangle -A INPUT -j TTL --ttl-set 64", "ip ttl set 64"},
		{v6, "-t mangle -A INPUT -j HL --hl-set 64", "ip6 hoplimit set 64"},
		{v6, "-t mangle -A INPUT -j DSCP --set-dscp 6", "ip6 dscp set 0x06"},
		{v4, "-t mangle -A INPUT -j TOS --set-tos 0x1f", "ip dscp set 0x07 ip ecn set ce"},
		{v4, "-t mangle -A INPUT -j TOS --set-tos 0x10/0xfc", "ip dscp set 0x04"},
		{v4, "-t mangle -A INPUT -j TOS --set-tos 0x02/0x03", "ip ecn set ect0"},
		{v4, "-A OUTPUT -j CLASSIFY --set-class 1:234", "meta priority set 1:234"},
		{v4, "-A INPUT -j NFQUEUE --queue-balance 0:3 --queue-bypass --queue-cpu-fanout", "queue num 0-3 bypass,fanout"},
		{v4, "-A INPUT -j AUDIT --type drop", "log level audit"},
		{v4, "-t raw -A PREROUTING -j TRACE", "nftrace set 1"},
		{v4, "-A INPUT -p tcp -j SYNPROXY --sack-perm --timestamp --wscale 7 --mss 1460", "ip protocol tcp synproxy mss 1460 wscale 7 timestamp sack-perm"},
		{v4, "-t mangle -A PREROUTING -j TEE --gateway 1.2.3.4 --oif eth0", "dup to 1.2.3.4 device \"eth0\""},
	}
	for _, c := range cases {
		got, err := ruleText(t, c.fam, c.line, nil)
		if err != nil {
			t.Errorf("%q: %v", c.line, err)
			continue
		}
		if got != c.want {
			t.Errorf("%q:\n got  %s\n want %s", c.line, got, c.want)
		}
	}
}

func TestNftTargetsRefused(t *testing.T) {
	cases := []struct {
		fam        ir.Family
		line, want string
	}{
		{ir.IPv4, "-t nat -A PREROUTING -p tcp -j DNAT --to 1.2.3.4:80-90/100", "port offset"},
		{ir.IPv4, "-t nat -A PREROUTING -j DNAT --to 1.1.1.5-1.1.1.1", "reversed"},
		{ir.IPv4, "-t nat -A PREROUTING -p icmp -j DNAT --to 1.1.1.1:5", "ICMP ids"},
		{ir.IPv4, "-t nat -N user -A user -j NETMAP --to 10.0.0.0/8", "user chain"},
		{ir.IPv4, "-t mangle -A INPUT -j TTL --ttl-inc 1", "add to or subtract"},
		{ir.IPv6, "-t mangle -A INPUT -j HL --hl-dec 1", "add to or subtract"},
		{ir.IPv4, "-t mangle -A INPUT -j TOS --set-tos Minimize-Delay", "DSCP field to a constant"},
		{ir.IPv4, "-t mangle -A INPUT -j TOS --and-tos 0xfd", "ECN field to a constant"},
		{ir.IPv4, "-t mangle -A POSTROUTING -j CHECKSUM --checksum-fill", "fills in a checksum"},
		{ir.IPv4, "-A INPUT -j SET --add-set foo src", "cannot see ipset"},
	}
	for _, c := range cases {
		_, err := ruleText(t, c.fam, strings.Replace(c.line, "-N user ", "", 1), nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want an error containing %q", c.line, err, c.want)
		}
	}
}
