package iptables

import (
	"net/netip"
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/translate/ir"
)

// parseTarget parses one command line and returns its rule's target and
// the error messages (each with its position).
func parseTarget(t *testing.T, fam ir.Family, line string) (ir.Target, []string) {
	t.Helper()
	toks, _, ok := SplitLine(line, ir.Pos{File: "t", Line: 1, Col: 1})
	if !ok {
		t.Fatalf("cannot split %q", line)
	}
	cmd, diags := ParseCommand(toks, ParseOptions{Family: fam})
	var errs []string
	for _, d := range diags.Errors() {
		if d.Pos.Line == 0 {
			t.Errorf("%q: error without a position: %s", line, d.Msg)
		}
		errs = append(errs, d.String())
	}
	if len(errs) > 0 || len(cmd.Rules) == 0 {
		return nil, errs
	}
	return cmd.Rules[0].Target, nil
}

func addr(s string) netip.Addr { return netip.MustParseAddr(s) }

func u8p(v uint8) *uint8    { return &v }
func u16p(v uint16) *uint16 { return &v }
func u32p(v uint32) *uint32 { return &v }

func TestParseTargets(t *testing.T) {
	v4, v6 := ir.IPv4, ir.IPv6
	cases := []struct {
		fam  ir.Family
		line string
		want ir.Target
	}{
		{v4, "-t nat -A PREROUTING -p tcp -j DNAT --to-destination 1.2.3.4", &ir.DNAT{To: ir.NATRange{MinAddr: addr("1.2.3.4"), MaxAddr: addr("1.2.3.4")}}},
		{v4, "-t nat -A PREROUTING -p tcp -j DNAT --to 1.2.3.4-1.2.3.9:80-90/100 --random --persistent",
			&ir.DNAT{To: ir.NATRange{MinAddr: addr("1.2.3.4"), MaxAddr: addr("1.2.3.9"), Ports: &ir.PortRange{Lo: 80, Hi: 90}, BasePort: 100}, Random: true, Persistent: true}},
		{v4, "-t nat -A OUTPUT -p udp -j DNAT --to-destination :53", &ir.DNAT{To: ir.NATRange{Ports: &ir.PortRange{Lo: 53, Hi: 53}}}},
		{v6, "-t nat -A PREROUTING -p tcp -j DNAT --to-destination [fec0::1-fec0::9]:1-20", &ir.DNAT{To: ir.NATRange{MinAddr: addr("fec0::1"), MaxAddr: addr("fec0::9"), Ports: &ir.PortRange{Lo: 1, Hi: 20}}}},
		{v6, "-t nat -A PREROUTING -j DNAT --to-destination fec0::1", &ir.DNAT{To: ir.NATRange{MinAddr: addr("fec0::1"), MaxAddr: addr("fec0::1")}}},
		{v4, "-t nat -A POSTROUTING -o eth0 -j SNAT --to 1.2.3.4 --random-fully --persistent", &ir.SNAT{To: ir.NATRange{MinAddr: addr("1.2.3.4"), MaxAddr: addr("1.2.3.4")}, RandomFully: true, Persistent: true}},
		{v4, "-t nat -A POSTROUTING -p tcp -j MASQUERADE --to-ports 10-20 --random", &ir.Masquerade{Ports: &ir.PortRange{Lo: 10, Hi: 20}, Random: true}},
		{v4, "-t nat -A PREROUTING -p tcp -j REDIRECT --to-ports 8080", &ir.Redirect{Ports: &ir.PortRange{Lo: 8080, Hi: 8080}}},
		{v4, "-t nat -A PREROUTING -j NETMAP --to 10.1.2.3/255.255.0.0", &ir.Netmap{To: netip.MustParsePrefix("10.1.0.0/16")}},
		{v4, "-A FORWARD -p tcp --syn -j TCPMSS --set-mss 1400 --clamp-mss-to-pmtu", &ir.TCPMSS{ClampPMTU: true}},
		{v4, "-A FORWARD -p tcp --syn -j TCPMSS --set-mss 1400", &ir.TCPMSS{MSS: 1400}},
		{v4, "-t mangle -A POSTROUTING -p udp -j CHECKSUM --checksum-fill", &ir.Checksum{}},
		{v4, "-t mangle -A PREROUTING -p tcp -j TPROXY --on-port 1 --on-ip 10.0.0.1 --tproxy-mark 0x23/0xff", &ir.TProxy{Port: 1, Addr: addr("10.0.0.1"), Mark: 0x23, Mask: 0xff}},
		{v4, "-t mangle -A PREROUTING -p udp -j TPROXY --on-port 1 --tproxy-mark 7", &ir.TProxy{Port: 1, Mark: 7, Mask: 0xffffffff}},
		{v4, "-t mangle -A PREROUTING -j TTL --ttl-dec 1", &ir.TTL{Op: ir.HopDec, Value: 1}},
		{v6, "-t mangle -A PREROUTING -j HL --hl-set 64", &ir.HL{Op: ir.HopSet, Value: 64}},
		{v4, "-t mangle -A PREROUTING -j DSCP --set-dscp-class af41", &ir.DSCP{Value: 0x22}},
		{v4, "-t mangle -A PREROUTING -j DSCP --set-dscp 0x2e", &ir.DSCP{Value: 0x2e}},
		{v4, "-t mangle -A PREROUTING -j TOS --set-tos Minimize-Delay", &ir.TOS{Value: 0x10, Mask: 0x3f}},
		{v4, "-t mangle -A PREROUTING -j TOS --set-tos 0x10", &ir.TOS{Value: 0x10, Mask: 0xff}},
		{v4, "-t mangle -A PREROUTING -j TOS --set-tos 0x12/0x34", &ir.TOS{Value: 0x12, Mask: 0x34}},
		{v4, "-t mangle -A PREROUTING -j TOS --and-tos 0x12", &ir.TOS{Value: 0, Mask: 0xed}},
		{v4, "-t mangle -A PREROUTING -j TOS --or-tos 0x12", &ir.TOS{Value: 0x12, Mask: 0x12}},
		{v4, "-t mangle -A PREROUTING -j TOS --xor-tos 0x12", &ir.TOS{Value: 0x12, Mask: 0}},
		{v4, "-A OUTPUT -j CLASSIFY --set-class 1:234", &ir.Classify{Major: 1, Minor: 0x234}},
		{v4, "-A INPUT -j NFQUEUE", &ir.NFQueue{}},
		{v4, "-A INPUT -j NFQUEUE --queue-balance 0:3 --queue-bypass --queue-cpu-fanout", &ir.NFQueue{Num: 0, Last: 3, Balance: true, Bypass: true, CPUFanout: true}},
		{v4, "-A INPUT -j AUDIT --type DROP", &ir.Audit{Type: ir.AuditDrop}},
		{v4, "-t raw -A PREROUTING -j TRACE", &ir.Trace{}},
		{v4, "-A INPUT -p tcp -j SYNPROXY --sack-perm --wscale 7 --mss 1460", &ir.SynProxy{SACKPerm: true, WScale: u8p(7), MSS: u16p(1460)}},
		{v4, "-A INPUT -j TEE --gateway 1.2.3.4 --oif eth0", &ir.Tee{Gateway: addr("1.2.3.4"), OIF: "eth0"}},
		{v4, "-A INPUT -j SET --add-set foo src,dst --exist --timeout 10",
			&ir.SetTarget{Add: &ir.SetTargetRef{Name: "foo", Flags: []ir.SetDir{ir.SetSrc, ir.SetDst}}, Exist: true, Timeout: u32p(10)}},
	}
	for _, c := range cases {
		got, errs := parseTarget(t, c.fam, c.line)
		if len(errs) > 0 {
			t.Errorf("%q: %v", c.line, errs)
			continue
		}
		if !ir.Equal(got, c.want) {
			t.Errorf("%q:\n got  %#v\n want %#v", c.line, got, c.want)
		}
	}
}

func TestParseTargetErrors(t *testing.T) {
	v4, v6 := ir.IPv4, ir.IPv6
	cases := []struct {
		fam  ir.Family
		line string
		want string // substring of the first error
	}{
		{v4, "-A INPUT -j DNAT --to-destination 1.2.3.4", "only valid in the nat table"},
		{v4, "-t nat -A POSTROUTING -j DNAT --to-destination 1.2.3.4", "only valid in the PREROUTING, OUTPUT chain(s), not in POSTROUTING"},
		{v4, "-t nat -A PREROUTING -j SNAT --to-source 1.2.3.4", "not in PREROUTING"},
		{v4, "-t nat -A PREROUTING -j MASQUERADE", "not in PREROUTING"},
		{v4, "-t nat -A POSTROUTING -j REDIRECT", "not in POSTROUTING"},
		{v4, "-t nat -A POSTROUTING -j SNAT", "\"--to-source\" must be specified"},
		{v4, "-t nat -A PREROUTING -j DNAT", "\"--to-destination\" must be specified"},
		{v4, "-t nat -A POSTROUTING -j SNAT --to 1.1.1.1 --to 2.2.2.2", "can only be used once"},
		{v4, "-t nat -A POSTROUTING -j SNAT --to 1.1.1.1:80", "port mapping needs"},
		{v4, "-t nat -A POSTROUTING -p tcp -j SNAT --to 1.1.1.1:90-80", "reversed"},
		{v4, "-t nat -A POSTROUTING -p tcp -j SNAT --to 1.1.1.1:80/5", "garbage after port value"},
		{v4, "-t nat -A POSTROUTING -j SNAT --to fec0::1", "bad IPv4"},
		{v4, "-t nat -A POSTROUTING -j SNAT --to 1.1.1.1/24", "bad IPv4"},
		{v4, "-t nat -A PREROUTING -p tcp -j DNAT --to 1.1.1.1:5-", "not valid"},
		{v4, "-t nat -A PREROUTING -j DNAT --to 1.1.1.1 --random-fully", "random-fully"},
		{v6, "-t nat -A PREROUTING -p tcp -j DNAT --to [fec0::1", "missing \"]\""},
		{v6, "-t nat -A PREROUTING -p tcp -j DNAT --to [fec0::1]x", "garbage"},
		{v4, "-t nat -A POSTROUTING -p udp -j MASQUERADE --to-ports 80:90", "use a dash"},
		{v4, "-t nat -A POSTROUTING -j MASQUERADE --to-ports 80", "port mapping needs"},
		{v4, "-t nat -A PREROUTING -j NETMAP", "\"--to\" must be specified"},
		{v4, "-t nat -A PREROUTING -j NETMAP --to 1.2.3.4/255.0.255.0", "non-contiguous"},
		{v4, "-t nat -A PREROUTING -j NETMAP --to 1.2.3.4/129", "bad mask"},
		{v4, "-A FORWARD -p tcp -j TCPMSS", "at least one"},
		{v4, "-A FORWARD -j TCPMSS --set-mss 100", "needs \"-p tcp\""},
		{v4, "-A INPUT -p tcp -j TCPMSS --clamp-mss-to-pmtu", "only valid in FORWARD, OUTPUT and POSTROUTING"},
		{v4, "-A FORWARD -p tcp -j TCPMSS --set-mss 70000", "out of range"},
		{v4, "-t mangle -A INPUT -j CHECKSUM", "\"--checksum-fill\" must be specified"},
		{v4, "-A INPUT -j CHECKSUM --checksum-fill", "only valid in the mangle table"},
		{v4, "-t mangle -A PREROUTING -p tcp -j TPROXY", "\"--on-port\" must be specified"},
		{v4, "-t mangle -A PREROUTING -j TPROXY --on-port 1", "-p tcp\" or \"-p udp"},
		{v4, "-t mangle -A INPUT -p tcp -j TPROXY --on-port 1", "not in INPUT"},
		{v4, "-t mangle -A PREROUTING -p tcp -j TPROXY --on-port 1 --tproxy-mark 1/2/3", "--tproxy-mark"},
		{v4, "-t mangle -A PREROUTING -p tcp -j TPROXY --on-port 1 --on-ip ::1", "bad IPv4"},
		{v4, "-t mangle -A INPUT -j TTL", "is required"},
		{v4, "-t mangle -A INPUT -j TTL --ttl-set 256", "out of range (0-255)"},
		{v4, "-t mangle -A INPUT -j TTL --ttl-inc 0", "out of range (1-255)"},
		{v4, "-t mangle -A INPUT -j TTL --ttl-set 5 --ttl-inc 1", "cannot be used together"},
		{v6, "-t mangle -A INPUT -j TTL --ttl-set 5", "IPv4 (iptables) only"},
		{v4, "-t mangle -A INPUT -j HL --hl-set 5", "IPv6 (ip6tables) only"},
		{v4, "-t mangle -A INPUT -j DSCP", "is required"},
		{v4, "-t mangle -A INPUT -j DSCP --set-dscp 64", "out of range (0-63)"},
		{v4, "-t mangle -A INPUT -j DSCP --set-dscp-class foo", "invalid DSCP class"},
		{v4, "-t mangle -A INPUT -j DSCP --set-dscp 1 --set-dscp-class EF", "cannot be used together"},
		{v4, "-t mangle -A INPUT -j TOS", "action"},
		{v4, "-t mangle -A INPUT -j TOS --set-tos foo", "symbolic name \"foo\" is unknown"},
		{v4, "-t mangle -A INPUT -j TOS --set-tos 0x100", "is unknown"},
		{v4, "-t mangle -A INPUT -j TOS --set-tos 0x10/foo", "bad mask"},
		{v4, "-t mangle -A INPUT -j TOS --set-tos 0x10 --and-tos 1", "cannot be used together"},
		{v4, "-t mangle -A PREROUTING -j CLASSIFY --set-class 1:1", "not in PREROUTING"},
		{v4, "-A OUTPUT -j CLASSIFY --set-class 1", "bad class value"},
		{v4, "-A OUTPUT -j CLASSIFY --set-class g:1", "bad class value"},
		{v4, "-A OUTPUT -j CLASSIFY", "must be specified"},
		{v4, "-A INPUT -j NFQUEUE --queue-balance 3:1", "3 should be less than 1"},
		{v4, "-A INPUT -j NFQUEUE --queue-balance 3", "FIRST:LAST"},
		{v4, "-A INPUT -j NFQUEUE --queue-num 1 --queue-balance 1:3", "cannot be used together"},
		{v4, "-A INPUT -j NFQUEUE --queue-cpu-fanout", "also requires"},
		{v4, "-A INPUT -j NFQUEUE --queue-num 65536", "out of range"},
		{v4, "-A INPUT -j NFQUEUE --fail-open", "unknown option"},
		{v4, "-A INPUT -j AUDIT", "\"--type\" must be specified"},
		{v4, "-A INPUT -j AUDIT --type foo", "bad --type"},
		{v4, "-A INPUT -j TRACE", "only valid in the raw table"},
		{v4, "-A INPUT -j SYNPROXY", "needs \"-p tcp\""},
		{v4, "-A OUTPUT -p tcp -j SYNPROXY", "not in OUTPUT"},
		{v4, "-A INPUT -p tcp -j SYNPROXY --wscale 4294967296", "out of range"},
		{v4, "-A INPUT -j TEE", "\"--gateway\" must be specified"},
		{v4, "-A INPUT -j TEE --gateway foo", "bad IPv4"},
		{v4, "-A INPUT -j TEE --gateway 1.1.1.1 --oif abcdefghijklmnop", "invalid --oif"},
		{v4, "-A INPUT -j SET", "--add-set or --del-set is required"},
		{v4, "-A INPUT -j SET --add-set foo bar", "bad flag \"bar\""},
		{v4, "-A INPUT -j SET --add-set " + strings.Repeat("x", 32) + " src", "1 to 31"},
		{v4, "-A INPUT -j SET --add-set foo src,src,src,src,src,src,src", "at most 6"},
		{v4, "-A INPUT -j SET --del-set foo src --timeout x", "out of range"},
		{v4, "-A INPUT -j DNAT ! --to 1.1.1.1", "cannot be negated"},
	}
	for _, c := range cases {
		_, errs := parseTarget(t, c.fam, c.line)
		if len(errs) == 0 {
			t.Errorf("%q: no error, want %q", c.line, c.want)
			continue
		}
		if !strings.Contains(errs[0], c.want) {
			t.Errorf("%q: error %q, want it to contain %q", c.line, errs[0], c.want)
		}
	}
}
