package nftables_test

import (
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/internal/testinputs"

	"github.com/ruleshift/ruleshift/backends/nftables"
	"github.com/ruleshift/ruleshift/internal/testenv"
	"github.com/ruleshift/ruleshift/translate"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// netlinkInput is one ruleset the netlink loader is checked on.
type netlinkInput struct {
	name string
	rs   *ir.Ruleset
}

// netlinkInputs are the inputs of the test data (every txtar case and
// script that parses), the examples and the corpus dumps.
func netlinkInputs(t *testing.T) []netlinkInput {
	var out []netlinkInput
	for _, in := range testinputs.All(t, "../..") {
		out = append(out, netlinkInput{in.Name, in.RS})
	}
	return out
}

// loopSave renders and parses but closes a jump loop the kernel refuses
// (ELOOP), so that the refusal path of TestNetlinkMatchesNft always runs.
const loopSave = `*filter
:INPUT DROP [0:0]
:LA - [0:0]
:LB - [0:0]
-A INPUT -s 192.0.2.1/32 -j ACCEPT
-A INPUT -j LA
-A LA -j LB
-A LB -j LA
COMMIT
`

func refusedInput(t *testing.T) netlinkInput {
	rs, d := translate.Load([]translate.Input{{Name: "loop.v4", Data: []byte(loopSave)}}, translate.Options{From: translate.Save, Family: ir.IPv4})
	if d.HasErrors() {
		t.Fatal(d.Err())
	}
	return netlinkInput{"loop.v4", rs}
}

// TestNetlinkMatchesNft is google/nftables' integration-test idea applied
// to ruleshift: every input is loaded once over netlink and once with
// nft -f of the rendered script, each into its own namespace, and the two
// "nft list ruleset" must be identical, and so must the kernel's bytecode
// (nft --debug=netlink); every input loads over netlink (there is no
// fallback to nft -f). An input nft
// refuses must be refused by Apply too, with an error, leaving the
// namespace empty: a refused batch changes nothing.
func TestNetlinkMatchesNft(t *testing.T) {
	testenv.RequireRoot(t)
	testenv.RequireBinary(t, "nft", "nsenter")
	netlinkOnly, refused := 0, 0
	for _, in := range append(netlinkInputs(t), refusedInput(t)) {
		script, d := nftables.Render(in.rs, nftables.Options{})
		if d.HasErrors() {
			continue
		}
		ref := testenv.NewNetns(t, "hAp")
		_, nftErr := ref.Run([]byte(script), "nft", "-f", "-")
		ns := testenv.NewNetns(t, "hAp")
		res, err := nftables.Apply(in.rs, nftables.ApplyOptions{NetNS: "/run/netns/" + ns.Name})
		if nftErr != nil {
			refused++
			if err == nil {
				t.Errorf("%s: nft -f refuses the rendered text (%v) but the netlink apply loaded it", in.name, nftErr)
			}
			if left, _ := ns.Run(nil, "nft", "list", "ruleset"); left != "" {
				t.Errorf("%s: the refused apply left:\n%s", in.name, left)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: apply: %v", in.name, err)
			continue
		}
		if res.Method != "netlink" {
			t.Errorf("%s: loaded with %q, want netlink", in.name, res.Method)
		}
		netlinkOnly++
		for _, args := range [][]string{{"list", "ruleset"}, {"--debug=netlink", "list", "ruleset"}} {
			// Handles number objects in creation order, which the
			// netlink loader changes (netlink_order.go).
			want, _ := ref.Run(nil, "nft", args...)
			got, _ := ns.Run(nil, "nft", args...)
			want, got = withoutHandles(want), withoutHandles(got)
			if got != want {
				t.Errorf("%s: nft %s differs after a netlink load:\n%s", in.name, strings.Join(args, " "), lineDiff(want, got))
				break
			}
		}
	}
	t.Logf("%d inputs loaded over netlink, %d refused by both", netlinkOnly, refused)
	if refused == 0 {
		t.Errorf("no input was refused: the refusal check did not run")
	}
}

// lineDiff shows the first differing lines of two listings.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	n := 0
	for i := 0; i < max(len(w), len(g)) && n < 6; i++ {
		var a, c string
		if i < len(w) {
			a = w[i]
		}
		if i < len(g) {
			c = g[i]
		}
		if a != c {
			b.WriteString("  nft -f:  " + a + "\n  netlink: " + c + "\n")
			n++
		}
	}
	return b.String()
}

// TestSnapshotRestore saves what one input loaded, loads another, and
// restores: the listing must be the first one again, byte for byte, and
// tables of other tools must be untouched throughout.
func TestSnapshotRestore(t *testing.T) {
	testenv.RequireRoot(t)
	testenv.RequireBinary(t, "nft")
	ins := netlinkInputs(t)
	ns := testenv.NewNetns(t, "hAp")
	path := "/run/netns/" + ns.Name
	foreign := "table ip docker_like {\n\tchain DOCKER {\n\t\tip daddr 172.17.0.2 tcp dport 80 accept\n\t}\n}\n"
	if _, err := ns.Run([]byte(foreign), "nft", "-f", "-"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(ins); i += 2 {
		a, b := ins[i], ins[i+1]
		if _, err := nftables.Apply(a.rs, nftables.ApplyOptions{NetNS: path, Families: []ir.Family{ir.IPv4, ir.IPv6}}); err != nil {
			continue
		}
		want, _ := ns.Run(nil, "nft", "list", "ruleset")
		snap, err := nftables.TakeSnapshot(path, []ir.Family{ir.IPv4, ir.IPv6})
		if err != nil {
			t.Fatalf("%s: snapshot: %v", a.name, err)
		}
		data, _ := snap.MarshalBinary()
		var back nftables.Snapshot
		if err := back.UnmarshalBinary(data); err != nil {
			t.Fatal(err)
		}
		if _, err := nftables.Apply(b.rs, nftables.ApplyOptions{NetNS: path, Families: []ir.Family{ir.IPv4, ir.IPv6}}); err != nil {
			continue
		}
		if err := back.Restore(path); err != nil {
			t.Fatalf("%s: restore: %v", a.name, err)
		}
		got, _ := ns.Run(nil, "nft", "list", "ruleset")
		if got != want {
			t.Errorf("%s: restored ruleset differs:\n%s", a.name, lineDiff(want, got))
		}
		if !strings.Contains(got, "table ip docker_like") {
			t.Fatalf("the foreign table is gone after %s/%s", a.name, b.name)
		}
	}
}
