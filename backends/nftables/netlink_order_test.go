package nftables_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/backends/nftables"
	"github.com/ruleshift/ruleshift/internal/gen"
	"github.com/ruleshift/ruleshift/internal/testenv"
	"github.com/ruleshift/ruleshift/translate"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// placementV4 puts rules with anonymous sets (multiport) where the batch
// order of netlink_order.go differs most from the source order: first and
// last in a chain, adjacent, alone in a chain, absent from a chain, after
// and before runs of other rules, in several tables.
const placementV4 = `*filter
:INPUT DROP [0:0]
:FORWARD ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:head - [0:0]
:only - [0:0]
:none - [0:0]
-A INPUT -p tcp -m multiport --dports 22,80 -j ACCEPT
-A INPUT -s 10.0.0.1/32 -j ACCEPT
-A INPUT -j head
-A INPUT -p udp -m multiport --dports 53,123 -j ACCEPT
-A INPUT -p udp -m multiport --sports 67,68 -j ACCEPT
-A INPUT -s 10.0.0.2/32 -j DROP
-A INPUT -s 10.0.0.3/32 -m comment --comment "after the last set" -j DROP
-A head -s 10.1.0.1/32 -j RETURN
-A head -s 10.1.0.2/32 -j RETURN
-A head -p tcp -m multiport --dports 1:10,20 -j DROP
-A head -s 10.1.0.3/32 -j none
-A head -s 10.1.0.4/32 -j only
-A head -p tcp -m multiport --dports 30,40 -j DROP
-A only -p tcp -m multiport --dports 5,6 -j DROP
-A only -p tcp -m multiport --dports 7,8 -j DROP
-A none -s 10.2.0.1/32 -j ACCEPT
-A none -j RETURN
-A OUTPUT -d 10.3.0.1/32 -j ACCEPT
-A OUTPUT -p tcp -m multiport --sports 1000,2000 -j ACCEPT
COMMIT
*nat
:PREROUTING ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
-A PREROUTING -d 10.4.0.1/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination 10.5.0.1:8080
-A PREROUTING -p tcp -m multiport --dports 81,82 -j DNAT --to-destination 10.5.0.2
-A PREROUTING -d 10.4.0.3/32 -j RETURN
-A POSTROUTING -o eth0 -j MASQUERADE
COMMIT
`

const placementV6 = `*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -s 2001:db8::1/128 -j ACCEPT
-A INPUT -p tcp -m multiport --dports 22,443 -j ACCEPT
-A INPUT -s 2001:db8::2/128 -j DROP
-A INPUT -p udp -m multiport --dports 546,547 -j ACCEPT
COMMIT
`

// placementInputs are the inputs above and a small ruleset of the
// benchmark's generator.
func placementInputs(t *testing.T) []netlinkInput {
	var g bytes.Buffer
	if err := gen.Rules(&g, 3000, false); err != nil {
		t.Fatal(err)
	}
	var out []netlinkInput
	for _, in := range []struct {
		name string
		data []byte
		fam  ir.Family
	}{{"placement.v4", []byte(placementV4), ir.IPv4}, {"placement.v6", []byte(placementV6), ir.IPv6}, {"gen3000.v4", g.Bytes(), ir.IPv4}} {
		rs, d := translate.Load([]translate.Input{{Name: in.name, Data: in.data}}, translate.Options{Family: in.fam})
		if d.HasErrors() {
			t.Fatalf("%s: %v", in.name, d)
		}
		out = append(out, netlinkInput{in.name, rs})
	}
	return out
}

// TestNetlinkPlacement loads each input over netlink and with nft -f of
// the rendered text, each into its own namespace, and wants the same
// listing (so the same order in every chain) and the same bytecode; only
// the handles, which number objects in creation order, may differ. The
// placement inputs must load over netlink.
func TestNetlinkPlacement(t *testing.T) {
	testenv.RequireRoot(t)
	testenv.RequireBinary(t, "nft", "nsenter")
	own := map[string]bool{}
	ins := placementInputs(t)
	for _, in := range ins {
		own[in.name] = true
	}
	ins = append(ins, netlinkInputs(t)...)
	withSets := 0
	for _, in := range ins {
		script, d := nftables.Render(in.rs, nftables.Options{})
		if d.HasErrors() {
			continue
		}
		ref := testenv.NewNetns(t, "hN")
		if _, err := ref.Run([]byte(script), "nft", "-f", "-"); err != nil {
			if own[in.name] {
				t.Fatalf("%s: nft -f: %v", in.name, err)
			}
			continue
		}
		ns := testenv.NewNetns(t, "hN")
		res, err := nftables.Apply(in.rs, nftables.ApplyOptions{NetNS: "/run/netns/" + ns.Name})
		if err != nil {
			t.Errorf("%s: apply: %v", in.name, err)
			continue
		}
		if own[in.name] && res.Method != "netlink" {
			t.Errorf("%s: loaded with %s, want netlink", in.name, res.Method)
		}
		if res.Method == "netlink" && strings.Contains(script, "{ ") {
			withSets++
		}
		want, _ := ref.Run(nil, "nft", "list", "ruleset")
		got, _ := ns.Run(nil, "nft", "list", "ruleset")
		if got != want {
			t.Errorf("%s: nft list ruleset differs after a netlink load:\n%s", in.name, lineDiff(want, got))
			continue
		}
		want, _ = ref.Run(nil, "nft", "--debug=netlink", "list", "ruleset")
		got, _ = ns.Run(nil, "nft", "--debug=netlink", "list", "ruleset")
		if w, g := withoutHandles(want), withoutHandles(got); g != w {
			t.Errorf("%s: nft --debug=netlink list ruleset differs after a netlink load:\n%s", in.name, lineDiff(w, g))
		}
	}
	t.Logf("%d inputs, %d of them loaded over netlink with anonymous sets", len(ins), withSets)
}

// withoutHandles drops the handle and position numbers that follow
// "family table chain" on the rule lines of nft --debug=netlink.
func withoutHandles(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if l == "" || l[0] == ' ' || l[0] == '\t' {
			continue
		}
		f := strings.Fields(l)
		if len(f) < 4 || len(f) > 5 {
			continue
		}
		numeric := true
		for _, x := range f[3:] {
			numeric = numeric && strings.Trim(x, "0123456789") == ""
		}
		if numeric {
			lines[i] = strings.Join(f[:3], " ")
		}
	}
	return strings.Join(lines, "\n")
}
