package nft_test

import (
	"crypto/rand"
	"encoding/hex"
	"os"
	"strings"
	"testing"

	_ "github.com/ruleshift/ruleshift/backends/iptables"
	_ "github.com/ruleshift/ruleshift/backends/nftables"
	"github.com/ruleshift/ruleshift/internal/testenv"
	"github.com/ruleshift/ruleshift/translate"
	"github.com/ruleshift/ruleshift/translate/ir"
	"github.com/ruleshift/ruleshift/translate/nft"
	"github.com/ruleshift/ruleshift/verify"
)

// TestConfToIPTables reads a hand-written nftables.conf (Debian's stock
// layout with the usual additions: ct state, iif lo, port sets, named
// sets, icmp and icmpv6 types, log with limit, reject, a user chain, nat)
// through the scratch namespace, and proves on real packets with verify
// that ruleshift's iptables-legacy rendering of it behaves as the file
// does when nft loads it.
func TestConfToIPTables(t *testing.T) {
	testenv.RequireRoot(t)
	testenv.RequireBinary(t, "nft", "unshare", "ip", "iptables-legacy-restore", "ip6tables-legacy-restore")
	data, err := os.ReadFile("testdata/nftables.conf")
	if err != nil {
		t.Fatal(err)
	}
	rs, d := translate.Load([]translate.Input{{Name: "testdata/nftables.conf", Data: data, Dir: "testdata"}}, translate.Options{})
	if d.HasErrors() {
		t.Fatalf("read: %v", d.Err())
	}
	// The inet rule with a limit is warned about: one bucket in nft, one
	// per family table in iptables.
	if len(d.Items) != 1 || !strings.Contains(d.Items[0].Msg, "its limit is one bucket for both families") || d.Items[0].Pos.File != "testdata/nftables.conf:handle" || d.Items[0].Pos.Line == 0 {
		t.Errorf("want one warning about the inet limit, at its handle: %v", d.Items)
	}
	// The inet table became an ip and an ip6 table named like iptables'.
	for _, f := range []ir.Family{ir.IPv4, ir.IPv6} {
		ft := rs.Table(f, "filter")
		if ft == nil || ft.Chain("INPUT") == nil || ft.Chain("INPUT").PolicyOf() != ir.PolicyDrop || ft.Chain("vpn") == nil {
			t.Fatalf("%s: no filter table with INPUT (policy drop) and vpn: %+v", f, ft)
		}
	}
	if rs.Table(ir.IPv4, "nat") == nil || rs.Table(ir.IPv6, "nat") != nil {
		t.Errorf("the ip nat table should be IPv4 only")
	}
	var b [3]byte
	rand.Read(b[:])
	prefix := "rs-nftc-" + hex.EncodeToString(b[:])
	t.Cleanup(func() { verify.Cleanup(prefix) })
	old := &verify.Side{Label: "nftables.conf", Backend: verify.NFTables, Raw: data, NftFile: true}
	new := &verify.Side{Label: "ruleshift iptables-legacy", Rules: rs, Backend: verify.IPTablesLegacy}
	if err := verify.UseModelOf(old, new); err != nil {
		t.Fatal(err)
	}
	for _, s := range []*verify.Side{old, new} {
		if d := s.Prepare(); d.HasErrors() {
			t.Fatalf("%s: %v", s.Label, d.Err())
		}
	}
	res, err := verify.Run(old, new, verify.Options{Probes: 600, Seed: 7, NSPrefix: prefix, KeepAll: true})
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	for _, df := range res.Diffs {
		t.Errorf("#%d %s [%s]\n    nft file  %s\n    iptables  %s", df.Probe.ID, df.Probe, df.Probe.Why, df.Old, df.New)
	}
	t.Logf("%d probes agree", len(res.All))
}

// TestListFileRefused checks that a file nft refuses is an error that
// quotes nft, from the scratch namespace.
func TestListFileRefused(t *testing.T) {
	testenv.RequireRoot(t)
	testenv.RequireBinary(t, "nft", "unshare")
	_, err := nft.ListFile([]byte("table inet x {\n\tchain y {\n\t\ttcp dprot 22 accept\n\t}\n}\n"), ".")
	if err == nil || !strings.Contains(err.Error(), "nft -f refused the file") || !strings.Contains(err.Error(), "dprot") {
		t.Errorf("got %v", err)
	}
}
