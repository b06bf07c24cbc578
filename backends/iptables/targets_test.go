package iptables_test

import (
	"os"
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/backends/iptables"
	ipt "github.com/ruleshift/ruleshift/translate/iptables"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// renderLine parses one rule and renders it back for variant v.
func renderLine(t *testing.T, fam ir.Family, v *iptables.Variant, line string) (string, error) {
	t.Helper()
	toks, _, _ := ipt.SplitLine(line, ir.Pos{File: "t", Line: 1, Col: 1})
	cmd, d := ipt.ParseCommand(toks, ipt.ParseOptions{Family: fam})
	if d.HasErrors() {
		t.Fatalf("%q: %v", line, d.Err())
	}
	args, rd := iptables.RuleArgs(cmd.Rules[0], fam, v)
	if rd.HasErrors() {
		return "", rd.Err()
	}
	return strings.Join(args, " "), nil
}

func TestRenderTargets(t *testing.T) {
	v4, v6 := ir.IPv4, ir.IPv6
	cases := []struct {
		fam        ir.Family
		line, want string
	}{
		{v4, "-t nat -A PREROUTING -p tcp -j DNAT --to 1.2.3.4-1.2.3.9:80-90/100 --persistent --random", "-p tcp -j DNAT --to-destination 1.2.3.4-1.2.3.9:80-90/100 --random --persistent"},
		{v4, "-t nat -A OUTPUT -p udp -j DNAT --to-destination :53", "-p udp -j DNAT --to-destination :53"},
		{v6, "-t nat -A PREROUTING -p tcp -j DNAT --to-destination [fec0::1-fec0::9]:1-20", "-p tcp -j DNAT --to-destination [fec0::1-fec0::9]:1-20"},
		{v6, "-t nat -A PREROUTING -j DNAT --to-destination fec0::1-fec0::9", "-j DNAT --to-destination fec0::1-fec0::9"},
		{v4, "-t nat -A POSTROUTING -j SNAT --to 1.2.3.4 --persistent --random-fully --random", "-j SNAT --to-source 1.2.3.4 --random --random-fully --persistent"},
		{v4, "-t nat -A POSTROUTING -p tcp -j MASQUERADE --random-fully --to-ports 10-20", "-p tcp -j MASQUERADE --to-ports 10-20 --random-fully"},
		{v4, "-t nat -A PREROUTING -p tcp -j REDIRECT --random --to-ports 8080", "-p tcp -j REDIRECT --to-ports 8080 --random"},
		{v4, "-t nat -A PREROUTING -j NETMAP --to 10.1.2.3/8", "-j NETMAP --to 10.0.0.0/8"},
		{v4, "-A FORWARD -p tcp --syn -j TCPMSS --clamp-mss-to-pmtu", "-p tcp -m tcp --tcp-flags FIN,SYN,RST,ACK SYN -j TCPMSS --clamp-mss-to-pmtu"},
		{v4, "-t mangle -A POSTROUTING -j CHECKSUM --checksum-fill", "-j CHECKSUM --checksum-fill"},
		{v4, "-t mangle -A PREROUTING -p tcp -j TPROXY --on-port 1", "-p tcp -j TPROXY --on-port 1 --on-ip 0.0.0.0 --tproxy-mark 0x0/0x0"},
		{v6, "-t mangle -A PREROUTING -p tcp -j TPROXY --on-port 1 --on-ip ::1 --tproxy-mark 5", "-p tcp -j TPROXY --on-port 1 --on-ip ::1 --tproxy-mark 0x5/0xffffffff"},
		{v4, "-t mangle -A INPUT -j TTL --ttl-inc 2", "-j TTL --ttl-inc 2"},
		{v6, "-t mangle -A INPUT -j HL --hl-set 2", "-j HL --hl-set 2"},
		{v4, "-t mangle -A INPUT -j DSCP --set-dscp-class EF", "-j DSCP --set-dscp 0x2e"},
		{v4, "-t mangle -A INPUT -j TOS --and-tos 0x12", "-j TOS --set-tos 0x00/0xed"},
		{v4, "-A OUTPUT -j CLASSIFY --set-class 1:2", "-j CLASSIFY --set-class 0001:0002"},
		{v4, "-A INPUT -j NFQUEUE", "-j NFQUEUE --queue-num 0"},
		{v4, "-A INPUT -j NFQUEUE --queue-cpu-fanout --queue-balance 2:5 --queue-bypass", "-j NFQUEUE --queue-balance 2:5 --queue-bypass --queue-cpu-fanout"},
		{v4, "-A INPUT -j AUDIT --type Reject", "-j AUDIT --type reject"},
		{v4, "-t raw -A OUTPUT -j TRACE", "-j TRACE"},
		{v4, "-A INPUT -p tcp -j SYNPROXY --mss 1460 --wscale 0 --timestamp --sack-perm", "-p tcp -j SYNPROXY --sack-perm --timestamp --wscale 0 --mss 1460"},
		{v4, "-A INPUT -j TEE --oif eth0 --gateway 1.2.3.4", "-j TEE --gateway 1.2.3.4 --oif eth0"},
		{v4, "-A INPUT -j SET --timeout 5 --exist --add-set foo src,dst", "-j SET --add-set foo src,dst --exist --timeout 5"},
		{v4, "-A INPUT -j SET --del-set foo dst", "-j SET --del-set foo dst"},
	}
	for _, c := range cases {
		got, err := renderLine(t, c.fam, iptables.Legacy, c.line)
		if err != nil {
			t.Errorf("%q: %v", c.line, err)
			continue
		}
		if got != c.want {
			t.Errorf("%q:\n got  %s\n want %s", c.line, got, c.want)
		}
	}
}

// TestTCPMSSLegacySyn checks the kernel rule that only iptables-legacy
// enforces: TCPMSS needs a SYN match.
func TestTCPMSSLegacySyn(t *testing.T) {
	line := "-A FORWARD -p tcp -j TCPMSS --set-mss 1400"
	if _, err := renderLine(t, ir.IPv4, iptables.Legacy, line); err == nil || !strings.Contains(err.Error(), "SYN match") {
		t.Errorf("legacy: want a SYN match error, got %v", err)
	}
	if got, err := renderLine(t, ir.IPv4, iptables.NFT, line); err != nil || got != "-p tcp -j TCPMSS --set-mss 1400" {
		t.Errorf("nft variant: got %q, %v", got, err)
	}
}

// TestTargetsKernelRoundTrip loads testdata/targets.v4/.v6 as they are and
// as ruleshift renders them, and compares the kernel's listings.
func TestTargetsKernelRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		file string
		fam  ir.Family
	}{{"testdata/targets.v4", ir.IPv4}, {"testdata/targets.v6", ir.IPv6}} {
		data, err := os.ReadFile(tc.file)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range []*iptables.Variant{iptables.Legacy, iptables.NFT} {
			kernelRoundTrip(t, v, tc.fam, tc.file, data, "hC-rt")
		}
	}
}
