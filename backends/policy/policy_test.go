package policy

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/backends"
	"github.com/ruleshift/ruleshift/translate/ir"
)

func base(name string, h ir.Hook, p ir.Policy, rules ...*ir.Rule) *ir.Chain {
	return &ir.Chain{Name: name, Base: &ir.BaseChain{Hook: h, Policy: p}, Rules: rules}
}

func jump(c string) *ir.Rule { return &ir.Rule{Target: &ir.Jump{Chain: c}} }

// TestPrintOnly: the backend prints only; the commands that load are not
// offered it, and loading through it is a clear error.
func TestPrintOnly(t *testing.T) {
	b := backends.Lookup("policy")
	if _, ok := b.(backends.Printer); !ok {
		t.Fatal("the policy backend is not a Printer")
	}
	for _, n := range backends.Loadable() {
		if n == "policy" {
			t.Error("Loadable lists the policy backend")
		}
	}
	if _, err := b.Apply(context.Background(), &ir.Ruleset{}, backends.ApplyOptions{}); err == nil || !strings.Contains(err.Error(), "loads nothing") {
		t.Errorf("Apply: %v", err)
	}
	if _, err := b.Snapshot(context.Background(), &ir.Ruleset{}, backends.ApplyOptions{}); err == nil {
		t.Error("Snapshot: no error")
	}
	if err := b.Restore(context.Background(), &backends.Snapshot{}, backends.ApplyOptions{}); err == nil {
		t.Error("Restore: no error")
	}
}

// TestOddModels: models no frontend makes today give errors, not panics
// nor a policy that says less.
func TestOddModels(t *testing.T) {
	deep := &ir.Table{Family: ir.IPv4, Name: "filter", Chains: []*ir.Chain{base("INPUT", ir.HookInput, ir.PolicyAccept, jump("c0"))}}
	for i := 0; i < 30; i++ {
		deep.Chains = append(deep.Chains, &ir.Chain{Name: "c" + string(rune('0'+i)), Rules: []*ir.Rule{jump("c" + string(rune('1'+i)))}})
	}
	cases := map[string]*ir.Table{
		"missing chain": {Family: ir.IPv4, Name: "filter", Chains: []*ir.Chain{base("INPUT", ir.HookInput, ir.PolicyAccept, jump("nowhere"))}},
		"loop": {Family: ir.IPv4, Name: "filter", Chains: []*ir.Chain{base("INPUT", ir.HookInput, ir.PolicyAccept, jump("a")),
			{Name: "a", Rules: []*ir.Rule{jump("a")}}}},
		"deep":       deep,
		"inet":       {Family: ir.Inet, Name: "filter"},
		"nat policy": {Family: ir.IPv4, Name: "nat", Chains: []*ir.Chain{base("PREROUTING", ir.HookPrerouting, ir.PolicyDrop)}},
		"empty multiport": {Family: ir.IPv4, Name: "filter", Chains: []*ir.Chain{base("INPUT", ir.HookInput, ir.PolicyAccept,
			&ir.Rule{Matches: []ir.Match{&ir.Protocol{Num: 6}, &ir.Multiport{Dir: ir.Dst}}, Target: &ir.Verdict{Kind: ir.Accept}})}},
		"mask": {Family: ir.IPv4, Name: "filter", Chains: []*ir.Chain{base("INPUT", ir.HookInput, ir.PolicyAccept,
			&ir.Rule{Matches: []ir.Match{&ir.Addr{Dir: ir.Src, Net: netip.MustParsePrefix("10.0.0.0/8"), Mask: netip.MustParseAddr("255.0.255.0")}}, Target: &ir.Verdict{Kind: ir.Drop}})}},
		"two bases": {Family: ir.IPv4, Name: "filter", Chains: []*ir.Chain{base("INPUT", ir.HookInput, ir.PolicyAccept), base("IN2", ir.HookInput, ir.PolicyAccept)}},
	}
	for name, tb := range cases {
		_, d := Plan(&ir.Ruleset{Tables: []*ir.Table{tb}}, nil)
		if !d.HasErrors() {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestEmpty: a ruleset without rules is a policy that accepts, every
// safe default off.
func TestEmpty(t *testing.T) {
	files, d := backends.Lookup("policy").Render(&ir.Ruleset{}, backends.RenderOptions{})
	if d.HasErrors() || len(files) != 1 {
		t.Fatalf("%v %v", files, d.Err())
	}
	want := "families = [\"ipv4\"]\nloopback = false\nestablished = false\n\n[policy]\ninput = \"accept\"\noutput = \"accept\"\nforward = \"accept\"\n"
	if files[0].Text != want {
		t.Errorf("got\n%s\nwant\n%s", files[0].Text, want)
	}
}
