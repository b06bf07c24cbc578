package nftables_test

import (
	"testing"

	"github.com/ruleshift/ruleshift/internal/testenv"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// ctMatchV4 and ctMatchV6 use the conntrack matches, marks and stateful
// statements netlink_rule_ct.go encodes.
const ctMatchV4 = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -m conntrack --ctdir REPLY -j ACCEPT
-A INPUT -m conntrack --ctproto 6 --ctorigdstport 21 -j ACCEPT
-A INPUT -m conntrack ! --ctproto 17 -j ACCEPT
-A INPUT -m conntrack --ctproto 6 --ctreplsrcport 1000:2000 -j ACCEPT
-A INPUT -m conntrack --ctproto 6 ! --ctorigsrcport 1000:2000 -j ACCEPT
-A INPUT -m conntrack --ctorigsrc 10.0.0.0/8 -j ACCEPT
-A INPUT -m conntrack ! --ctrepldst 10.1.2.3 -j ACCEPT
-A INPUT -m conntrack --ctorigdst 192.168.0.0/21 -j ACCEPT
-A INPUT -m quota --quota 5000 -j ACCEPT
-A INPUT -m statistic --mode random --probability 0.25 -j ACCEPT
-A INPUT -m statistic --mode random ! --probability 0.5 -j ACCEPT
-A INPUT -m connlabel --label 3 -j ACCEPT
-A INPUT -m connlabel ! --label 9 -j ACCEPT
-A INPUT -m connlabel --label 100 --set -j ACCEPT
-A OUTPUT -m owner --uid-owner 1-5 -j ACCEPT
-A OUTPUT -m owner ! --gid-owner 10-20 -j ACCEPT
-A INPUT -m helper --helper ftp -j ACCEPT
-A INPUT -m helper ! --helper sip -j ACCEPT
-A INPUT -m conntrack --ctexpire 30 -j ACCEPT
-A INPUT -m conntrack ! --ctexpire 30:60 -j ACCEPT
-A INPUT -m conntrack --ctexpire 30:60 -j ACCEPT
-A INPUT -m conntrack --ctexpire 100:4294967295 -j ACCEPT
-A INPUT -m conntrack ! --ctexpire 100:4294967295 -j ACCEPT
-A INPUT -m connbytes --connbytes 1000 --connbytes-dir original --connbytes-mode bytes -j ACCEPT
-A INPUT -m connbytes --connbytes 10:20 --connbytes-dir reply --connbytes-mode packets -j ACCEPT
-A INPUT -m connbytes ! --connbytes 10:20 --connbytes-dir both --connbytes-mode avgpkt -j ACCEPT
-A INPUT -m connbytes --connbytes 10:10 --connbytes-dir both --connbytes-mode bytes -j ACCEPT
-A INPUT -m quota ! --quota 5000 -j DROP
-A INPUT -m statistic --mode nth --every 3 --packet 1 -j ACCEPT
-A INPUT -m statistic --mode nth ! --every 3 --packet 2 -j ACCEPT
-A INPUT -j MARK --set-xmark 0x10/0xff
-A INPUT -j MARK --set-mark 7
-A INPUT -j CONNMARK --save-mark
-A INPUT -j CONNMARK --restore-mark --ctmask 0xff
COMMIT
*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -p tcp --dport 80 -j CT --zone 3
-A PREROUTING -p tcp --dport 81 -j CT --notrack
-A PREROUTING -p tcp --dport 82 -j CT --zone-orig 4
-A PREROUTING -p tcp --dport 83 -j CT --zone-reply 5
-A PREROUTING -p tcp --dport 84 -j CT --ctevents new,related,mark,natseqinfo
COMMIT
`

const ctMatchV6 = `*filter
:INPUT ACCEPT [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -m conntrack --ctorigsrc 2001:db8::/32 -j ACCEPT
-A INPUT -m conntrack ! --ctrepldst 2001:db8::1 --ctdir ORIGINAL -j ACCEPT
COMMIT
`

// TestNetlinkCtMatch is TestNetlinkExtConstructs for the conntrack
// matches, marks, quotas and counters of packets.
func TestNetlinkCtMatch(t *testing.T) {
	testenv.RequireRoot(t)
	testenv.RequireBinary(t, "nft", "nsenter")
	for _, in := range []extInput{{"ctmatch.v4", ctMatchV4, ir.IPv4}, {"ctmatch.v6", ctMatchV6, ir.IPv6}} {
		compareNetlinkLoad(t, in, "hC")
	}
}
