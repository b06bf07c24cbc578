package applytest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/internal/testenv"
)

// bad6 loads an IPv4 table, then an IPv6 table whose last rule closes a
// jump loop, which the kernel refuses: the IPv4 restore succeeds and must
// be undone.
const bad6 = `iptables -P INPUT DROP
iptables -A INPUT -s 192.0.2.1 -j ACCEPT
iptables -t nat -A POSTROUTING -s 10.0.0.0/8 -j MASQUERADE
ip6tables -N LA
ip6tables -N LB
ip6tables -A INPUT -j LA
ip6tables -A LA -j LB
ip6tables -A LB -j LA
`

// kernelState is every listing of the namespace's firewall: nft's, and
// both iptables variants' for both families.
func kernelState(t *testing.T, ns *testenv.Netns) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, tool := range []string{"nft", "iptables-nft-save", "ip6tables-nft-save", "iptables-legacy-save", "ip6tables-legacy-save"} {
		args := []string{}
		if tool == "nft" {
			args = []string{"list", "ruleset"}
		}
		text, err := ns.Run(nil, tool, args...)
		if err != nil {
			t.Fatal(err)
		}
		out[tool] = testenv.StripSave(text)
	}
	return out
}

// pristineLegacy drops from a legacy listing the tables the kernel's
// defaults describe (built-in chains, ACCEPT, no rules) that were not
// listed before: a legacy table the restore tool touched stays
// instantiated in its namespace, and a failed apply resets it to exactly
// that (backends/iptables/saved.go).
func pristineLegacy(before, after string) string {
	var b strings.Builder
	for _, block := range strings.SplitAfter(after, "COMMIT\n") {
		lines := strings.Split(strings.TrimSuffix(block, "\n"), "\n")
		if len(lines) < 2 {
			b.WriteString(block)
			continue
		}
		clean := strings.HasPrefix(lines[0], "*") && !strings.Contains(before, lines[0]+"\n")
		for _, l := range lines[1 : len(lines)-1] {
			if !strings.HasPrefix(l, ":") || !strings.HasSuffix(l, " ACCEPT") {
				clean = false
			}
		}
		if !clean {
			b.WriteString(block)
		}
	}
	return b.String()
}

// TestApplyFailureLeavesNoTrace: an apply whose IPv6 half the kernel
// refuses leaves every listing as it was, in a pristine namespace and in
// one holding a ruleset, and names the refused rule's line in the script.
func TestApplyFailureLeavesNoTrace(t *testing.T) {
	need(t)
	testenv.RequireBinary(t, "ip6tables-nft-save", "ip6tables-legacy-save")
	script := writeFile(t, "bad6.sh", bad6)
	g := writeFile(t, "good.v4", good)
	for _, backend := range backends {
		for _, preload := range []bool{false, true} {
			ns := testenv.NewNetns(t, "hAp")
			if preload {
				if r := rs(ns, nil, "apply", "--backend", backend, g); r.code != 0 {
					t.Fatalf("%s: %s", backend, r.stderr)
				}
			}
			before := kernelState(t, ns)
			r := rs(ns, nil, "apply", "--warn", "kernel-check", "--backend", backend, script)
			if r.code != 4 {
				t.Errorf("%s: exit %d, want 4: %s", backend, r.code, r.stderr)
			}
			want := "bad6.sh:8:"
			if backend == "iptables-legacy" {
				want = "bad6.sh:4:" // the table as a whole, from its first command
			}
			if !strings.Contains(r.stderr, want) {
				t.Errorf("%s: the error does not name %s: %s", backend, want, r.stderr)
			}
			sameKernel(t, fmt.Sprintf("%s (preloaded %v)", backend, preload), backend, before, kernelState(t, ns), "the refused apply")
		}
	}
}

// TestTableWithoutChains: "*nat" then COMMIT creates nothing with
// iptables-nft-restore; translate --to iptables-nft and apply must not
// create it either.
func TestTableWithoutChains(t *testing.T) {
	need(t)
	const in = "*nat\nCOMMIT\n*filter\n:INPUT DROP [0:0]\n-A INPUT -s 192.0.2.1/32 -j ACCEPT\nCOMMIT\n"
	p := writeFile(t, "nochains.v4", in)
	real := testenv.NewNetns(t, "hAp")
	if _, err := real.Run([]byte(in), "iptables-nft-restore"); err != nil {
		t.Fatal(err)
	}
	want, _ := real.Run(nil, "nft", "list", "ruleset")
	if strings.Contains(want, "table ip nat") {
		t.Fatalf("iptables-nft-restore created the nat table:\n%s", want)
	}
	applied := testenv.NewNetns(t, "hAp")
	if r := rs(applied, nil, "apply", "--backend", "iptables-nft", p); r.code != 0 {
		t.Fatalf("apply: %s", r.stderr)
	}
	text, ok := translate("--to", "iptables-nft", p)
	if !ok {
		t.Fatal("translate --to iptables-nft failed")
	}
	translated := testenv.NewNetns(t, "hAp")
	if _, err := translated.Run([]byte(text), "iptables-nft-restore"); err != nil {
		t.Fatal(err)
	}
	for name, ns := range map[string]*testenv.Netns{"apply": applied, "translate": translated} {
		if got, _ := ns.Run(nil, "nft", "list", "table", "ip", "nat"); got != "" {
			t.Errorf("%s created the nat table:\n%s", name, got)
		}
	}
}

// TestConfirmRollbackLeavesNoTrace: an unconfirmed apply into a pristine
// namespace is rolled back to the same listings: the tables it created
// are removed (reset, for iptables-legacy), not left behind empty.
func TestConfirmRollbackLeavesNoTrace(t *testing.T) {
	need(t)
	good6 := strings.Replace(bad6, "ip6tables -A LB -j LA\n", "ip6tables -A LB -p tcp --dport 22 -j ACCEPT\n", 1)
	script := writeFile(t, "good6.sh", good6)
	for _, backend := range confirmBackends {
		ns := testenv.NewNetns(t, "hAp")
		before := kernelState(t, ns)
		r := rs(ns, nil, "apply", "--backend", backend, "--confirm", "2s", "--state-dir", t.TempDir(), script)
		if r.code != 4 || !strings.Contains(r.stderr, "previous ruleset was restored") {
			t.Errorf("%s: exit %d: %s", backend, r.code, r.stderr)
		}
		sameKernel(t, backend, backend, before, kernelState(t, ns), "the rollback")
	}
}

// sameKernel fails the test for each listing that differs between before
// and after; a legacy table the backend had to leave behind counts as
// absent when it is pristine (the kernel keeps it in the namespace).
func sameKernel(t *testing.T, label, backend string, before, after map[string]string, what string) {
	t.Helper()
	for tool, b := range before {
		a := after[tool]
		if backend == "iptables-legacy" && strings.Contains(tool, "legacy") {
			a = pristineLegacy(b, a)
		}
		if a != b {
			t.Errorf("%s: %s differs after %s:\n--- before\n%s\n--- after\n%s", label, tool, what, b, a)
		}
	}
}
