package iptables

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/ruleshift/ruleshift/translate/ir"
)

// seedFiles returns the save files of the repository's golden corpus: the
// in/ sections of testdata/translate/*.txtar and the dumps beside the
// golden scripts and persist trees, plus the shared corpus when it is
// there. The golden corpus is part of the repository, so finding none of
// it fails the fuzz target instead of letting it run on one seed.
func seedFiles(f *testing.F) [][]byte {
	f.Helper()
	var out [][]byte
	cases, _ := filepath.Glob("../../testdata/translate/*.txtar")
	for _, c := range cases {
		a, err := txtar.ParseFile(c)
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range a.Files {
			if strings.HasPrefix(file.Name, "in/") {
				out = append(out, file.Data)
			}
		}
	}
	var paths []string
	for _, pat := range []string{"../../testdata/scripts/*.rules.v[46]", "../../testdata/persist/*.v[46]", "../../../shared/corpus/iptables-save/*.v[46]"} {
		m, _ := filepath.Glob(pat)
		paths = append(paths, m...)
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		if len(data) < 64<<10 {
			out = append(out, data)
		}
	}
	if len(cases) == 0 || len(out) < len(cases) {
		f.Fatalf("no golden save files found under ../../testdata/translate (%d cases, %d seeds)", len(cases), len(out))
	}
	return out
}

// FuzzParseSave feeds arbitrary restore input to the save parser: it may
// report errors but never panic.
func FuzzParseSave(f *testing.F) {
	for _, s := range seedFiles(f) {
		f.Add(s)
	}
	f.Add([]byte("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, fam := range []ir.Family{ir.IPv4, ir.IPv6} {
			rs := &ir.Ruleset{}
			ParseSave(rs, "fuzz", data, SaveOptions{Family: fam})
			ir.Dump(rs)
		}
	})
}

// FuzzParseCommand feeds arbitrary argument lines to the option parser.
func FuzzParseCommand(f *testing.F) {
	for _, s := range seedFiles(f) {
		for _, line := range strings.Split(string(s), "\n") {
			if strings.HasPrefix(line, "-A ") {
				f.Add(line)
			}
		}
	}
	f.Add("-A INPUT -p icmp --icmp echo-request -j ACCEPT")
	f.Add("-t nat -A POSTROUTING -o eth0 -j MASQUERADE")
	f.Fuzz(func(t *testing.T, line string) {
		toks, _, ok := SplitLine(line, ir.Pos{File: "fuzz", Line: 1, Col: 1})
		if !ok {
			return
		}
		for _, fam := range []ir.Family{ir.IPv4, ir.IPv6} {
			cmd, diags := ParseCommand(toks, ParseOptions{Family: fam})
			if !diags.HasErrors() && cmd != nil {
				ed := &Editor{RS: &ir.Ruleset{}, Diags: diags}
				ed.Apply(cmd, fam)
			}
		}
	})
}
