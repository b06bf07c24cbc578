// Package testinputs loads every ruleset the tests share: the golden
// translate cases, the test scripts, the examples and the corpus dumps,
// each parsed into the model. Inputs that do not translate are skipped
// (with a log line), since tests over "all inputs" compare backends, not
// parsers.
package testinputs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/ruleshift/ruleshift/internal/corpus"
	"github.com/ruleshift/ruleshift/translate"
	"github.com/ruleshift/ruleshift/translate/diag"
	"github.com/ruleshift/ruleshift/translate/hosts"
	"github.com/ruleshift/ruleshift/translate/ir"
	// The script frontend, for the test scripts and examples.
	_ "github.com/ruleshift/ruleshift/translate/script"
)

// Input is one named ruleset.
type Input struct {
	Name string
	RS   *ir.Ruleset
}

// All loads the inputs; root is the repository root relative to the test's
// package directory (for example "../..").
func All(t testing.TB, root string) []Input {
	var out []Input
	add := func(name string, ins []translate.Input) {
		o := translate.Options{}
		// The examples and scripts name hosts of a hosts file beside them.
		if data, err := os.ReadFile(filepath.Join(ins[0].Dir, "hosts")); err == nil && ins[0].Dir != "" {
			f, _ := hosts.Parse("hosts", data)
			o.Resolve = f.Resolver()
		}
		rs, d := translate.Load(ins, o)
		if d.HasErrors() || len(rs.Tables) == 0 {
			t.Logf("skipped: %s: %s", name, firstLine(d))
			return
		}
		out = append(out, Input{name, rs})
	}
	// The optimiser's cases too: what each of them makes must load.
	cases, _ := filepath.Glob(filepath.Join(root, "testdata/translate/*.txtar"))
	optimize, _ := filepath.Glob(filepath.Join(root, "testdata/optimize/*.txtar"))
	for _, c := range append(cases, optimize...) {
		a, err := txtar.ParseFile(c)
		if err != nil {
			t.Fatal(err)
		}
		var ins []translate.Input
		for _, f := range a.Files {
			if strings.HasPrefix(f.Name, "in/") {
				ins = append(ins, translate.Input{Name: f.Name, Data: f.Data, Dir: "."})
			}
		}
		name := filepath.Base(c)
		if filepath.Base(filepath.Dir(c)) == "optimize" {
			name = "optimize/" + name
		}
		add(name, ins)
	}
	scripts, _ := filepath.Glob(filepath.Join(root, "testdata/scripts/*.sh"))
	examples, _ := filepath.Glob(filepath.Join(root, "examples/*"))
	for _, s := range append(scripts, examples...) {
		if filepath.Base(s) == "hosts" {
			continue
		}
		data, _ := os.ReadFile(s)
		add(filepath.Base(s), []translate.Input{{Name: s, Data: data, Dir: filepath.Dir(s)}})
	}
	for _, d := range corpus.SaveDumps(t) {
		data, _ := os.ReadFile(d)
		add(filepath.Base(d), []translate.Input{{Name: d, Data: data}})
	}
	return out
}

func firstLine(d *diag.List) string {
	if err := d.Err(); err != nil {
		return strings.SplitN(err.Error(), "\n", 2)[0]
	}
	return "no tables"
}
