package iptables

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/internal/corpus"
	"github.com/ruleshift/ruleshift/translate/ir"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestCorpusFamily records the family detected for every dump of the
// shared corpus, by its own name and by its contents alone, so that a
// change of the detection shows up as a diff of testdata/corpus-family.txt.
func TestCorpusFamily(t *testing.T) {
	var b strings.Builder
	for _, p := range corpus.SaveDumps(t) {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Base(p)
		d := detectFamily(name, string(data))
		fmt.Fprintf(&b, "%-44s %s  contents: %s\n", name, fam(d.Family), contentsFamily(string(data)))
	}
	golden := filepath.Join("testdata", "corpus-family.txt")
	if *update {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if string(want) != b.String() {
		t.Errorf("detected families changed (run with -update and review the diff):\n%s", b.String())
	}
}

// contentsFamily is what the contents alone say: ipv4, ipv6, mixed-… or
// none.
func contentsFamily(text string) string {
	d := detectFamily("dump", text)
	switch d.Basis {
	case ByContents:
		return fam(d.Family)
	case ByMajority:
		return "mixed, " + fam(d.Family)
	}
	return "none"
}

func fam(f ir.Family) string {
	if f == ir.IPv6 {
		return "ipv6"
	}
	return "ipv4"
}
