package passes

import (
	"fmt"
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/translate/ir"
)

func accept(port uint16) *ir.Rule {
	p := ir.PortRange{Lo: port, Hi: port}
	return &ir.Rule{Matches: []ir.Match{&ir.Protocol{Num: 6}, &ir.TCP{DstPorts: &p}}, Target: &ir.Verdict{Kind: ir.Accept}}
}

func filterTable(f ir.Family, policy ir.Policy, rules ...*ir.Rule) *ir.Table {
	return &ir.Table{Family: f, Name: "filter", Chains: []*ir.Chain{{Name: "INPUT", Base: &ir.BaseChain{Type: ir.TypeFilter, Hook: ir.HookInput, Policy: policy}, Rules: rules}},
		Sets: []*ir.Set{{Name: "hosts", Key: ir.SetKeyIPv4}}}
}

// TestMergeInet: shared rules once and in order, the rest behind their
// family's match, sets renamed per family; different policies keep the
// tables apart.
func TestMergeInet(t *testing.T) {
	same := func(a, b *ir.Rule) bool { return ir.Equal(a, b) }
	rs := &ir.Ruleset{Tables: []*ir.Table{
		filterTable(ir.IPv4, ir.PolicyDrop, accept(22), accept(80), accept(443)),
		filterTable(ir.IPv6, ir.PolicyDrop, accept(22), accept(8080), accept(443), accept(25)),
	}}
	out := MergeInet(rs, same)
	if len(out.Tables) != 1 || out.Tables[0].Family != ir.Inet {
		t.Fatalf("not merged:\n%s", ir.Dump(out))
	}
	var got []string
	for _, r := range out.Tables[0].Chains[0].Rules {
		s := ""
		if nf, ok := r.Matches[0].(*ir.NFProto); ok {
			s = nf.Family.String() + " "
		}
		s += fmt.Sprint(r.Matches[len(r.Matches)-1].(*ir.TCP).DstPorts.Lo)
		got = append(got, s)
	}
	if want := "22,ip 80,ip6 8080,443,ip6 25"; strings.Join(got, ",") != want {
		t.Errorf("merged rules %s, want %s", strings.Join(got, ","), want)
	}
	if s := out.Tables[0].Sets; len(s) != 2 || s[0].Name != "hosts_v4" || s[1].Name != "hosts_v6" {
		t.Errorf("sets: %+v", s)
	}
	rs.Tables[1] = filterTable(ir.IPv6, ir.PolicyAccept, accept(22))
	if out := MergeInet(rs, same); len(out.Tables) != 2 {
		t.Errorf("tables with different policies merged:\n%s", ir.Dump(out))
	}
}
