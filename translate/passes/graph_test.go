package passes

import (
	"reflect"
	"testing"

	"github.com/ruleshift/ruleshift/translate/ir"
)

const graphRules = `*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:web - [0:0]
:common - [0:0]
:final - [0:0]
:gofinal - [0:0]
:orphan - [0:0]
:orphankid - [0:0]
-A INPUT -p tcp -j web
-A INPUT -j common
-A FORWARD -g gofinal
-A OUTPUT -j common
-A web -p tcp --dport 80 -j ACCEPT
-A web -j common
-A common -s 10.0.0.0/8 -j RETURN
-A common -j final
-A final -j DROP
-A gofinal -j ACCEPT
-A orphan -j orphankid
COMMIT
`

func TestGraph(t *testing.T) {
	rs := load(t, ir.IPv4, graphRules)
	g := Graph(rs.Tables[0])
	type want struct {
		callers   []Site
		callees   []string
		hooks     HookSet
		mayReturn bool
		depth     int
	}
	cases := map[string]want{
		"INPUT":     {callees: []string{"web", "common"}, hooks: hIn, mayReturn: true, depth: 0},
		"FORWARD":   {callees: []string{"gofinal"}, hooks: hFwd, mayReturn: false, depth: 0},
		"web":       {callers: []Site{{"INPUT", 0, false}}, callees: []string{"common"}, hooks: hIn, mayReturn: true, depth: 1},
		"common":    {callers: []Site{{"INPUT", 1, false}, {"OUTPUT", 0, false}, {"web", 1, false}}, callees: []string{"final"}, hooks: hIn | hOut, mayReturn: true, depth: 2},
		"final":     {callers: []Site{{"common", 1, false}}, hooks: hIn | hOut, mayReturn: false, depth: 3},
		"gofinal":   {callers: []Site{{"FORWARD", 0, true}}, hooks: hFwd, mayReturn: false, depth: 1},
		"orphan":    {callees: []string{"orphankid"}, mayReturn: true, depth: -1},
		"orphankid": {callers: []Site{{"orphan", 0, false}}, mayReturn: true, depth: -1},
	}
	for name, w := range cases {
		n := g.Node(name)
		if n == nil {
			t.Fatalf("no node %s", name)
		}
		got := want{n.Callers, n.Callees, n.Hooks, n.MayReturn, n.Depth}
		if !reflect.DeepEqual(got, w) {
			t.Errorf("%s: got %+v, want %+v", name, got, w)
		}
		if n.Reachable() != (w.hooks != 0) {
			t.Errorf("%s: Reachable %v", name, n.Reachable())
		}
	}
	if len(g.Loops) != 0 {
		t.Errorf("loops %v", g.Loops)
	}
	if p := g.PathFrom("final", ir.HookOutput); !reflect.DeepEqual(p, []string{"OUTPUT", "common", "final"}) {
		t.Errorf("PathFrom final OUTPUT = %v", p)
	}
	if p := g.PathFrom("final", ir.HookInput); !reflect.DeepEqual(p, []string{"INPUT", "common", "final"}) {
		t.Errorf("PathFrom final INPUT = %v", p)
	}
	if p := g.PathFrom("final", ir.HookForward); p != nil {
		t.Errorf("PathFrom final FORWARD = %v", p)
	}
}

// TestMayReturn covers the ways a chain can or cannot give control back.
func TestMayReturn(t *testing.T) {
	rs := load(t, ir.IPv4, `*filter
:INPUT ACCEPT [0:0]
:empty - [0:0]
:drops - [0:0]
:conddrop - [0:0]
:condret - [0:0]
:jumpsdrop - [0:0]
:gotoret - [0:0]
:gotodrop - [0:0]
:condgotoret - [0:0]
:commentdrop - [0:0]
:logonly - [0:0]
-A drops -j DROP
-A conddrop -p tcp -j DROP
-A condret -p tcp -j RETURN
-A condret -j REJECT
-A jumpsdrop -j drops
-A gotoret -g empty
-A gotodrop -g drops
-A condgotoret -p udp -g empty
-A condgotoret -j ACCEPT
-A commentdrop -m comment --comment "all" -j DROP
-A logonly -j LOG
COMMIT
`)
	g := Graph(rs.Tables[0])
	want := map[string]bool{
		"empty": true, "drops": false, "conddrop": true, "condret": true, "jumpsdrop": false,
		"gotoret": true, "gotodrop": false, "condgotoret": true, "commentdrop": false, "logonly": true,
	}
	for name, w := range want {
		if got := g.Node(name).MayReturn; got != w {
			t.Errorf("%s: MayReturn %v, want %v", name, got, w)
		}
	}
}

func TestGraphLoops(t *testing.T) {
	rs := load(t, ir.IPv4, `*filter
:INPUT ACCEPT [0:0]
:a - [0:0]
:b - [0:0]
:c - [0:0]
:self - [0:0]
:x - [0:0]
:y - [0:0]
-A INPUT -j a
-A a -j b
-A b -g c
-A c -p tcp -j a
-A self -j self
-A x -j y
-A y -j x
COMMIT
`)
	g := Graph(rs.Tables[0])
	want := [][]string{{"a", "b", "c"}, {"self"}, {"x", "y"}}
	got := g.Loops
	// The order of components is Tarjan's; compare as a set.
	if len(got) != len(want) {
		t.Fatalf("loops %v, want %v", got, want)
	}
	for _, w := range want {
		found := false
		for _, l := range got {
			found = found || reflect.DeepEqual(l, w)
		}
		if !found {
			t.Errorf("loop %v missing from %v", w, got)
		}
	}
	if p := g.LoopPath("b"); !reflect.DeepEqual(p, []string{"b", "c", "a", "b"}) {
		t.Errorf("LoopPath(b) = %v", p)
	}
	if p := g.LoopPath("self"); !reflect.DeepEqual(p, []string{"self", "self"}) {
		t.Errorf("LoopPath(self) = %v", p)
	}
	if !g.Node("c").Reachable() || g.Node("x").Reachable() {
		t.Error("reachability of loops")
	}
}

func TestHookSet(t *testing.T) {
	s := Hooks(ir.HookPostrouting, ir.HookOutput)
	if s.String() != "OUTPUT/POSTROUTING" || !s.Has(ir.HookOutput) || s.Has(ir.HookInput) {
		t.Errorf("HookSet %v", s)
	}
}

func TestHolding(t *testing.T) {
	rs := load(t, ir.IPv4, graphRules)
	g := Graph(rs.Tables[0])
	drops := g.Holding(func(r *ir.Rule) bool {
		v, ok := r.Target.(*ir.Verdict)
		return ok && v.Kind == ir.Drop
	})
	want := map[string]bool{"final": true, "common": true, "web": true, "INPUT": true, "OUTPUT": true}
	if !reflect.DeepEqual(drops, want) {
		t.Errorf("Holding(DROP) = %v, want %v", drops, want)
	}
}
