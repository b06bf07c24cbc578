package archtest

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// The kind-coverage test: every kind of the model is handled by every
// backend, and verify either shapes probes for a match kind or says why it
// does not. A new kind that someone forgets in one place fails here rather
// than at a user's rule ("internal error: no rendering for match …").
// It reads the source with go/parser, so it needs no build of the
// packages it checks and sees exactly the case clauses written.

// kindsOf lists the types of translate/ir that implement Match (they have
// an isMatch method) and Target (isTarget).
func kindsOf(t *testing.T) (matches, targets []string) {
	for _, f := range parseDir(t, "translate/ir") {
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv == nil || len(fn.Recv.List) != 1 {
				continue
			}
			recv := typeName(fn.Recv.List[0].Type)
			switch fn.Name.Name {
			case "isMatch":
				matches = append(matches, recv)
			case "isTarget":
				targets = append(targets, recv)
			}
		}
	}
	sort.Strings(matches)
	sort.Strings(targets)
	return matches, targets
}

// parseDir parses the non-test Go files of a directory of the module.
func parseDir(t *testing.T, dir string) []*ast.File {
	t.Helper()
	root := filepath.Join("..", "..", filepath.FromSlash(dir))
	ents, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	var out []*ast.File
	for _, e := range ents {
		n := e.Name()
		if !strings.HasSuffix(n, ".go") || strings.HasSuffix(n, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(root, n), nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, f)
	}
	return out
}

func typeName(e ast.Expr) string {
	if s, ok := e.(*ast.StarExpr); ok {
		e = s.X
	}
	switch e := e.(type) {
	case *ast.Ident:
		return e.Name
	case *ast.SelectorExpr:
		return e.Sel.Name
	}
	return ""
}

// irCases collects the ir kinds named in the case clauses of type
// switches ("case *ir.TCP, *ir.UDP:") in the files, only inside the
// functions named in funcs when funcs is not empty.
func irCases(files []*ast.File, funcs ...string) map[string]bool {
	out := map[string]bool{}
	for _, f := range files {
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Body == nil || (len(funcs) > 0 && !contains(funcs, fn.Name.Name)) {
				continue
			}
			ast.Inspect(fn.Body, func(n ast.Node) bool {
				cc, ok := n.(*ast.CaseClause)
				if !ok {
					return true
				}
				for _, e := range cc.List {
					star, ok := e.(*ast.StarExpr)
					if !ok {
						continue
					}
					if sel, ok := star.X.(*ast.SelectorExpr); ok {
						if x, ok := sel.X.(*ast.Ident); ok && x.Name == "ir" {
							out[sel.Sel.Name] = true
						}
					}
				}
				return true
			})
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// mapKeys returns the string keys of the composite literal assigned to
// the package-level variable name, with the line of each.
func mapKeys(files []*ast.File, name string) map[string]bool {
	out := map[string]bool{}
	for _, f := range files {
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.VAR {
				continue
			}
			for _, s := range g.Specs {
				vs := s.(*ast.ValueSpec)
				for i, id := range vs.Names {
					if id.Name != name || i >= len(vs.Values) {
						continue
					}
					lit, ok := vs.Values[i].(*ast.CompositeLit)
					if !ok {
						continue
					}
					for _, el := range lit.Elts {
						kv, ok := el.(*ast.KeyValueExpr)
						if !ok {
							continue
						}
						if b, ok := kv.Key.(*ast.BasicLit); ok && b.Kind == token.STRING {
							k, _ := strconv.Unquote(b.Value)
							out[k] = true
						}
					}
				}
			}
		}
	}
	return out
}

func TestKindCoverage(t *testing.T) {
	matches, targets := kindsOf(t)
	if len(matches) < 50 || len(targets) < 20 {
		t.Fatalf("found %d match and %d target kinds in translate/ir: the parse is broken", len(matches), len(targets))
	}
	all := append(append([]string{}, matches...), targets...)

	// (a) the iptables renderer's dispatch, (b) any type switch of the
	// nftables backend (its dispatch is being rewritten; the name in a
	// case clause is what counts).
	iptFiles := parseDir(t, "backends/iptables")
	ipt := irCases(iptFiles, "match", "target")
	nft := irCases(parseDir(t, "backends/nftables"))
	for _, k := range all {
		if !ipt[k] {
			t.Errorf("ir.%s has no case in backends/iptables' match or target dispatch", k)
		}
		if !nft[k] {
			t.Errorf("ir.%s has no case in backends/nftables", k)
		}
	}

	// (c) verify: a match kind is shaped (a case of a type switch in
	// verify) or listed in probeNeutral with its reason, never both.
	// Targets are not shaped: a probe observes what the target does.
	vfiles := parseDir(t, "verify")
	shaped := irCases(vfiles)
	neutral := mapKeys(vfiles, "probeNeutral")
	if len(neutral) == 0 {
		t.Fatal("verify declares no probeNeutral table")
	}
	nShaped := 0
	for _, k := range matches {
		switch {
		case shaped[k] && neutral[k]:
			t.Errorf("ir.%s is shaped by verify and also listed in probeNeutral", k)
		case shaped[k]:
			nShaped++
		case !neutral[k]:
			t.Errorf("ir.%s: verify neither shapes probes for it nor says why not in probeNeutral", k)
		}
	}
	for k := range neutral {
		if !contains(matches, k) {
			t.Errorf("probeNeutral names %q, which is no match kind of translate/ir", k)
		}
	}
	t.Logf("%d match kinds, %d target kinds; verify shapes %d match kinds and declares %d neutral",
		len(matches), len(targets), nShaped, len(neutral))
}
