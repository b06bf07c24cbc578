package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"
)

// ufwCase is one testdata/ufw/*.txtar case: inputs (in/…), optional
// flags (args), and the expected outputs: one section per file of
// `translate --to ufw -o DIR/` (ufw/before.rules, …), the diagnostics
// with the exit code, and the `--to ufw-commands` script or its
// diagnostics.
type ufwCase struct {
	name   string
	dir    string
	inputs []string
	args   []string
	// got holds the rendered sections.
	got map[string]string
}

func loadUFWCase(t *testing.T, file string) (*ufwCase, *txtar.Archive) {
	a, err := txtar.ParseFile(file)
	if err != nil {
		t.Fatal(err)
	}
	c := &ufwCase{name: filepath.Base(file), dir: t.TempDir(), got: map[string]string{}}
	for _, f := range a.Files {
		switch {
		case f.Name == "args":
			c.args = strings.Fields(string(f.Data))
		case strings.HasPrefix(f.Name, "in/"):
			p := filepath.Join(c.dir, f.Name)
			os.MkdirAll(filepath.Dir(p), 0o755)
			if err := os.WriteFile(p, f.Data, 0o644); err != nil {
				t.Fatal(err)
			}
			c.inputs = append(c.inputs, p)
		}
	}
	c.render()
	return c, a
}

// render runs translate --to ufw and --to ufw-commands on the inputs.
func (c *ufwCase) render() {
	clean := func(s string) string { return strings.ReplaceAll(s, c.dir+"/", "") }
	var stdout, stderr bytes.Buffer
	odir := filepath.Join(c.dir, "out") + "/"
	code := run(append(append([]string{"translate", "--to", "ufw", "-o", odir}, c.args...), c.inputs...), &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr})
	c.got["diagnostics"] = fmt.Sprintf("exit %d\n%s", code, clean(stderr.String()))
	entries, _ := os.ReadDir(odir)
	for _, e := range entries {
		b, _ := os.ReadFile(filepath.Join(odir, e.Name()))
		c.got["ufw/"+e.Name()] = clean(string(b))
	}
	stdout.Reset()
	stderr.Reset()
	code = run(append(append([]string{"translate", "--to", "ufw-commands"}, c.args...), c.inputs...), &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr})
	if code == 0 {
		c.got["ufw-commands"] = stdout.String()
	} else {
		c.got["ufw-commands.diagnostics"] = fmt.Sprintf("exit %d\n%s", code, clean(stderr.String()))
	}
}

// TestUFWGolden runs every testdata/ufw/*.txtar case; -update rewrites
// the outputs.
func TestUFWGolden(t *testing.T) {
	files, _ := filepath.Glob("../../testdata/ufw/*.txtar")
	if len(files) == 0 {
		t.Fatal("no ufw golden cases")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			c, a := loadUFWCase(t, file)
			compareGolden(t, file, a, c.got)
		})
	}
}
