package verify

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/internal/testenv"
	"github.com/ruleshift/ruleshift/translate"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// Kernel tests: they build namespaces named hV-<random>-*, which Run
// deletes, and a cleanup deletes anything left with that prefix.

func needKernel(t testing.TB) {
	t.Helper()
	testenv.RequireRoot(t)
	testenv.RequireBinary(t, "ip", "nft", "iptables-legacy-restore", "ip6tables-legacy-restore", "iptables-nft-restore", "ip6tables-nft-restore")
}

// loadSide parses an iptables-save text and prepares it for backend b;
// raw loads the text itself instead of ruleshift's rendering.
func loadSide(t testing.TB, label, text string, b Backend, raw bool) *Side {
	t.Helper()
	rs, diags := translate.Load([]translate.Input{{Name: label, Data: []byte(text)}}, translate.Options{From: translate.Save})
	if diags.HasErrors() {
		t.Fatalf("%s: %v", label, diags.Err())
	}
	s := &Side{Label: label, Rules: rs, Backend: b}
	if raw {
		s.Raw = []byte(text)
		s.RawFamily = ir.IPv4
		if fams := rs.Families(); len(fams) == 1 {
			s.RawFamily = fams[0]
		}
	}
	if d := s.Prepare(); d.HasErrors() {
		t.Fatalf("%s: %v", label, d.Err())
	}
	return s
}

func prefix(t testing.TB) string {
	var b [3]byte
	rand.Read(b[:])
	p := "hV-" + hex.EncodeToString(b[:])
	t.Cleanup(func() { Cleanup(p) })
	return p
}

func verifyRun(t testing.TB, old, new *Side, probes int) *Result {
	t.Helper()
	res, err := Run(old, new, Options{Probes: probes, Seed: 1, NSPrefix: prefix(t), KeepAll: os.Getenv("VERIFY_DUMP") != ""})
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range res.All {
		t.Logf("#%d %s [%s]\n    old %s\n    new %s", d.Probe.ID, d.Probe, d.Probe.Why, d.Old, d.New)
	}
	return res
}

const basic = `*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT
-A INPUT -s 10.0.0.0/8 -p tcp -m tcp --dport 22 -j ACCEPT
-A INPUT -p tcp -m multiport --dports 80,443,8000:8080 -j ACCEPT
-A INPUT -p udp --dport 53 -j ACCEPT
-A INPUT -p icmp --icmp-type echo-request -j ACCEPT
-A INPUT -p tcp --dport 23 -j REJECT --reject-with tcp-reset
-A INPUT -p udp --dport 69 -j REJECT
-A FORWARD -i eth0 -o eth1 -j ACCEPT
-A FORWARD -i eth1 -o eth0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A FORWARD -i eth1 -d 192.168.10.0/24 -p tcp --dport 25 -j REJECT
-A OUTPUT -d 203.0.113.0/24 -j REJECT --reject-with icmp-admin-prohibited
COMMIT
`

func TestVerifySelf(t *testing.T) {
	needKernel(t)
	old := loadSide(t, "basic.v4", basic, IPTablesLegacy, true)
	new := loadSide(t, "basic.v4", basic, NFTables, false)
	res := verifyRun(t, old, new, 500)
	var b strings.Builder
	res.Write(&b)
	t.Log(b.String())
	if len(res.Diffs) != 0 {
		t.Errorf("a ruleset verified against its own translation differs")
	}
}
