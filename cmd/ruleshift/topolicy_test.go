package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/ruleshift/ruleshift/backends"
	policyout "github.com/ruleshift/ruleshift/backends/policy"
	"github.com/ruleshift/ruleshift/internal/corpus"
	"github.com/ruleshift/ruleshift/translate"
	"github.com/ruleshift/ruleshift/translate/hosts"
	"github.com/ruleshift/ruleshift/translate/ir"
	"github.com/ruleshift/ruleshift/translate/policy"
)

// toPolicyCase is one translate --to policy run: its inputs and flags.
type toPolicyCase struct {
	inputs, args []string
}

// run translates the case to a policy, returning stdout, stderr and the
// exit code.
func (c toPolicyCase) run() (string, string, int) {
	var stdout, stderr bytes.Buffer
	args := append(append([]string{"translate", "--to", "policy"}, c.args...), c.inputs...)
	code := run(args, &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr})
	return stdout.String(), stderr.String(), code
}

// load reads the case's inputs as translate does (host names from the
// --hosts file of its args).
func (c toPolicyCase) load(t *testing.T) *ir.Ruleset {
	t.Helper()
	o := translate.Options{}
	for i, a := range c.args {
		if i > 0 && c.args[i-1] == "--hosts" {
			data, _ := os.ReadFile(a)
			hf, _ := hosts.Parse(a, data)
			o.Resolve = hf.Resolver()
		}
		if i > 0 && c.args[i-1] == "--family" {
			o.Family = map[string]ir.Family{"ipv4": ir.IPv4, "ipv6": ir.IPv6}[a]
		}
	}
	var ins []translate.Input
	for _, p := range c.inputs {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		ins = append(ins, translate.Input{Name: p, Data: data, Dir: filepath.Dir(p)})
	}
	rs, d := translate.Load(ins, o)
	if d.HasErrors() {
		t.Fatalf("%v: %v", c.inputs, d.Err())
	}
	runPasses(rs)
	return rs
}

// readBack checks that the policy the case printed reads back, with the
// policy frontend, to the rules the policy backend planned: the input's
// filter chains with user chains inlined, rule for rule.
func readBack(t *testing.T, c toPolicyCase, text string) {
	t.Helper()
	var fams []ir.Family
	if f := (&inputFlags{Family: familyArg(c.args)}).family(); f != 0 {
		fams = []ir.Family{f}
	}
	readBackRules(t, c.load(t), fams, text)
}

// readBackRules checks that text, the policy of rs, reads back to the
// rules the policy backend planned for rs.
func readBackRules(t *testing.T, rs *ir.Ruleset, fams []ir.Family, text string) {
	t.Helper()
	plan, d := policyout.Plan(rs, fams)
	if d.HasErrors() {
		t.Fatalf("plan: %v", d.Err())
	}
	got, d := policy.Load("policy.toml", []byte(text), policy.Options{AllowLockout: true})
	if d.HasErrors() {
		t.Fatalf("the policy does not read back: %v\n%s", d.Err(), text)
	}
	want := plan.Ruleset()
	if len(got.Tables) != len(want.Tables) {
		t.Fatalf("read back %d tables, planned %d", len(got.Tables), len(want.Tables))
	}
	for _, wt := range want.Tables {
		gt := got.Table(wt.Family, "filter")
		if gt == nil {
			t.Fatalf("no %s filter table read back", wt.Family)
		}
		for _, wc := range wt.Chains {
			gc := gt.Chain(wc.Name)
			if gc == nil || gc.PolicyOf() != wc.PolicyOf() {
				t.Errorf("%s %s: chain missing or policy differs", wt.Family, wc.Name)
				continue
			}
			w, g := normRules(wc.Rules), normRules(gc.Rules)
			if len(w) != len(g) {
				t.Errorf("%s %s: %d rules read back, %d planned\n%s", wt.Family, wc.Name, len(g), len(w), text)
				continue
			}
			for i := range w {
				if !ir.Equal(w[i], g[i]) {
					t.Errorf("%s %s rule %d: read back %s, planned %s", wt.Family, wc.Name, i+1, ruleText(g[i]), ruleText(w[i]))
				}
			}
		}
	}
}

func familyArg(args []string) string {
	for i, a := range args {
		if i > 0 && args[i-1] == "--family" {
			return a
		}
	}
	return "auto"
}

// normRules rewrites rules into one form for the tests that mean the
// same: -m conntrack --ctstate as -m state, every port test as a
// multiport of its side, comments joined, matches sorted, no names of
// hosts or users.
func normRules(rules []*ir.Rule) []*ir.Rule {
	var out []*ir.Rule
	for _, r := range rules {
		n := &ir.Rule{Target: r.Target}
		if l, ok := r.Target.(*ir.Log); ok && l.Level == ir.LogWarning {
			c := *l
			c.Level = ir.LogLevelUnset
			n.Target = &c
		}
		var comments []string
		add := func(m ir.Match) { n.Matches = append(n.Matches, m) }
		// Tests of one side, from a rule and the chain it was inlined
		// from, hold together: their intersection.
		portsOf := map[ir.Dir][]ir.PortRange{}
		addrOf := map[ir.Dir]*ir.Addr{}
		var state *ir.State
		addPorts := func(d ir.Dir, l []ir.PortRange) {
			old, ok := portsOf[d]
			if !ok {
				portsOf[d] = l
				return
			}
			var both []ir.PortRange
			for _, a := range old {
				for _, b := range l {
					if lo, hi := max(a.Lo, b.Lo), min(a.Hi, b.Hi); lo <= hi {
						both = append(both, ir.PortRange{Lo: lo, Hi: hi})
					}
				}
			}
			portsOf[d] = both
		}
		ports := func(d ir.Dir, p *ir.PortRange) {
			if p != nil {
				addPorts(d, []ir.PortRange{*p})
			}
		}
		for _, m := range r.Matches {
			switch m := m.(type) {
			case *ir.Conntrack:
				if m.State != nil && !m.State.Neg && (ir.Conntrack{At: m.At, State: m.State}) == *m {
					if state == nil {
						state = &ir.State{States: m.State.States}
					} else {
						state.States &= m.State.States
					}
					continue
				}
				add(m)
			case *ir.State:
				if m.Neg {
					add(m)
				} else if state == nil {
					state = &ir.State{States: m.States}
				} else {
					state.States &= m.States
				}
			case *ir.Multiport:
				if m.Neg || m.Dir == ir.Both {
					add(m)
				} else {
					addPorts(m.Dir, m.Ports)
				}
			case *ir.TCP:
				ports(ir.Src, m.SrcPorts)
				ports(ir.Dst, m.DstPorts)
				if m.Flags != nil || m.Option != nil {
					add(&ir.TCP{Flags: m.Flags, Option: m.Option})
				}
			case *ir.UDP:
				ports(ir.Src, m.SrcPorts)
				ports(ir.Dst, m.DstPorts)
			case *ir.SCTP:
				ports(ir.Src, m.SrcPorts)
				ports(ir.Dst, m.DstPorts)
			case *ir.Addr:
				c := *m
				c.Host = ""
				if o := addrOf[c.Dir]; o != nil && !c.Neg && !o.Neg && c.Net.Bits() < o.Net.Bits() {
					continue // the narrower prefix stays
				}
				if !c.Neg {
					addrOf[c.Dir] = &c
					continue
				}
				add(&c)
			case *ir.Owner:
				c := *m
				if c.UID != nil {
					u := *c.UID
					u.Name = ""
					c.UID = &u
				}
				add(&c)
			case *ir.Protocol:
				if !m.All || m.Neg {
					add(m)
				}
			case *ir.Comment:
				comments = append(comments, m.Text)
			default:
				add(m)
			}
		}
		for _, d := range []ir.Dir{ir.Src, ir.Dst} {
			if l, ok := portsOf[d]; ok {
				add(&ir.Multiport{Dir: d, Ports: l})
			}
			if a := addrOf[d]; a != nil {
				add(a)
			}
		}
		if state != nil {
			add(state)
		}
		if comments != nil {
			add(&ir.Comment{Text: strings.Join(comments, " ")})
		}
		sort.SliceStable(n.Matches, func(i, j int) bool { return matchKey(n.Matches[i]) < matchKey(n.Matches[j]) })
		// A test repeated (a rule and the chain it was inlined from
		// both test -p tcp) is one test.
		uniq := n.Matches[:0]
		for i, m := range n.Matches {
			if i == 0 || matchKey(m) != matchKey(n.Matches[i-1]) {
				uniq = append(uniq, m)
			}
		}
		n.Matches = uniq
		out = append(out, n)
	}
	return out
}

// matchKey orders matches by kind and value, ignoring positions.
func matchKey(m ir.Match) string {
	v := reflect.New(reflect.TypeOf(m).Elem())
	v.Elem().Set(reflect.ValueOf(m).Elem())
	c := v.Interface().(ir.Match)
	c.SetPos(ir.Pos{})
	return fmt.Sprintf("%T %+v", c, c)
}

func ruleText(r *ir.Rule) string {
	var l []string
	for _, m := range r.Matches {
		l = append(l, matchKey(m))
	}
	return fmt.Sprintf("%v -> %T %+v", l, r.Target, r.Target)
}

// toPolicyGolden lists the testdata/topolicy cases.
func toPolicyGolden(t *testing.T) []string {
	files, _ := filepath.Glob("../../testdata/topolicy/*.txtar")
	if len(files) == 0 {
		t.Fatal("no topolicy golden cases")
	}
	return files
}

// writeToPolicyCase writes a golden case's in/ files to dir: the inputs
// are every file but hosts files (*.hosts), and "in/" in its args names
// dir's.
func writeToPolicyCase(t *testing.T, dir string, a *txtar.Archive) toPolicyCase {
	var c toPolicyCase
	for _, f := range a.Files {
		switch {
		case f.Name == "args":
			c.args = strings.Fields(strings.ReplaceAll(string(f.Data), "in/", dir+"/in/"))
		case strings.HasPrefix(f.Name, "in/"):
			p := filepath.Join(dir, f.Name)
			os.MkdirAll(filepath.Dir(p), 0o755)
			if err := os.WriteFile(p, f.Data, 0o644); err != nil {
				t.Fatal(err)
			}
			if !strings.HasSuffix(f.Name, ".hosts") {
				c.inputs = append(c.inputs, p)
			}
		}
	}
	return c
}

// TestToPolicyGolden runs every testdata/topolicy/*.txtar case (go test
// -update rewrites them): scripts and dumps in, the policy (or the
// errors) out with the diagnostics and exit status; and every policy
// printed reads back to the planned rules.
func TestToPolicyGolden(t *testing.T) {
	for _, file := range toPolicyGolden(t) {
		t.Run(filepath.Base(file), func(t *testing.T) {
			a, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			c := writeToPolicyCase(t, dir, a)
			stdout, stderr, code := c.run()
			clean := func(s string) string { return strings.ReplaceAll(s, dir+"/", "") }
			got := map[string]string{"policy": stdout, "diagnostics": fmt.Sprintf("exit %d\n%s", code, clean(stderr))}
			compareGolden(t, file, a, got)
			if code == 0 {
				readBack(t, c, stdout)
			}
		})
	}
}

// toPolicySources are the inputs of the round trips: the golden cases,
// every corpus dump and every golden script (host names from
// examples/hosts).
func toPolicySources(t *testing.T) []toPolicyCase {
	var out []toPolicyCase
	for _, file := range toPolicyGolden(t) {
		a, err := txtar.ParseFile(file)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, writeToPolicyCase(t, t.TempDir(), a))
	}
	for _, f := range corpus.SaveDumps(t) {
		out = append(out, toPolicyCase{inputs: []string{f}})
	}
	scripts, _ := filepath.Glob("../../testdata/scripts/*.sh")
	for _, f := range scripts {
		out = append(out, toPolicyCase{inputs: []string{f}, args: []string{"--hosts", "../../examples/hosts"}})
	}
	return out
}

// firstError is the first error line of a run's stderr without its
// position, for the tally of reasons.
func firstError(stderr string) string {
	for _, l := range strings.Split(stderr, "\n") {
		if l == "" || strings.Contains(l, ": warning: ") || strings.HasPrefix(l, "ruleshift: ") {
			continue
		}
		if _, msg, ok := strings.Cut(l, ": "); ok {
			return msg
		}
		return l
	}
	return "?"
}

// TestToPolicyReadBackCorpus: every corpus dump and golden script that
// converts reads back to the planned rules.
func TestToPolicyReadBackCorpus(t *testing.T) {
	n := 0
	for _, c := range toPolicySources(t) {
		stdout, _, code := c.run()
		if code != 0 {
			continue
		}
		n++
		t.Run(filepath.Base(c.inputs[0]), func(t *testing.T) { readBack(t, c, stdout) })
	}
	if n == 0 {
		t.Fatal("no source converts")
	}
}

// TestToPolicyValues: every ICMP type and code the model can hold, and
// the limit rates iptables makes of N/second to N/day, are written so
// that they read back the same, or refused.
func TestToPolicyValues(t *testing.T) {
	accept := func() ir.Target { return &ir.Verdict{Kind: ir.Accept} }
	for _, fam := range []ir.Family{ir.IPv4, ir.IPv6} {
		num := uint8(1)
		if fam == ir.IPv6 {
			num = 58
		}
		var rules []*ir.Rule
		for ty := 0; ty < 256; ty++ {
			codes := [][2]uint8{{0, 255}, {0, 0}, {1, 1}, {3, 3}, {4, 9}}
			for _, c := range codes {
				rules = append(rules, &ir.Rule{Matches: []ir.Match{&ir.Protocol{Num: num}, &ir.ICMP{V6: fam == ir.IPv6, Type: uint8(ty), CodeMin: c[0], CodeMax: c[1]}}, Target: accept()})
			}
		}
		if fam == ir.IPv4 {
			rules = append(rules, &ir.Rule{Matches: []ir.Match{&ir.Protocol{Num: 1}, &ir.ICMP{Any: true, CodeMax: 255}}, Target: accept()})
		}
		for _, secs := range []uint64{1, 60, 3600, 86400} {
			for n := uint64(1); n <= 10000; n = n*3 + 1 {
				avg := uint32(secs * ir.LimitScale / n)
				rules = append(rules, &ir.Rule{Matches: []ir.Match{&ir.Limit{Avg: avg, Burst: uint32(n%20 + 1)}}, Target: accept()})
			}
		}
		rs := &ir.Ruleset{Tables: []*ir.Table{{Family: fam, Name: "filter", Chains: []*ir.Chain{
			{Name: "INPUT", Base: &ir.BaseChain{Hook: ir.HookInput, Policy: ir.PolicyAccept}, Rules: rules}}}}}
		files, d := backends.Lookup("policy").Render(rs, backends.RenderOptions{})
		if d.HasErrors() {
			t.Fatalf("%s: %v", fam, d.Err())
		}
		readBackRules(t, rs, nil, files[0].Text)
	}
}
