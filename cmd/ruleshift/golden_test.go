package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/ruleshift/ruleshift/internal/testenv"

	"github.com/ruleshift/ruleshift/translate"
	"github.com/ruleshift/ruleshift/translate/ir"
)

var update = flag.Bool("update", false, "rewrite golden files in testdata")

// goldenOutputs runs one txtar case through the model dump and every
// backend, returning section name -> contents.
func goldenOutputs(t *testing.T, dir string, a *txtar.Archive) map[string]string {
	var inputs []string
	var args []string
	for _, f := range a.Files {
		switch {
		case f.Name == "args":
			args = strings.Fields(string(f.Data))
		case strings.HasPrefix(f.Name, "in/"):
			p := filepath.Join(dir, f.Name)
			os.MkdirAll(filepath.Dir(p), 0o755)
			if err := os.WriteFile(p, f.Data, 0o644); err != nil {
				t.Fatal(err)
			}
			inputs = append(inputs, p)
		}
	}
	clean := func(s string) string { return strings.ReplaceAll(s, dir+"/", "") }
	out := map[string]string{}

	var ins []translate.Input
	for _, p := range inputs {
		data, _ := os.ReadFile(p)
		ins = append(ins, translate.Input{Name: p, Data: data, Dir: filepath.Dir(p)})
	}
	var fam ir.Family
	for i, a := range args {
		if a == "--family" && i+1 < len(args) {
			fam = map[string]ir.Family{"ipv4": ir.IPv4, "ipv6": ir.IPv6}[args[i+1]]
		}
	}
	rs, _ := translate.Load(ins, translate.Options{Family: fam})
	out["dump"] = clean(ir.Dump(rs))

	for _, to := range []string{"nftables", "iptables-legacy", "iptables-nft"} {
		var stdout, stderr bytes.Buffer
		cmd := append([]string{"translate", "--to", to}, args...)
		odir := ""
		if to != "nftables" {
			odir = filepath.Join(dir, "out-"+to) + "/"
			cmd = append(cmd, "-o", odir)
		}
		code := run(append(cmd, inputs...), &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr})
		diag := fmt.Sprintf("exit %d\n%s", code, clean(stderr.String()))
		if to == "nftables" {
			out["nftables"] = stdout.String()
			out["diagnostics"] = diag
			continue
		}
		if code != 0 {
			out[to+".diagnostics"] = diag
			continue
		}
		for _, v := range []string{"rules.v4", "rules.v6"} {
			data, _ := os.ReadFile(filepath.Join(odir, v))
			if strings.Contains(string(data), "*") {
				out[to+"."+strings.TrimPrefix(v, "rules.")] = string(data)
			}
		}
	}
	return out
}

// TestGolden runs every testdata/translate/*.txtar case. Each holds input
// files (in/…), optional flags (args), and one section per output: the
// model dump, the nft script, the iptables-legacy and iptables-nft restore
// files per family, and the diagnostics with the exit code.
func TestGolden(t *testing.T) {
	eachCase(t, "../../testdata/translate/*.txtar", func(t *testing.T, file string, a *txtar.Archive) {
		compareGolden(t, file, a, goldenOutputs(t, t.TempDir(), a))
	})
}

// TestGoldenLoads loads every golden case's outputs into scratch network
// namespaces: the nft script with nft -f and the restore files with the
// variant's restore tool. A golden file that the real tools refuse would
// pin a bug instead of catching it. A case's setup section holds commands
// run in each namespace first, one a line, for objects a rule needs that
// a ruleset cannot create (nfacct objects).
func TestGoldenLoads(t *testing.T) {
	testenv.RequireBinary(t, "nft", "iptables-legacy-restore", "ip6tables-legacy-restore", "iptables-nft-restore", "ip6tables-nft-restore")
	files, _ := filepath.Glob("../../testdata/translate/*.txtar")
	for _, file := range files {
		a, err := txtar.ParseFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var setup [][]string
		for _, f := range a.Files {
			if f.Name == "setup" {
				for _, l := range strings.Split(strings.TrimSpace(string(f.Data)), "\n") {
					setup = append(setup, strings.Fields(l))
					testenv.RequireBinary(t, setup[len(setup)-1][0])
				}
			}
		}
		for _, f := range a.Files {
			var cmd string
			switch f.Name {
			case "nftables":
				if len(f.Data) == 0 {
					continue
				}
				cmd = "nft -f -"
			case "iptables-legacy.v4":
				cmd = "iptables-legacy-restore"
			case "iptables-legacy.v6":
				cmd = "ip6tables-legacy-restore"
			case "iptables-nft.v4":
				cmd = "iptables-nft-restore"
			case "iptables-nft.v6":
				cmd = "ip6tables-nft-restore"
			default:
				continue
			}
			ns := testenv.NewNetns(t, "rs-gl")
			for _, s := range setup {
				if _, err := ns.Run(nil, s[0], s[1:]...); err != nil {
					t.Fatalf("%s: setup %q: %v", filepath.Base(file), strings.Join(s, " "), err)
				}
			}
			args := strings.Fields(cmd)
			if _, err := ns.Run(f.Data, args[0], args[1:]...); err != nil {
				t.Errorf("%s: section %s does not load: %v", filepath.Base(file), f.Name, err)
			}
		}
	}
}

// compareGolden checks the sections a case produced (got) against those
// of its golden file, or with -update rewrites the file: the inputs and
// args (and the setup) kept, then every produced section by name.
// eachCase runs f on every txtar case the pattern matches, each as a
// subtest named after its file; no case at all is an error.
func eachCase(t *testing.T, pattern string, f func(t *testing.T, file string, a *txtar.Archive)) {
	t.Helper()
	files, _ := filepath.Glob(pattern)
	if len(files) == 0 {
		t.Fatalf("no golden cases match %s", pattern)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			a, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			f(t, file, a)
		})
	}
}

func compareGolden(t *testing.T, file string, a *txtar.Archive, got map[string]string) {
	t.Helper()
	want := map[string]string{}
	var kept []txtar.File
	for _, f := range a.Files {
		if f.Name == "args" || f.Name == "setup" || strings.HasPrefix(f.Name, "in/") {
			kept = append(kept, f)
			continue
		}
		want[f.Name] = string(f.Data)
	}
	if *update {
		var names []string
		for n := range got {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			kept = append(kept, txtar.File{Name: n, Data: []byte(got[n])})
		}
		a.Files = kept
		if err := os.WriteFile(file, txtar.Format(a), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	for n, g := range got {
		if w, ok := want[n]; !ok {
			t.Errorf("section %q missing from golden file (run go test -update)\n%s", n, g)
		} else if w != g {
			t.Errorf("section %q differs:\n--- want\n%s\n--- got\n%s", n, w, g)
		}
	}
	for n := range want {
		if _, ok := got[n]; !ok {
			t.Errorf("section %q is no longer produced", n)
		}
	}
}
