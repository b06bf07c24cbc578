package rulediff

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

func TestMoves(t *testing.T) {
	for _, c := range []struct {
		old, new string // rules separated by |
		want     string // line:from:to, separated by |
	}{
		{"a|b|c", "a|b|c", ""},
		{"a|b|c", "c|a|b", "c:3:1"},
		{"a|b|c", "b|c|a", "a:1:3"},
		{"a|b|c|d", "d|c|b|a", "d:4:1|c:3:2|b:2:3"},
		{"a|x|b", "a|b|y", ""}, // added and removed lines shift, nothing moves
		{"a|a|b", "a|b|a", "b:3:2"},
		{"policy DROP|a|b", "policy ACCEPT|b|a", "b:2:1"},
	} {
		var got []string
		for _, m := range Moves(split(c.old), split(c.new)) {
			got = append(got, fmt.Sprintf("%s:%d:%d", m.Line, m.From, m.To))
		}
		if g := strings.Join(got, "|"); g != c.want {
			t.Errorf("%q -> %q: moves %q, want %q", c.old, c.new, g, c.want)
		}
	}
}

// TestDiffGolden: testdata/*.txtar hold "old" and "new" in save format
// and the dry-run text in "want"; -update rewrites "want".
func TestDiffGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/*.txtar")
	if len(files) == 0 {
		t.Fatal("no golden files")
	}
	for _, f := range files {
		a, err := txtar.ParseFile(f)
		if err != nil {
			t.Fatal(err)
		}
		sec := map[string]string{}
		for _, s := range a.Files {
			sec[s.Name] = string(s.Data)
		}
		old, new := Chains{}, Chains{}
		old.AddSave("ipv4", sec["old"])
		new.AddSave("ipv4", sec["new"])
		var b strings.Builder
		Compare(old, new).Write(&b)
		if *update {
			for i := range a.Files {
				if a.Files[i].Name == "want" {
					a.Files[i].Data = []byte(b.String())
				}
			}
			if err := os.WriteFile(f, txtar.Format(a), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if b.String() != sec["want"] {
			t.Errorf("%s: got:\n%s\nwant:\n%s", f, b.String(), sec["want"])
		}
	}
}
