package script_test

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	ipbackend "github.com/ruleshift/ruleshift/backends/iptables"
	"github.com/ruleshift/ruleshift/translate/diag"
	"github.com/ruleshift/ruleshift/translate/hosts"
	"github.com/ruleshift/ruleshift/translate/ir"
	"github.com/ruleshift/ruleshift/translate/script"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/scripts")

// scriptsDir holds the test scripts, the files they read, the hosts file
// both the translator and the kernel oracle use, and one .golden file per
// script.
const scriptsDir = "../../testdata/scripts"

// testScripts lists the scripts under testdata/scripts.
func testScripts(t testing.TB) []string {
	t.Helper()
	list, err := filepath.Glob(filepath.Join(scriptsDir, "*.sh"))
	if err != nil || len(list) == 0 {
		t.Fatalf("no test scripts in %s: %v", scriptsDir, err)
	}
	return list
}

// directive reports whether a script carries "# ruleshift-test: WORD".
func directive(src []byte, word string) bool {
	for _, line := range strings.Split(string(src), "\n") {
		if rest, ok := strings.CutPrefix(line, "# ruleshift-test:"); ok && strings.HasPrefix(strings.TrimSpace(rest), word) {
			return true
		}
	}
	return false
}

func hostsResolver(t testing.TB) script.Options {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(scriptsDir, "hosts"))
	if err != nil {
		t.Fatal(err)
	}
	f, d := hosts.Parse("hosts", data)
	if len(d.Items) > 0 {
		t.Fatalf("hosts file: %v", d.Items)
	}
	return script.Options{Resolve: f.Resolver()}
}

// translate runs the frontend on one test script the way the CLI does
// with --hosts testdata/scripts/hosts, and --as-run when asRun is set.
func translate(t testing.TB, path string, asRun bool) (*ir.Ruleset, *diag.List) {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	o := hostsResolver(t)
	o.Name, o.Dir = filepath.Base(path), filepath.Dir(path)
	o.AsRun = asRun
	rs := &ir.Ruleset{}
	d := script.Load(rs, src, o)
	return rs, d
}

// render gives the iptables-legacy restore text of one family.
func render(rs *ir.Ruleset, f ir.Family) (string, *diag.List) {
	return ipbackend.Render(rs, f, ipbackend.Legacy, ipbackend.Options{})
}

// goldenText is the golden file of one script: diagnostics, model dump and
// the restore text of both families, then, under as-run/, each of these
// that --as-run changes.
func goldenText(t *testing.T, path string) []byte {
	a := &txtar.Archive{Comment: []byte("Golden output of " + filepath.Base(path) + "; rewrite with go test ./translate/script -update.\n" +
		"Sections under as-run/ are those that --as-run changes.\n")}
	def := goldenSections(t, path, false)
	a.Files = def
	for i, f := range goldenSections(t, path, true) {
		if !bytes.Equal(f.Data, def[i].Data) {
			a.Files = append(a.Files, txtar.File{Name: "as-run/" + f.Name, Data: f.Data})
		}
	}
	return txtar.Format(a)
}

func goldenSections(t *testing.T, path string, asRun bool) []txtar.File {
	rs, d := translate(t, path, asRun)
	var rules []txtar.File
	for _, f := range []ir.Family{ir.IPv4, ir.IPv6} {
		text, rd := render(rs, f)
		d.Add(rd)
		name := map[ir.Family]string{ir.IPv4: "rules.v4", ir.IPv6: "rules.v6"}[f]
		rules = append(rules, txtar.File{Name: name, Data: []byte(text)})
	}
	d.Sort()
	var b strings.Builder
	for _, x := range d.Items {
		b.WriteString(x.String())
		b.WriteByte('\n')
	}
	return append([]txtar.File{
		{Name: "diagnostics", Data: []byte(b.String())},
		{Name: "dump", Data: []byte(ir.Dump(rs))}}, rules...)
}

func TestGolden(t *testing.T) {
	for _, path := range testScripts(t) {
		name := strings.TrimSuffix(filepath.Base(path), ".sh")
		t.Run(name, func(t *testing.T) {
			got := goldenText(t, path)
			gpath := filepath.Join(scriptsDir, name+".golden")
			if *update {
				if err := os.WriteFile(gpath, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(gpath)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the golden file (run go test -update and review the diff)\n--- got\n%s", gpath, got)
			}
		})
	}
}
