package nftables_test

import (
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/backends/nftables"
	"github.com/ruleshift/ruleshift/internal/testenv"
	"github.com/ruleshift/ruleshift/translate/ir"
)

func TestConntrackNft(t *testing.T) {
	cases := []struct {
		line string
		fam  ir.Family
		want string // "" with err: refused
		err  string
	}{
		{"-A INPUT -m state ! --state NEW,ESTABLISHED", ir.IPv4, "ct state ! new,established", ""},
		{"-A INPUT -m conntrack --ctstate DNAT", ir.IPv4, "ct status dnat", ""},
		{"-A INPUT -m conntrack ! --ctstate DNAT", ir.IPv4, "", "! --ctstate SNAT/DNAT"},
		{"-A INPUT -m conntrack --ctstate NEW,DNAT", ir.IPv4, "", "cannot OR"},
		{"-A INPUT -m conntrack --ctstate INVALID --ctproto 6", ir.IPv4, "", "admitting INVALID"},
		{"-A INPUT -m conntrack --ctorigsrc 2001:db8::1/32 --ctdir REPLY", ir.IPv6, "ct direction reply ct original ip6 saddr 2001:db8::/32", ""},
		{"-A INPUT -m conntrack --ctproto 6 --ctorigdstport 5:3", ir.IPv4, "", "reversed"},
		{"-A INPUT -m conntrack --ctproto 6 ! --ctorigdstport 5:3", ir.IPv4, "ct original protocol 6", ""},
		{"-A INPUT -m conntrack --ctorigdstport 53", ir.IPv4, "", "add --ctproto"},
		{"-A INPUT -m conntrack --ctstatus NONE", ir.IPv4, "", "matches no packet"},
		{"-A INPUT -m conntrack ! --ctstatus EXPECTED,ASSURED --ctexpire 10:", ir.IPv4, "ct status ! expected,assured ct expiration >= 10s", ""},
		{"-A INPUT -m mark --mark 0x10/0xf0", ir.IPv4, "mark and 0xf0 == 0x10", ""},
		{"-A INPUT -m connmark ! --mark 2", ir.IPv4, "ct mark != 0x2", ""},
		{"-A INPUT -m helper --helper ftp", ir.IPv4, `ct helper "ftp"`, ""},
		{"-A INPUT -m connlimit --connlimit-above 2 --connlimit-mask 64", ir.IPv6, "add @connlimit0 { ip6 saddr and ffff:ffff:ffff:ffff:: ct count over 2 }", ""},
		{"-A INPUT -m connbytes ! --connbytes 7:7 --connbytes-dir original --connbytes-mode packets", ir.IPv4, "ct original packets != 7", ""},
		{"-A INPUT -m connlabel ! --label 3", ir.IPv4, "ct label and 3 != 3", ""},
		{"-A INPUT -j MARK --set-xmark 0x40/0x32", ir.IPv4, "meta mark set meta mark and 0xffffffcd xor 0x40", ""},
		{"-A INPUT -j CONNMARK --restore-mark --ctmask 0xff --left-shift-mark 8", ir.IPv4, "meta mark set ( ct mark and 0xff ) << 8", ""},
		{"-A INPUT -j CONNMARK --save-mark --mask 0xff", ir.IPv4, "", "OR of two marks"},
		{"-t raw -A PREROUTING -j CT --zone-reply 3", ir.IPv4, "ct reply zone set 3", ""},
		{"-t raw -A PREROUTING -j CT --notrack --zone 3", ir.IPv4, "notrack", ""},
		// The helper and the events are set by a mirror chain after
		// conntrack (cthelper_test.go); the raw rule keeps the template.
		{"-t raw -A PREROUTING -p tcp -j CT --helper ftp", ir.IPv4, "ip protocol tcp ct zone set 0", ""},
		{"-t raw -A PREROUTING -j CT --ctevents new", ir.IPv4, "ct zone set 0", ""},
		{"-t raw -A PREROUTING -p tcp -j CT --helper ftp --ctevents new", ir.IPv4, "", "expectation event mask"},
		{"-t raw -A PREROUTING -j CT --zone mark", ir.IPv4, "", "datatype mismatch"},
	}
	testenv.RequireBinary(t, "nft")
	ns := testenv.NewNetns(t, "hA-nft")
	for _, c := range cases {
		decls := &nftables.Decls{}
		got, err := ruleText(t, c.fam, c.line, decls)
		switch {
		case c.err != "":
			if err == nil || !strings.Contains(err.Error(), c.err) || !strings.Contains(err.Error(), "t:1") {
				t.Errorf("%s: got %q, %v; want an error with %q", c.line, got, err, c.err)
			}
			continue
		case err != nil:
			t.Errorf("%s: %v", c.line, err)
			continue
		case !strings.Contains(got, c.want):
			t.Errorf("%s:\n got %s\nwant %s", c.line, got, c.want)
		}
		// Every accepted rendering must load in nft 1.0.6.
		fam := c.fam.String()
		script := "add table " + fam + " x\nadd chain " + fam + " x c\n"
		for _, d := range decls.Commands(c.fam, "x") {
			script += d + "\n"
		}
		script += "add rule " + fam + " x c " + got + "\n"
		ns.Run(nil, "nft", "flush", "ruleset")
		if _, err := ns.Run([]byte(script), "nft", "-f", "-"); err != nil {
			t.Errorf("%s: nft refuses %q: %v", c.line, got, err)
		}
	}
}
