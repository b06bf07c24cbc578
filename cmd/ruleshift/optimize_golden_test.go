package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"
)

// TestOptimizeGolden runs every testdata/optimize/*.txtar case through
// ruleshift translate --to nftables --optimize --explain: the nft text
// ("stdout"), the explanation ("stderr") and the rules per chain
// ("rules") compared with the file's sections. A comment line
// "ceiling: CHAIN N" caps the rules of a chain: the expected dump of the
// nft -o testcase the case ports (never its listing: see
// ../shared/docs/optimizer-lint.md §1.4), which the output must not
// exceed.
func TestOptimizeGolden(t *testing.T) {
	files, _ := filepath.Glob("../../testdata/optimize/*.txtar")
	if len(files) == 0 {
		t.Fatal("no optimize golden cases")
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			a, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			args := []string{"translate", "--to", "nftables", "--optimize", "--explain"}
			var inputs []string
			for _, f := range a.Files {
				switch {
				case f.Name == "args":
					args = append(args, strings.Fields(string(f.Data))...)
				case strings.HasPrefix(f.Name, "in/"):
					p := filepath.Join(dir, f.Name)
					os.MkdirAll(filepath.Dir(p), 0o755)
					if err := os.WriteFile(p, f.Data, 0o644); err != nil {
						t.Fatal(err)
					}
					inputs = append(inputs, p)
				}
			}
			var stdout, stderr bytes.Buffer
			code := run(append(args, inputs...), &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr})
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			clean := func(s string) string { return strings.ReplaceAll(s, dir+"/", "") }
			counts := chainRuleCounts(stdout.String())
			for _, c := range ceilings(string(a.Comment)) {
				if got := counts[c.chain]; got > c.max {
					t.Errorf("chain %s has %d rules, more than the ceiling %d", c.chain, got, c.max)
				}
			}
			got := map[string]string{"stdout": stdout.String(), "stderr": clean(stderr.String()), "rules": countsText(counts)}
			compareGolden(t, file, a, got)
		})
	}
}

// chainRuleCounts counts the rules of each chain of an nft script, by
// chain name (tables of one name are summed: ip and ip6 merged into inet
// hold the same chains).
func chainRuleCounts(text string) map[string]int {
	out := map[string]int{}
	chain := ""
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		l := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(l, "chain ") && strings.HasSuffix(l, "{"):
			chain = strings.Fields(l)[1]
			out[chain] += 0
		case l == "}":
			chain = ""
		case chain != "" && l != "" && !strings.HasPrefix(l, "type ") && !strings.HasPrefix(l, "#"):
			out[chain]++
		}
	}
	return out
}

func countsText(m map[string]int) string {
	var names []string
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		fmt.Fprintf(&b, "%s %d\n", n, m[n])
	}
	return b.String()
}

type ceiling struct {
	chain string
	max   int
}

func ceilings(comment string) []ceiling {
	var out []ceiling
	for _, l := range strings.Split(comment, "\n") {
		f := strings.Fields(l)
		if len(f) == 3 && f[0] == "ceiling:" {
			if n, err := strconv.Atoi(f[2]); err == nil {
				out = append(out, ceiling{f[1], n})
			}
		}
	}
	return out
}
