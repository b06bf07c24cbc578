package passes

import (
	"strconv"
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/internal/testenv"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// TestHooksKernel confirms the restriction table against the running
// kernel: each entry in a user chain jumped to from every hook of its
// table, loaded with the legacy and nft variants of iptables-restore in a
// scratch namespace. iptables-legacy must refuse exactly where the pass
// does; iptables-nft the same, except for the checkentry entries, which
// it lets through in a user chain (see hooks.go).
func TestHooksKernel(t *testing.T) {
	if testing.Short() {
		t.Skip("kernel test")
	}
	testenv.RequireRoot(t)
	tools := []string{"iptables-legacy-restore", "iptables-nft-restore", "ip6tables-legacy-restore", "ip6tables-nft-restore"}
	testenv.RequireBinary(t, tools...)
	ns := testenv.NewNetns(t, "rs-hooks")
	for _, c := range hookCases {
		for _, h := range tableHooks[c.table].List() {
			text := saveText(c.table, h, c.spec)
			refused := CheckHooks(load(t, c.fam, text)).HasErrors()
			for _, nft := range []bool{false, true} {
				tool := map[ir.Family]string{ir.IPv4: "iptables", ir.IPv6: "ip6tables"}[c.fam]
				tool += map[bool]string{false: "-legacy-restore", true: "-nft-restore"}[nft]
				_, err := ns.Run([]byte(text), tool)
				want := refused && !(nft && c.checkentry)
				if got := err != nil; got != want {
					t.Errorf("%s -t %s, %s from %s: tool refused %v, want %v (pass refused %v): %v", tool, c.table, c.spec, HookName(h), got, want, refused, err)
				}
			}
		}
	}
}

// TestIfacesKernel: -i and -o where the packet has no such device are
// accepted by the kernel in a user chain, so the pass only warns.
func TestIfacesKernel(t *testing.T) {
	if testing.Short() {
		t.Skip("kernel test")
	}
	testenv.RequireRoot(t)
	testenv.RequireBinary(t, "iptables-legacy-restore", "iptables-nft-restore")
	ns := testenv.NewNetns(t, "rs-iface")
	for _, c := range []struct {
		table string
		h     ir.Hook
		spec  string
	}{
		{"filter", ir.HookInput, "-o eth0"},
		{"filter", ir.HookOutput, "-i eth0"},
		{"nat", ir.HookPrerouting, "-o eth0"},
		{"nat", ir.HookPostrouting, "! -i eth0"},
	} {
		text := saveText(c.table, c.h, c.spec)
		d := CheckHooks(load(t, ir.IPv4, text))
		if d.HasErrors() || len(d.Items) != 1 {
			t.Errorf("%s from %s: want one warning, got %s", c.spec, HookName(c.h), joined(d))
		}
		for _, tool := range []string{"iptables-legacy-restore", "iptables-nft-restore"} {
			if _, err := ns.Run([]byte(text), tool); err != nil {
				t.Errorf("%s: %s from %s refused: %v", tool, c.spec, HookName(c.h), err)
			}
		}
	}
}

// TestGraphKernel confirms the graph checks Run makes errors of: a loop a
// built-in chain reaches is refused by both variants and one nothing
// reaches is loaded; a chain nested NFTMaxJumpDepth+1 jumps deep is
// refused by iptables-nft only.
func TestGraphKernel(t *testing.T) {
	if testing.Short() {
		t.Skip("kernel test")
	}
	testenv.RequireRoot(t)
	testenv.RequireBinary(t, "iptables-legacy-restore", "iptables-nft-restore")
	ns := testenv.NewNetns(t, "rs-graph")
	deep := func(n int) string {
		var b strings.Builder
		b.WriteString("*filter\n:INPUT ACCEPT [0:0]\n")
		for i := 1; i <= n; i++ {
			b.WriteString(":c" + strconv.Itoa(i) + " - [0:0]\n")
		}
		b.WriteString("-A INPUT -j c1\n")
		for i := 1; i < n; i++ {
			b.WriteString("-A c" + strconv.Itoa(i) + " -j c" + strconv.Itoa(i+1) + "\n")
		}
		b.WriteString("COMMIT\n")
		return b.String()
	}
	cases := []struct {
		name         string
		text         string
		legacy, nftv bool // refused by
	}{
		{"reached loop", "*filter\n:INPUT ACCEPT [0:0]\n:a - [0:0]\n:b - [0:0]\n-A INPUT -j a\n-A a -j b\n-A b -g a\nCOMMIT\n", true, true},
		{"unreached loop", "*filter\n:a - [0:0]\n:b - [0:0]\n-A a -j b\n-A b -j a\nCOMMIT\n", false, false},
		{"depth max", deep(NFTMaxJumpDepth), false, false},
		{"depth max+1", deep(NFTMaxJumpDepth + 1), false, true},
	}
	for _, c := range cases {
		d := Run(load(t, ir.IPv4, c.text), Options{MaxJumpDepth: NFTMaxJumpDepth})
		if got := d.HasErrors(); got != c.nftv {
			t.Errorf("%s: pass (nf_tables depth) error %v, want %v: %s", c.name, got, c.nftv, joined(d))
		}
		for _, tool := range []string{"iptables-legacy-restore", "iptables-nft-restore"} {
			want := c.legacy
			if tool == "iptables-nft-restore" {
				want = c.nftv
			}
			if _, err := ns.Run([]byte(c.text), tool); (err != nil) != want {
				t.Errorf("%s: %s refused %v, want %v: %v", c.name, tool, err != nil, want, err)
			}
		}
	}
}
