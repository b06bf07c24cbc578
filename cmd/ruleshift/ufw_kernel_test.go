package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/backends"
	"github.com/ruleshift/ruleshift/internal/corpus"
	"github.com/ruleshift/ruleshift/internal/testenv"
	"github.com/ruleshift/ruleshift/internal/ufwenv"
	"github.com/ruleshift/ruleshift/translate"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// ufwGolden returns the golden ufw cases whose translation succeeded.
func ufwGolden(t *testing.T) []*ufwCase {
	if why := ufwenv.Available(); why != "" {
		testenv.Missing(t, "%s", why)
	}
	testenv.RequireRoot(t)
	files, _ := filepath.Glob("../../testdata/ufw/*.txtar")
	var out []*ufwCase
	for _, f := range files {
		c, _ := loadUFWCase(t, f)
		if strings.HasPrefix(c.got["diagnostics"], "exit 0\n") {
			out = append(out, c)
		}
	}
	if len(out) == 0 {
		t.Fatal("no ufw golden case translates")
	}
	return out
}

func (c *ufwCase) level() string {
	for i, a := range c.args {
		if a == "--ufw-loglevel" && i+1 < len(c.args) {
			return c.args[i+1]
		}
	}
	return "low"
}

// config is the ufwenv configuration of the case's files.
func (c *ufwCase) config() ufwenv.Config {
	cfg := ufwenv.Config{Etc: map[string]string{}, Defaults: map[string]string{}, LogLevel: c.level()}
	for name, text := range c.got {
		name, ok := strings.CutPrefix(name, "ufw/")
		switch {
		case !ok:
		case name == "ufw.defaults":
			for _, l := range strings.Split(text, "\n") {
				if k, v, ok := strings.Cut(l, "="); ok && !strings.HasPrefix(l, "#") {
					cfg.Defaults[k] = strings.Trim(v, `"`)
				}
			}
		default:
			cfg.Etc[name] = text
		}
	}
	return cfg
}

// userFiles are the user*.rules the case wrote.
func (c *ufwCase) userFiles() map[string]string {
	out := map[string]string{}
	for _, n := range []string{"user.rules", "user6.rules"} {
		if text, ok := c.got["ufw/"+n]; ok {
			out[n] = text
		}
	}
	return out
}

var statusEntry = regexp.MustCompile(`(?m)^\[ *\d+\] `)

// TestUFWKernel loads every golden ufw rendering with ufw's own boot
// script in a namespace and checks it with ufw itself: ufw-init start
// loads it, `ufw logging LEVEL` rewrites user*.rules byte for byte as
// written, `ufw status numbered` lists exactly the tuples, and verify
// finds no packet on which ufw's loaded ruleset differs from the source.
func TestUFWKernel(t *testing.T) {
	for _, c := range ufwGolden(t) {
		t.Run(c.name, func(t *testing.T) {
			ns := testenv.NewNetns(t, "rs-ufw")
			r, err := ufwenv.Start(ns.Name, c.config(), "ufw logging "+c.level(), "ufw status numbered")
			if err != nil {
				t.Fatal(err)
			}
			tuples := 0
			for name, want := range c.userFiles() {
				tuples += strings.Count(want, "\n### tuple ### ")
				if got := r.Etc[name]; got != want {
					t.Errorf("ufw logging %s rewrote %s:\n--- ours\n%s\n--- ufw's\n%s", c.level(), name, want, got)
				}
			}
			if n := len(statusEntry.FindAllString(r.Out[2], -1)); n != tuples {
				t.Errorf("ufw status numbered lists %d rules, user*.rules hold %d tuples:\n%s", n, tuples, r.Out[2])
			}
			c.verify(t, r)
		})
	}
}

// verify compares, per family, the source (as iptables-nft loads its
// translation) with the iptables-nft listing that ufw-init left.
func (c *ufwCase) verify(t *testing.T, r *ufwenv.Result) {
	var ins []translate.Input
	for _, p := range c.inputs {
		data, _ := os.ReadFile(p)
		ins = append(ins, translate.Input{Name: p, Data: data, Dir: filepath.Dir(p)})
	}
	rs, diags := translate.Load(ins, translate.Options{})
	if diags.HasErrors() {
		t.Fatalf("%v", diags.Items)
	}
	b, _ := backends.Get("iptables-nft")
	for _, f := range rs.Families() {
		if _, ok := c.got["ufw/"+map[ir.Family]string{ir.IPv4: "user.rules", ir.IPv6: "user6.rules"}[f]]; !ok {
			continue // a family --family left out
		}
		files, _ := b.Render(rs, backends.RenderOptions{Families: []ir.Family{f}})
		old := filepath.Join(c.dir, "old."+familyFlag(f))
		nw := filepath.Join(c.dir, "ufw."+familyFlag(f))
		save := r.Save4
		if f == ir.IPv6 {
			save = r.Save6
		}
		os.WriteFile(old, []byte(files.Family(f).Text), 0o644)
		os.WriteFile(nw, []byte(save), 0o644)
		var stdout, stderr bytes.Buffer
		args := []string{"verify", "--old-backend", "iptables-nft", "--new-backend", "iptables-nft", "--family", familyFlag(f), "--probes", "1500", old, nw}
		code := run(args, &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr})
		if code != 0 && onlyUnreproduced(stdout.String()+stderr.String()) {
			// Every difference went away when its probe was sent again
			// alone: conntrack state left by another probe, not the
			// rules. One more run must agree.
			t.Logf("verify %s: differences that did not reproduce alone; running it again:\n%s%s", familyFlag(f), stdout.String(), stderr.String())
			stdout.Reset()
			stderr.Reset()
			code = run(args, &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr})
		}
		if code != 0 && (c.level() == "high" || c.level() == "full") && onlyLogCounts(stdout.String()) {
			// ufw logs packets without a rate limit at these levels, which
			// the source does not: verify counts log events, so those
			// probes differ in them alone.
			t.Logf("verify %s: only the log events of ufw logging %s differ", familyFlag(f), c.level())
			code = 0
		}
		if code != 0 {
			t.Errorf("verify %s: exit %d\n%s\n%s", familyFlag(f), code, stdout.String(), stderr.String())
		}
	}
}

var (
	reportDiff     = regexp.MustCompile(`(?m)^#\d+ `)
	reportLogsOnly = regexp.MustCompile(`(?m)^    same fate, but logged `)
)

// onlyLogCounts reports whether every difference of a verify report is
// in the number of log events alone, each probe meeting the same fate.
func onlyLogCounts(report string) bool {
	n := len(reportDiff.FindAllString(report, -1))
	return n > 0 && n == len(reportLogsOnly.FindAllString(report, -1))
}

// TestUFWCorpus translates every corpus dump, golden script and example
// the ufw backend accepts,
// loads the files with ufw-init start, and verifies the dump against
// what ufw loaded.
func TestUFWCorpus(t *testing.T) {
	if why := ufwenv.Available(); why != "" {
		testenv.Missing(t, "%s", why)
	}
	testenv.RequireRoot(t)
	accepted := 0
	inputs := corpus.SaveDumps(t)
	// The golden scripts and the examples too: what users convert most.
	scripts, _ := filepath.Glob("../../testdata/scripts/*.sh")
	examples, _ := filepath.Glob("../../examples/*.sh")
	rules, _ := filepath.Glob("../../examples/*.rules")
	inputs = append(append(append(inputs, scripts...), examples...), rules...)
	for _, dump := range inputs {
		c := &ufwCase{name: filepath.Base(dump), dir: t.TempDir(), inputs: []string{dump}, got: map[string]string{}}
		c.render()
		if !strings.HasPrefix(c.got["diagnostics"], "exit 0\n") {
			continue
		}
		accepted++
		t.Run(c.name, func(t *testing.T) {
			ns := testenv.NewNetns(t, "rs-ufwk")
			r, err := ufwenv.Start(ns.Name, c.config())
			if err != nil {
				t.Fatal(err)
			}
			c.verify(t, r)
		})
	}
	if accepted == 0 {
		t.Fatal("the ufw backend accepts no corpus dump")
	}
}

// TestUFWCommandsReplay runs each golden ufw-commands script with the
// ufw command on the stock files and compares the user*.rules it leaves
// with the ones --to ufw wrote.
func TestUFWCommandsReplay(t *testing.T) {
	for _, c := range ufwGolden(t) {
		script, ok := c.got["ufw-commands"]
		if !ok {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(c.dir, "ufw-commands.sh")
			if err := os.WriteFile(p, []byte(script), 0o755); err != nil {
				t.Fatal(err)
			}
			ns := testenv.NewNetns(t, "rs-ufwc")
			// Disabled, ufw only writes its files.
			r, err := ufwenv.Run(ns.Name, ufwenv.Config{}, "sed -i 's/^ENABLED=.*/ENABLED=no/' /etc/ufw/ufw.conf", "sh "+p)
			if err != nil {
				t.Fatal(err)
			}
			for name, want := range c.userFiles() {
				if got := r.Etc[name]; got != want {
					t.Errorf("%s after the ufw commands:\n--- --to ufw\n%s\n--- ufw's\n%s", name, want, got)
				}
			}
		})
	}
}

// TestUFWOtherTablesReload starts, reloads three times, stops, starts and
// disables ufw on each golden rendering with an after.init: the nat,
// mangle and raw rules are loaded once whatever the number of reloads,
// and gone after ufw-init stop and after ufw disable.
func TestUFWOtherTablesReload(t *testing.T) {
	for _, c := range ufwGolden(t) {
		if _, ok := c.got["ufw/after.init"]; !ok {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			ns := testenv.NewNetns(t, "rs-ufwr")
			list := "for t in nat mangle raw; do iptables-save -t $t; ip6tables-save -t $t; done"
			r, err := ufwenv.Run(ns.Name, c.config(), ufwenv.Init+" start", list,
				ufwenv.Init+" force-reload", ufwenv.Init+" force-reload", ufwenv.Init+" force-reload", list,
				ufwenv.Init+" stop", list, ufwenv.Init+" start", list, "ufw disable", list)
			if err != nil {
				t.Fatal(err)
			}
			once := ruleshiftLines(r.Out[1])
			if len(once) == 0 {
				t.Fatalf("ufw-init start loaded none of the other tables' rules:\n%s", r.Out[1])
			}
			if again := ruleshiftLines(r.Out[5]); strings.Join(again, "\n") != strings.Join(once, "\n") {
				t.Errorf("after three reloads:\n%s\n--- after start:\n%s", strings.Join(again, "\n"), strings.Join(once, "\n"))
			}
			for i, what := range map[int]string{7: "ufw-init stop", 11: "ufw disable"} {
				if left := ruleshiftLines(r.Out[i]); len(left) > 0 {
					t.Errorf("%s left:\n%s", what, strings.Join(left, "\n"))
				}
			}
			if again := ruleshiftLines(r.Out[9]); strings.Join(again, "\n") != strings.Join(once, "\n") {
				t.Errorf("after stop and start:\n%s\n--- after the first start:\n%s", strings.Join(again, "\n"), strings.Join(once, "\n"))
			}
		})
	}
}

// ruleshiftLines are the rules and user chains of a listing of the nat,
// mangle and raw tables, which ufw itself leaves empty.
func ruleshiftLines(listing string) []string {
	var out []string
	for _, l := range strings.Split(listing, "\n") {
		if f := strings.Fields(l); strings.HasPrefix(l, "-A ") || strings.HasPrefix(l, ":") && len(f) > 1 && f[1] == "-" {
			out = append(out, l)
		}
	}
	return out
}

var differ = regexp.MustCompile(`(\d+) of \d+ probes differ \((\d+) of them did not reproduce when sent again alone\)`)

// onlyUnreproduced says whether verify's report has differences and every
// one of them did not reproduce when sent again alone.
func onlyUnreproduced(report string) bool {
	m := differ.FindStringSubmatch(report)
	return m != nil && m[1] == m[2]
}
