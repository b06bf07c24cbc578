package passes

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/ruleshift/ruleshift/translate/ir"
)

// randomTable makes a table of a few base chains and user chains with
// random jumps, gotos and verdicts, some of them conditional.
func randomTable(r *rand.Rand) *ir.Table {
	t := &ir.Table{Family: ir.IPv4, Name: "filter"}
	nb, nu := 1+r.IntN(3), r.IntN(8)
	names := []string{}
	for i := 0; i < nb+nu; i++ {
		c := &ir.Chain{Name: "c" + strconv.Itoa(i)}
		if i < nb {
			c.Base = &ir.BaseChain{Hook: ir.Hook(r.IntN(5))}
		}
		t.Chains = append(t.Chains, c)
		names = append(names, c.Name)
	}
	for _, c := range t.Chains {
		for j := r.IntN(5); j > 0; j-- {
			rule := &ir.Rule{}
			if r.IntN(2) == 0 {
				rule.Matches = []ir.Match{&ir.Protocol{Num: 6}}
			}
			switch k := r.IntN(4); {
			case k == 0 || nu == 0:
				rule.Target = &ir.Verdict{Kind: []ir.VerdictKind{ir.Accept, ir.Drop, ir.Return}[r.IntN(3)]}
			case k == 1:
				rule.Target = &ir.Log{}
			default:
				rule.Target = &ir.Jump{Chain: names[nb+r.IntN(nu)], Goto: r.IntN(3) == 0}
			}
			c.Rules = append(c.Rules, rule)
		}
	}
	return t
}

// TestGraphProperties checks the graph of random tables against naive
// definitions: reachability and hooks by search from each base chain,
// loops by a chain reaching itself, and every PathFrom a real path.
func TestGraphProperties(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for iter := 0; iter < 2000; iter++ {
		tbl := randomTable(r)
		g := Graph(tbl)
		succ := func(c *ir.Chain) []string {
			var out []string
			for _, rl := range c.Rules {
				if j, ok := rl.Target.(*ir.Jump); ok {
					out = append(out, j.Chain)
				}
			}
			return out
		}
		reach := func(from string) map[string]bool {
			seen := map[string]bool{}
			stack := succ(tbl.Chain(from))
			for len(stack) > 0 {
				x := stack[len(stack)-1]
				stack = stack[:len(stack)-1]
				if !seen[x] {
					seen[x] = true
					stack = append(stack, succ(tbl.Chain(x))...)
				}
			}
			return seen
		}
		isLog := func(rl *ir.Rule) bool { _, ok := rl.Target.(*ir.Log); return ok }
		logs := g.Holding(isLog)
		for _, c := range tbl.Chains {
			want := false
			for x := range reach(c.Name) {
				for _, rl := range tbl.Chain(x).Rules {
					want = want || isLog(rl)
				}
			}
			for _, rl := range c.Rules {
				want = want || isLog(rl)
			}
			if logs[c.Name] != want {
				t.Fatalf("iter %d %s: Holding(LOG) %v, want %v", iter, c.Name, logs[c.Name], want)
			}
			var hooks HookSet
			for _, b := range tbl.Chains {
				if b.Base != nil && (b == c || reach(b.Name)[c.Name]) {
					hooks |= Hooks(b.Base.Hook)
				}
			}
			n := g.Node(c.Name)
			if n.Hooks != hooks {
				t.Fatalf("iter %d %s: hooks %v, want %v", iter, c.Name, n.Hooks, hooks)
			}
			if n.Loop != reach(c.Name)[c.Name] {
				t.Fatalf("iter %d %s: loop %v", iter, c.Name, n.Loop)
			}
			for _, h := range hooks.List() {
				p := g.PathFrom(c.Name, h)
				if len(p) == 0 || p[len(p)-1] != c.Name || tbl.Chain(p[0]).Base == nil || tbl.Chain(p[0]).Base.Hook != h {
					t.Fatalf("iter %d: PathFrom(%s, %v) = %v", iter, c.Name, h, p)
				}
				for i := 1; i < len(p); i++ {
					if !containsStr(succ(tbl.Chain(p[i-1])), p[i]) {
						t.Fatalf("iter %d: PathFrom(%s, %v) = %v: no jump %s -> %s", iter, c.Name, h, p, p[i-1], p[i])
					}
				}
			}
			if n.Loop {
				p := g.LoopPath(c.Name)
				if len(p) < 2 || p[0] != c.Name || p[len(p)-1] != c.Name {
					t.Fatalf("iter %d: LoopPath(%s) = %v", iter, c.Name, p)
				}
			}
		}
		Run(&ir.Ruleset{Tables: []*ir.Table{tbl}}, Options{MaxJumpDepth: 2})
	}
}
