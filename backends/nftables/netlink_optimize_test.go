package nftables_test

import (
	"sort"
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/backends/nftables"
	"github.com/ruleshift/ruleshift/internal/testenv"
	"github.com/ruleshift/ruleshift/translate/passes"
	"github.com/ruleshift/ruleshift/translate/passes/optimize"
)

// TestNetlinkMatchesNftOptimized is TestNetlinkMatchesNft for what
// --optimize makes of every input (address sets, merged port lists,
// verdict maps, inet tables): loaded over netlink and with nft -f of the
// rendered text, the listings and the bytecode must be the same.
func TestNetlinkMatchesNftOptimized(t *testing.T) {
	testenv.RequireRoot(t)
	testenv.RequireBinary(t, "nft", "nsenter")
	loaded := 0
	for _, in := range netlinkInputs(t) {
		rs, rep := optimize.Ruleset(in.rs)
		if len(rep.Merges) == 0 {
			continue
		}
		rs = passes.MergeInet(rs, nftables.SameInBoth)
		script, d := nftables.Render(rs, nftables.Options{})
		if d.HasErrors() {
			continue
		}
		ref := testenv.NewNetns(t, "hAo")
		if out, err := ref.Run([]byte(script), "nft", "-f", "-"); err != nil {
			t.Errorf("%s: nft -f refuses the optimised text: %v\n%s", in.name, err, out)
			continue
		}
		ns := testenv.NewNetns(t, "hAo")
		if _, err := nftables.Apply(rs, nftables.ApplyOptions{NetNS: "/run/netns/" + ns.Name}); err != nil {
			t.Errorf("%s: apply: %v", in.name, err)
			continue
		}
		loaded++
		for _, args := range [][]string{{"list", "ruleset"}, {"--debug=netlink", "list", "ruleset"}} {
			want, _ := ref.Run(nil, "nft", args...)
			got, _ := ns.Run(nil, "nft", args...)
			want, got = elemsSorted(withoutHandles(want)), elemsSorted(withoutHandles(got))
			if got != want {
				t.Errorf("%s: nft %s differs after a netlink load:\n%s", in.name, strings.Join(args, " "), lineDiff(want, got))
				break
			}
		}
	}
	t.Logf("%d optimised inputs loaded over netlink", loaded)
	if loaded == 0 {
		t.Error("no optimised input was loaded")
	}
}

// elemsSorted sorts the elements of each set in nft --debug=netlink's
// listing: a hash set (a concatenation of single values is one) lists
// them in the order of a hash whose seed the kernel draws per set, so
// two loads of the same set list them in different orders.
func elemsSorted(listing string) string {
	lines := strings.Split(listing, "\n")
	for i, l := range lines {
		if strings.HasPrefix(l, "\telement ") {
			parts := strings.Split(strings.TrimPrefix(l, "\t"), "\t")
			sort.Strings(parts)
			lines[i] = "\t" + strings.Join(parts, "\t")
		}
	}
	for i := 0; i < len(lines); {
		j := i
		for j < len(lines) && strings.HasPrefix(lines[j], "\telement ") {
			j++
		}
		if j > i {
			sort.Strings(lines[i:j])
			i = j
			continue
		}
		i++
	}
	return strings.Join(lines, "\n")
}
