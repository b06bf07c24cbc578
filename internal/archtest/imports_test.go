package archtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os/exec"
	"path"
	"sort"
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/internal/testenv"
)

// rule says which packages a package (or a tree, "x/...") must not depend
// on, directly or through others; allow carves exceptions out of forbid.
type rule struct {
	pkg           string
	forbid, allow []string
	why           string
}

// The right side of the flow, which nothing to its left imports.
var right = []string{"persist/...", "distros/...", "verify/...", "cmd/..."}

// model lists what every stage may take from the translate tree: the
// model, its diagnostics and the passes over it, none of them an input.
var model = []string{"translate/ir", "translate/diag", "translate/passes/..."}

var rules = []rule{
	{pkg: "translate/ir", forbid: []string{"..."},
		why: "the model is plain data and imports nothing of the project"},
	{pkg: "translate/...", forbid: append([]string{"backends/..."}, right...),
		why: "the inputs and the model import nothing to their right"},
	{pkg: "backends/...", forbid: append([]string{"translate/..."}, right...), allow: model,
		why: "a backend reads the model, not an input format (translate/iptables, translate/script, …), and imports nothing to its right"},
	{pkg: "backends", forbid: []string{"backends/*/..."},
		why: "the Backend interface and its registry name no backend: each registers itself"},
	{pkg: "distros/...", forbid: []string{"backends/*/...", "translate/...", "persist/...", "verify/...", "cmd/..."}, allow: model,
		why: "detection does not depend on a renderer nor on an input format; it may name a backend through the registry (package backends)"},
	{pkg: "persist/...", forbid: []string{"backends/*/...", "translate/...", "verify/...", "cmd/..."}, allow: model,
		why: "persistence uses a backend's rendered files through the registry, not a backend package, and no input format"},
	{pkg: "internal/pending", forbid: []string{"backends/*/...", "translate/..."}, allow: model,
		why: "the rollback state names its backend and restores through the registry"},
	{pkg: "internal/rulediff", forbid: []string{"backends/*/...", "translate/..."}, allow: model,
		why: "the dry-run comparison loads and lists through the Backend interface"},
	{pkg: "verify", forbid: []string{"translate/..."}, allow: model,
		why: "verify loads what a backend renders; it reads no input format itself (the CLI does)"},
}

// match reports whether a project-relative package path p matches pat:
// a path.Match pattern, "x/..." for x and everything under it, "..." for
// every package.
func match(pat, p string) bool {
	if pat == "..." {
		return true
	}
	if base, ok := strings.CutSuffix(pat, "/..."); ok {
		n := strings.Count(base, "/") + 1
		segs := strings.Split(p, "/")
		if len(segs) < n {
			return false
		}
		m, _ := path.Match(base, strings.Join(segs[:n], "/"))
		return m
	}
	m, _ := path.Match(pat, p)
	return m
}

func matchAny(pats []string, p string) bool {
	for _, pat := range pats {
		if match(pat, p) {
			return true
		}
	}
	return false
}

// graph maps each project package (relative to the module) to its direct
// imports and its dependencies, both of the project only.
type graph struct {
	imports, deps map[string][]string
}

// violations lists every dependency against the rules, each with the
// import chain that brings it in.
func violations(g graph) []string {
	var out []string
	for _, pkg := range sortedKeys(g.deps) {
		for _, r := range rules {
			if !match(r.pkg, pkg) {
				continue
			}
			for _, d := range g.deps[pkg] {
				if d != pkg && matchAny(r.forbid, d) && !matchAny(r.allow, d) {
					out = append(out, fmt.Sprintf("%s depends on %s (%s): %s", pkg, d, strings.Join(chain(g, pkg, d), " → "), r.why))
				}
			}
		}
	}
	return out
}

// chain finds a shortest import path from one package to another.
func chain(g graph, from, to string) []string {
	prev := map[string]string{from: ""}
	queue := []string{from}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		if p == to {
			var out []string
			for ; p != ""; p = prev[p] {
				out = append([]string{p}, out...)
			}
			return out
		}
		for _, q := range g.imports[p] {
			if _, seen := prev[q]; !seen {
				prev[q] = p
				queue = append(queue, q)
			}
		}
	}
	return []string{from, "…", to}
}

func sortedKeys(m map[string][]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// load lists the module's packages with go list (their non-test files:
// tests may well read inputs to check an output).
func load(t *testing.T) graph {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		testenv.Missing(t, "the go tool is needed to list the packages: %v", err)
	}
	mod, err := exec.Command(goTool, "list", "-m").Output()
	if err != nil {
		t.Fatalf("go list -m: %v", err)
	}
	prefix := strings.TrimSpace(string(mod)) + "/"
	cmd := exec.Command(goTool, "list", "-e", "-json=ImportPath,Imports,Deps,Error", prefix+"...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	own := func(ps []string) []string {
		var r []string
		for _, p := range ps {
			if rel, ok := strings.CutPrefix(p, prefix); ok {
				r = append(r, rel)
			}
		}
		return r
	}
	g := graph{imports: map[string][]string{}, deps: map[string][]string{}}
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p struct {
			ImportPath    string
			Imports, Deps []string
			Error         *struct{ Err string }
		}
		if err := dec.Decode(&p); err == io.EOF {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		if p.Error != nil {
			t.Errorf("%s: %s", p.ImportPath, p.Error.Err)
		}
		rel, ok := strings.CutPrefix(p.ImportPath, prefix)
		if !ok {
			continue
		}
		g.imports[rel], g.deps[rel] = own(p.Imports), own(p.Deps)
	}
	if len(g.deps) == 0 {
		t.Fatal("go list found no packages")
	}
	return g
}

// TestImportsAlongTheFlow fails when a package imports against the flow.
func TestImportsAlongTheFlow(t *testing.T) {
	g := load(t)
	for _, v := range violations(g) {
		t.Error(v)
	}
	// The rules must still name packages that exist, or they check nothing.
	for _, r := range rules {
		found := false
		for p := range g.deps {
			found = found || match(r.pkg, p)
		}
		if !found {
			t.Errorf("rule for %s matches no package", r.pkg)
		}
	}
}

// TestViolations checks that the rules catch the imports they are for,
// on a made-up graph.
func TestViolations(t *testing.T) {
	g := graph{
		imports: map[string][]string{
			"distros":            {"backends/nftables"},
			"backends/iptables":  {"translate/iptables"},
			"backends/nftables":  {"translate/ir", "translate/diag"},
			"translate/ir":       {"internal/netfilter"},
			"translate/iptables": {"translate/ir"},
			"persist":            {"backends/nftables", "backends/nftables/stmt"},
			"cmd/ruleshift":      {"translate/script", "distros", "persist"},
			"translate/script":   {"translate"},
			"translate":          {"translate/iptables"},
			"translate/passes":   {"backends"},
			"backends":           {"backends/iptables"},
			"internal/rulediff":  {"backends/nftables"},
			"verify":             {"translate/iptables", "backends"},
		},
	}
	g.deps = map[string][]string{}
	for p := range g.imports {
		seen := map[string]bool{}
		var walk func(string)
		walk = func(q string) {
			for _, d := range g.imports[q] {
				if !seen[d] {
					seen[d] = true
					walk(d)
				}
			}
		}
		walk(p)
		for d := range seen {
			g.deps[p] = append(g.deps[p], d)
		}
		sort.Strings(g.deps[p])
	}
	got := strings.Join(violations(g), "\n")
	for _, want := range []string{
		"distros depends on backends/nftables",
		"backends/iptables depends on translate/iptables (backends/iptables → translate/iptables)",
		"translate/ir depends on internal/netfilter",
		"persist depends on backends/nftables/stmt",
		"persist depends on backends/nftables (persist → backends/nftables)",
		"translate/passes depends on backends ",
		"backends depends on backends/iptables",
		"internal/rulediff depends on backends/nftables",
		"verify depends on translate/iptables",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("missing %q in:\n%s", want, got)
		}
	}
	for _, clean := range []string{"backends/nftables depends", "cmd/ruleshift depends", "translate/script depends", "verify depends on backends "} {
		if strings.Contains(got, clean) {
			t.Errorf("%q is along the flow, but:\n%s", clean, got)
		}
	}
}
