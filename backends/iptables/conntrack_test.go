package iptables_test

import (
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/backends/iptables"
	"github.com/ruleshift/ruleshift/translate"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// ctDump exercises every conntrack and mark option in the forms
// iptables-save 1.8.9 turns them into; the %s marks are the family's
// addresses.
const ctDump = `*filter
:INPUT ACCEPT [0:0]
-A INPUT -m conntrack --ctorigsrc %[1]s/16 ! --ctrepldst %[2]s -j ACCEPT
-A INPUT -m conntrack --ctstate n,e,S,d,u,i,r ! --ctproto tcp --ctorigsrcport 5: --ctrepldstport :7 --ctexpire 5: --ctstatus none,se --ctdir reply
-A INPUT -m state ! --state NEW,ESTABLISHED
-A INPUT -m state --state n
-A INPUT -m conntrack ! --ctstate NEW ! --ctorigdstport 5:3 ! --ctstatus NONE --ctexpire 5:3
-A INPUT -m mark --mark 5/0xff -m connmark ! --mark 0x10 -m helper ! --helper ftp
-A INPUT -m connlimit --connlimit-upto 2 --connlimit-mask 24 -m connlimit ! --connlimit-above 3 --connlimit-daddr -m connlimit ! --connlimit-upto 4
-A INPUT -m connbytes ! --connbytes 10: --connbytes-dir both --connbytes-mode bytes -m connbytes --connbytes 3:5 --connbytes-dir reply --connbytes-mode avgpkt
-A INPUT -m connlabel --label 5 --set -m connlabel ! --label 127
-A INPUT -j MARK --set-mark 5/0xff
-A INPUT -j MARK --and-mark 5
-A INPUT -j CONNMARK --save-mark --mask 0xff
-A INPUT -j CONNMARK --restore-mark --ctmask 0xff
-A INPUT -j CONNMARK --set-mark 0x23/0x42 --right-shift-mark 5
-A INPUT -j CONNMARK --or-mark 3 --left-shift-mark 0
COMMIT
*raw
:PREROUTING ACCEPT [0:0]
-A PREROUTING -j CT --notrack --zone-orig 5 --zone-reply 7 --ctevents new,natseqinfo,related --expevents new
-A PREROUTING -j CT --zone mark
-A PREROUTING -j CT --zone 0
-A PREROUTING -j CT --zone-orig mark
-A PREROUTING -p tcp -j CT --helper ftp
-A PREROUTING -j NOTRACK
COMMIT
`

func ctInput(fam ir.Family) []byte {
	a, b := "10.100.2.131", "10.0.0.1"
	if fam == ir.IPv6 {
		a, b = "2001:db8::1", "::1"
	}
	return []byte(strings.NewReplacer("%[1]s", a, "%[2]s", b).Replace(ctDump))
}

func TestConntrackRender(t *testing.T) {
	rs, d := translate.Load([]translate.Input{{Name: "ct", Data: ctInput(ir.IPv4)}}, translate.Options{From: translate.Save, Family: ir.IPv4})
	if d.HasErrors() {
		t.Fatal(d.Err())
	}
	text, rd := iptables.Render(rs, ir.IPv4, iptables.Legacy, iptables.Options{})
	if rd.HasErrors() {
		t.Fatal(rd.Err())
	}
	for _, want := range []string{
		"-m conntrack --ctstate INVALID,NEW,RELATED,ESTABLISHED,UNTRACKED,SNAT,DNAT ! --ctproto 6 --ctorigsrcport 5:65535 --ctrepldstport 0:7 --ctstatus SEEN_REPLY --ctexpire 5:4294967295 --ctdir REPLY",
		"-m state ! --state NEW,ESTABLISHED",
		"-m connlimit --connlimit-upto 3 --connlimit-mask 32 --connlimit-daddr",
		"-m connbytes ! --connbytes 10 --connbytes-mode bytes --connbytes-dir both",
		"-j MARK --set-xmark 0x0/0xfffffffa",
		"-j CONNMARK --save-mark --nfmask 0xff --ctmask 0xff",
		"-j CONNMARK --set-xmark 0x23/0x63 --right-shift-mark 5",
		"-j CT --notrack --ctevents new,related,natseqinfo --expevents new --zone 7",
		"-j CT --zone-orig mark",
		"-j NOTRACK",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
}

// TestConntrackKernel loads ctDump as it is and as ruleshift renders it,
// for both families and both variants, and compares the save listings.
func TestConntrackKernel(t *testing.T) {
	for _, v := range []*iptables.Variant{iptables.Legacy, iptables.NFT} {
		for _, fam := range []ir.Family{ir.IPv4, ir.IPv6} {
			kernelRoundTrip(t, v, fam, "ct", ctInput(fam), "hA-ct")
		}
	}
}
