package ufw_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/internal/testenv"
	"github.com/ruleshift/ruleshift/internal/ufwenv"
	"github.com/ruleshift/ruleshift/translate/iptables"
	"github.com/ruleshift/ruleshift/translate/ir"
	"github.com/ruleshift/ruleshift/translate/passes"
	"github.com/ruleshift/ruleshift/translate/ufw"
	"golang.org/x/tools/txtar"
)

var logLevelNote = regexp.MustCompile(`LOGLEVEL=(\w+)`)

// TestReadsGeneratedFiles closes the loop between the ufw backend and the
// ufw input: every configuration the backend's golden cases write
// (testdata/ufw) is started by the real ufw-init in a namespace, and
// ruleshift's reading of those files must equal what iptables-save and
// ip6tables-save then list.
func TestReadsGeneratedFiles(t *testing.T) {
	if why := ufwenv.Available(); why != "" {
		testenv.Missing(t, "%s", why)
	}
	cases, _ := filepath.Glob("../../testdata/ufw/*.txtar")
	if len(cases) == 0 {
		t.Fatal("no ufw golden cases")
	}
	configs, equal := 0, 0
	for _, c := range cases {
		a, err := txtar.ParseFile(c)
		if err != nil {
			t.Fatal(err)
		}
		cfg := ufwenv.Config{Etc: map[string]string{}}
		for _, f := range a.Files {
			name, ok := strings.CutPrefix(f.Name, "ufw/")
			switch {
			case !ok:
			case name == "ufw.defaults":
				cfg.Defaults = defaultsOf(string(f.Data))
				if m := logLevelNote.FindStringSubmatch(string(f.Data)); m != nil {
					cfg.LogLevel = m[1]
				}
			default:
				cfg.Etc[name] = string(f.Data)
			}
		}
		if len(cfg.Etc) == 0 {
			continue // a case the backend refuses
		}
		configs++
		t.Run(filepath.Base(c), func(t *testing.T) {
			ns := testenv.NewNetns(t, "rs-ufwgen")
			r, err := ufwenv.Start(ns.Name, cfg)
			if err != nil {
				t.Fatal(err)
			}
			rs := readResult(t, r)
			if _, ok := cfg.Etc["after.init"]; ok {
				// ufw-init ran ruleshift's after.init, executable as
				// apply installs it: read it so.
				rs = readExecInit(t, r)
			}
			for _, f := range []ir.Family{ir.IPv4, ir.IPv6} {
				save := r.Save4
				if f == ir.IPv6 {
					save = r.Save6
				}
				want := &ir.Ruleset{}
				if d := iptables.ParseSave(want, f.String()+"-save", []byte(save), iptables.SaveOptions{Family: f}); d.HasErrors() {
					t.Fatalf("the %s listing: %v", f, d.Err())
				}
				// iptables-nft lists -m state as -m conntrack and NOTRACK
				// as CT --notrack: the same rules in another form.
				if sameTables(t, listed(only(rs, f)), listed(want)) {
					equal++
				}
			}
		})
	}
	t.Logf("%d generated configurations; %d family listings equal ruleshift's reading", configs, equal)
}

// listed is rs in the form iptables-nft-save prints it.
func listed(rs *ir.Ruleset) *ir.Ruleset {
	out := passes.Normalize(rs)
	ir.Walk(out, func(n any) bool {
		if ct, ok := n.(*ir.CtTarget); ok {
			ct.Alias = false
		}
		return true
	})
	return out
}

// readExecInit is readResult with after.init executable.
func readExecInit(t *testing.T, r *ufwenv.Result) *ir.Ruleset {
	t.Helper()
	root := t.TempDir()
	etc := filepath.Join(root, "etc", "ufw")
	os.MkdirAll(filepath.Join(root, "etc", "default"), 0o755)
	os.MkdirAll(etc, 0o755)
	for n, text := range r.Etc {
		mode := os.FileMode(0o640)
		if n == "after.init" {
			mode = 0o750
		}
		if err := os.WriteFile(filepath.Join(etc, n), []byte(text), mode); err != nil {
			t.Fatal(err)
		}
	}
	os.WriteFile(filepath.Join(root, "etc", "default", "ufw"), []byte(r.Default), 0o644)
	src, err := ufw.Locate(root)
	if err != nil {
		t.Fatal(err)
	}
	rs := &ir.Ruleset{}
	if d := ufw.Load(rs, src, ufw.Options{}); d.HasErrors() {
		t.Fatalf("reading: %v", d.Err())
	}
	return rs
}
