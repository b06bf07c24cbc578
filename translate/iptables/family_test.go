package iptables

import (
	"bytes"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/internal/gen"
	"github.com/ruleshift/ruleshift/translate/ir"
)

func saveOf(rules ...string) string {
	return "*filter\n:INPUT ACCEPT [0:0]\n" + strings.Join(rules, "\n") + "\nCOMMIT\n"
}

func TestDetectFamily(t *testing.T) {
	for _, c := range []struct {
		name, rules string
		fam         ir.Family
		basis       FamilyBasis
		warn        string // part of the warning; "" for none
	}{
		// The case of the issue: "dst" is the set's flag, not the IPv6
		// dst match.
		{"rules.v4", "-A INPUT -m set --match-set blocklist dst -j DROP", ir.IPv4, ByName, ""},
		{"dump", "-A INPUT -m set --match-set blocklist dst -j DROP", ir.IPv4, ByDefault, "nothing in the rules or the file name tells"},
		{"rules.v6", "-A INPUT -m set --match-set blocklist dst -j DROP", ir.IPv6, ByName, ""},
		// Free text says nothing, whatever its words.
		{"dump", `-A INPUT -m comment --comment "allow 2001:db8::1 ipv6-icmp -m icmp6 --icmpv6-type" -j ACCEPT`, ir.IPv4, ByDefault, "nothing"},
		{"dump", `-A INPUT -j LOG --log-prefix "icmp6-adm-prohibited frag hbh"`, ir.IPv4, ByDefault, "nothing"},
		{"dump", `-A INPUT -j NFLOG --nflog-prefix "--icmpv6-type 1"`, ir.IPv4, ByDefault, "nothing"},
		{"dump", `-A INPUT -m string --string "-s 2001:db8::1" --algo bm -j DROP`, ir.IPv4, ByDefault, "nothing"},
		{"dump", "-A INPUT -m recent --name dst --rcheck -j DROP", ir.IPv4, ByDefault, "nothing"},
		{"dump", "-A frag -j hbh", ir.IPv4, ByDefault, "nothing"},
		{"dump", "-A INPUT -m comment --comment --icmpv6-type -j ACCEPT", ir.IPv4, ByDefault, "nothing"},
		// Evidence in its own position.
		{"dump", "-A INPUT -s 2001:db8::/32 -j ACCEPT", ir.IPv6, ByContents, ""},
		{"dump", "-A INPUT -d ::ffff:127.0.0.1/128 -j ACCEPT", ir.IPv6, ByContents, ""},
		{"dump", "-A INPUT -s 192.0.2.0/24,198.51.100.1 -j ACCEPT", ir.IPv4, ByContents, ""},
		{"dump", "-A INPUT --src 192.0.2.1 -j ACCEPT", ir.IPv4, ByContents, ""},
		{"dump", "-A INPUT --source=2001:db8::1 -j ACCEPT", ir.IPv6, ByContents, ""},
		{"dump", "-A INPUT -s2001:db8::1 -j ACCEPT", ir.IPv6, ByContents, ""},
		{"dump", "-A INPUT -p ipv6-icmp -j ACCEPT", ir.IPv6, ByContents, ""},
		{"dump", "-A INPUT -p icmpv6 --icmpv6-type 128 -j ACCEPT", ir.IPv6, ByContents, ""},
		{"dump", "-A INPUT -p icmp --icmp-type 8 -j ACCEPT", ir.IPv4, ByContents, ""},
		{"dump", "-A INPUT -p 58 -j ACCEPT", ir.IPv6, ByContents, ""},
		{"dump", "-A INPUT -m frag --fragmore -j DROP", ir.IPv6, ByContents, ""},
		{"dump", "-A INPUT -m dst --dst-len 8 -j DROP", ir.IPv6, ByContents, ""},
		{"dump", "-A INPUT -m ttl --ttl-lt 5 -j DROP", ir.IPv4, ByContents, ""},
		{"dump", "-A INPUT -p tcp -j REJECT --reject-with icmp6-adm-prohibited", ir.IPv6, ByContents, ""},
		{"dump", "-A INPUT -p tcp -j REJECT --reject-with icmp-host-prohibited", ir.IPv4, ByContents, ""},
		{"dump", "-A INPUT -p tcp -j REJECT --reject-with tcp-reset", ir.IPv4, ByDefault, "nothing"},
		{"dump", "-A INPUT -p tcp -j REJECT --reject-with port-unreach", ir.IPv4, ByDefault, "nothing"},
		{"dump", "-t mangle -A PREROUTING -j HL --hl-set 5", ir.IPv6, ByContents, ""},
		{"dump", "-A PREROUTING -p tcp -j DNAT --to-destination [2001:db8::1]:80", ir.IPv6, ByContents, ""},
		{"dump", "-A PREROUTING -p tcp -j DNAT --to-destination 192.0.2.1-192.0.2.9:80-90", ir.IPv4, ByContents, ""},
		{"dump", "-A INPUT -m iprange --src-range 0.0.0.0-127.255.255.254 -j ACCEPT", ir.IPv4, ByContents, ""},
		{"dump", "-A INPUT -m conntrack --ctorigsrc 2001:db8::1 -j ACCEPT", ir.IPv6, ByContents, ""},
		{"dump", "[5:300] -A INPUT -s 2001:db8::1 -j ACCEPT", ir.IPv6, ByContents, ""},
		{"dump", "-A INPUT -p tcp --dport 22 -s 10.0.0.1 -j ACCEPT", ir.IPv4, ByContents, ""},
		// A host name is no evidence.
		{"dump", "-A INPUT -s example.com -j ACCEPT", ir.IPv4, ByDefault, "nothing"},
		// A line for one family only (-4/-6) says nothing about the file.
		{"rules.v4", "-6 -A INPUT -s 2001:db8::1 -j ACCEPT", ir.IPv4, ByName, ""},
		// After an unknown module nothing is in a known position.
		{"dump", "-A INPUT -m nosuchmod --opt 2001:db8::1 -j ACCEPT", ir.IPv4, ByDefault, "nothing"},
		// The name and the contents disagree: the contents win, and say so.
		{"rules.v4", "-A INPUT -s 2001:db8::1 -j ACCEPT", ir.IPv6, ByContents,
			"rules.v4:3:13: the rules are IPv6 (address 2001:db8::1 here) but the name rules.v4 says IPv4"},
		{"ip6tables.rules", "-A INPUT -p icmp -j ACCEPT", ir.IPv4, ByContents, "the name ip6tables.rules says IPv6"},
		// Both families: the majority, with a warning at the odd one out.
		{"dump", "-A INPUT -s 10.0.0.1 -j ACCEPT\n-A INPUT -s 10.0.0.2 -j ACCEPT\n-A INPUT -s 2001:db8::1 -j ACCEPT", ir.IPv4, ByMajority,
			"dump:5:13: the rules mix the families: address 2001:db8::1 here is IPv6, but address 10.0.0.1 at line 3 is IPv4 (2 IPv4 hints against 1 IPv6 hint); reading them as IPv4"},
		{"x.v6", "-A INPUT -p icmp -j ACCEPT\n-A INPUT -s 2001:db8::1 -j ACCEPT", ir.IPv6, ByMajority, "as the name x.v6 says"},
	} {
		d := detectFamily(c.name, saveOf(c.rules))
		got := fmt.Sprintf("%s: %s", d.WarnPos, d.Warning)
		if d.Family != c.fam || d.Basis != c.basis || (c.warn == "") != (d.Warning == "") || !strings.Contains(got, c.warn) {
			t.Errorf("%s %q: got %v basis %d warning %q; want %v basis %d warning ~%q", c.name, c.rules, d.Family, d.Basis, got, c.fam, c.basis, c.warn)
		}
	}
}

func TestNameFamily(t *testing.T) {
	for name, want := range map[string]ir.Family{
		"/etc/iptables/rules.v6": ir.IPv6, "rules.v4": ir.IPv4, "/etc/sysconfig/ip6tables": ir.IPv6,
		"/etc/sysconfig/iptables": ir.IPv4, "before6.rules": ir.IPv6, "before.rules": 0, "dump": 0,
		"<stdin>": 0, "IP6TABLES.SAVE": ir.IPv6, "rules.ipv6": ir.IPv6,
	} {
		if got := NameFamily(name); got != want {
			t.Errorf("NameFamily(%q) = %v, want %v", name, got, want)
		}
	}
}

// TestDetectFamilyParallel checks that a large file scanned in pieces
// gives the same decision, first hints and positions included, as one
// scanned line by line.
func TestDetectFamilyParallel(t *testing.T) {
	if runtime.GOMAXPROCS(0) < 2 {
		t.Skip("one CPU: the parallel path is not taken")
	}
	var buf bytes.Buffer
	gen.Rules(&buf, 20000, false)
	text := buf.String()
	// IPv6 hints late in the file, so that they fall in a later piece.
	text = strings.Replace(text, "COMMIT\n", "-A INPUT -s 2001:db8::1 -j ACCEPT\n-A INPUT -m icmp6 -j ACCEPT\nCOMMIT\n", 1)
	detect := func(min int) FamilyDecision {
		old := parallelDetect
		parallelDetect = min
		defer func() { parallelDetect = old }()
		return detectFamily("big", text)
	}
	seq, par := detect(1<<40), detect(1)
	if seq != par {
		t.Errorf("sequential %+v\nparallel   %+v", seq, par)
	}
	if seq.V6 != 2 || seq.Basis != ByMajority || !strings.Contains(seq.Warning, "address 2001:db8::1 here") {
		t.Errorf("unexpected decision %+v", seq)
	}
}
