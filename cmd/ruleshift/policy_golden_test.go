package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/ruleshift/ruleshift/internal/testenv"
	"github.com/ruleshift/ruleshift/translate"
	"github.com/ruleshift/ruleshift/translate/hosts"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// policyOutputs runs one testdata/policy case: its in/… files are written
// to dir, "in/" in its args names them there, and the policy (the first
// in/*.toml) is dumped and translated for every backend.
func policyOutputs(t *testing.T, dir string, a *txtar.Archive) map[string]string {
	var args []string
	var policy string
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
			if strings.HasSuffix(f.Name, ".toml") && policy == "" {
				policy = p
			}
		}
	}
	o := translate.Options{}
	for i, a := range args {
		args[i] = strings.ReplaceAll(a, "in/", dir+"/in/")
		if i > 0 && args[i-1] == "--hosts" {
			data, _ := os.ReadFile(args[i])
			hf, _ := hosts.Parse(args[i], data)
			o.Resolve = hf.Resolver()
		}
		if a == "--allow-lockout" {
			o.AllowLockout = true
		}
	}
	clean := func(s string) string { return strings.ReplaceAll(s, dir+"/", "") }
	out := map[string]string{}
	data, _ := os.ReadFile(policy)
	rs, _ := translate.Load([]translate.Input{{Name: policy, Data: data, Dir: dir}}, o)
	out["dump"] = clean(ir.Dump(rs))
	for _, to := range []string{"nftables", "iptables-legacy", "iptables-nft"} {
		var stdout, stderr bytes.Buffer
		cmd := append([]string{"translate", "--to", to}, args...)
		odir := ""
		if to != "nftables" {
			odir = filepath.Join(dir, "out-"+to) + "/"
			cmd = append(cmd, "-o", odir)
		}
		code := run(append(cmd, policy), &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr})
		diag := fmt.Sprintf("exit %d\n%s", code, clean(stderr.String()))
		if to == "nftables" {
			out["nftables"] = stdout.String()
			out["diagnostics"] = diag
			continue
		}
		if code != 0 {
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

// TestPolicyGolden runs every testdata/policy/*.txtar case (go test
// -update rewrites them): a policy, its model dump, each backend's text
// and the diagnostics with the exit status.
func TestPolicyGolden(t *testing.T) {
	eachCase(t, "../../testdata/policy/*.txtar", func(t *testing.T, file string, a *txtar.Archive) {
		compareGolden(t, file, a, policyOutputs(t, t.TempDir(), a))
	})
}

// TestPolicyGoldenLoads loads the rendered sections of every policy case
// into scratch namespaces, so that no golden file pins text the real
// tools refuse.
func TestPolicyGoldenLoads(t *testing.T) {
	testenv.RequireBinary(t, "nft", "iptables-legacy-restore", "ip6tables-legacy-restore", "iptables-nft-restore", "ip6tables-nft-restore")
	files, _ := filepath.Glob("../../testdata/policy/*.txtar")
	tools := map[string]string{"nftables": "nft -f -", "iptables-legacy.v4": "iptables-legacy-restore", "iptables-legacy.v6": "ip6tables-legacy-restore",
		"iptables-nft.v4": "iptables-nft-restore", "iptables-nft.v6": "ip6tables-nft-restore"}
	for _, file := range files {
		a, err := txtar.ParseFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range a.Files {
			cmd, ok := tools[f.Name]
			if !ok || len(f.Data) == 0 {
				continue
			}
			ns := testenv.NewNetns(t, "rs-pol")
			args := strings.Fields(cmd)
			if _, err := ns.Run(f.Data, args[0], args[1:]...); err != nil {
				t.Errorf("%s: section %s does not load: %v", filepath.Base(file), f.Name, err)
			}
		}
	}
}
