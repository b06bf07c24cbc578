package iptables

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/translate/ir"
)

// seedFiles returns save files from testdata and the shared corpus.
func seedFiles(f *testing.F) [][]byte {
	var out [][]byte
	var paths []string
	for _, pat := range []string{"../../../shared/corpus/iptables-save/*.v[46]", "../../testdata/fuzz/save/*"} {
		m, _ := filepath.Glob(pat)
		paths = append(paths, m...)
	}
	for _, p := range paths {
		if data, err := os.ReadFile(p); err == nil && len(data) < 64<<10 {
			out = append(out, data)
		}
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
