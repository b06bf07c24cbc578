package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/internal/testenv"
)

func runOK(t *testing.T, args ...string) string {
	t.Helper()
	var out, errs bytes.Buffer
	if code := run(args, &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errs}); code != 0 {
		t.Fatalf("ruleshift %s: exit %d\n%s", strings.Join(args, " "), code, errs.String())
	}
	return out.String()
}

// flagsOf lists the long flags --help prints for a command.
func flagsOf(t *testing.T, cmd string) []string {
	var args []string
	if cmd != "" {
		args = append(args, cmd)
	}
	help := runOK(t, append(args, "--help")...)
	var out []string
	for _, m := range regexp.MustCompile(`(?m)^\s+(?:-\w, )?--([a-z0-9-]+)`).FindAllStringSubmatch(help, -1) {
		if m[1] != "help" {
			out = append(out, m[1])
		}
	}
	return out
}

// TestManPages: there is a page per command of --help, each names every
// flag its --help lists, and man renders every page without a warning.
func TestManPages(t *testing.T) {
	dir := t.TempDir()
	runOK(t, "__man", "--date", "2026-01-01", dir)
	help := runOK(t, "--help")
	cmds := regexp.MustCompile(`(?m)^  ([a-z]+)(?: |$)`).FindAllStringSubmatch(help, -1)
	if len(cmds) < 10 {
		t.Fatalf("found %d commands in --help:\n%s", len(cmds), help)
	}
	for _, m := range append([][]string{{"", ""}}, cmds...) {
		page := "ruleshift.1"
		if m[1] != "" {
			page = "ruleshift-" + m[1] + ".1"
		}
		text, err := os.ReadFile(filepath.Join(dir, page))
		if err != nil {
			t.Errorf("no page for %q: %v", m[1], err)
			continue
		}
		for _, f := range flagsOf(t, m[1]) {
			if !strings.Contains(string(text), `\-\-`+strings.ReplaceAll(f, "-", `\-`)) {
				t.Errorf("%s does not document --%s", page, f)
			}
		}
	}
	if _, err := exec.LookPath("man"); err != nil {
		testenv.Missing(t, "man (apt-get install man-db) to render the pages")
	}
	pages, _ := filepath.Glob(filepath.Join(dir, "*.1"))
	for _, p := range pages {
		cmd := exec.Command("man", "--warnings", "-l", p)
		cmd.Env = append(os.Environ(), "MANWIDTH=80", "MAN_KEEP_FORMATTING=0")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Run(); err != nil || stderr.Len() > 0 {
			t.Errorf("man -l %s: %v\n%s", filepath.Base(p), err, stderr.String())
		}
	}
}

// TestBashCompletion runs the generated bash function on command lines
// and checks the candidates: commands, flags, enum values, files.
func TestBashCompletion(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	script := filepath.Join(t.TempDir(), "ruleshift.bash")
	os.WriteFile(script, []byte(runOK(t, "completion", "bash")), 0o644)
	for _, c := range []struct {
		words string
		want  []string
	}{
		{"ruleshift tr", []string{"translate"}},
		{"ruleshift translate --to ", []string{"nftables", "iptables-legacy", "iptables-nft", "ufw", "policy"}},
		{"ruleshift apply --backend ", []string{"nftables", "auto"}},
		{"ruleshift persist --method ", []string{"netfilter-persistent", "systemd", "ufw"}},
		{"ruleshift persist --distro", []string{"--distro"}},
		{"ruleshift translate --fam", []string{"--family"}},
		{"ruleshift translate ../../examples/egress.t", []string{"../../examples/egress.toml"}},
	} {
		words := strings.Fields(c.words)
		if strings.HasSuffix(c.words, " ") {
			words = append(words, "")
		}
		q := "source " + script + "\nCOMP_WORDS=("
		for _, w := range words {
			q += "'" + w + "' "
		}
		q += ")\nCOMP_CWORD=" + string(rune('0'+len(words)-1)) + "\n_ruleshift\nprintf '%s\\n' \"${COMPREPLY[@]}\"\n"
		out, err := exec.Command("bash", "-c", q).CombinedOutput()
		if err != nil {
			t.Errorf("%q: %v\n%s", c.words, err, out)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains("\n"+string(out), "\n"+w+"\n") {
				t.Errorf("%q: no %q among\n%s", c.words, w, out)
			}
		}
	}
	for _, sh := range []string{"zsh", "fish"} {
		text := runOK(t, "completion", sh)
		if len(text) < 500 {
			t.Errorf("completion %s: %d bytes", sh, len(text))
		}
		if _, err := exec.LookPath(sh); err == nil {
			p := filepath.Join(t.TempDir(), "c."+sh)
			os.WriteFile(p, []byte(text), 0o644)
			flag := "-n"
			if sh == "fish" {
				flag = "--no-execute"
			}
			if out, err := exec.Command(sh, flag, p).CombinedOutput(); err != nil {
				t.Errorf("%s %s: %v\n%s", sh, flag, err, out)
			}
		}
	}
}

func TestVersion(t *testing.T) {
	out := runOK(t, "--version")
	if !regexp.MustCompile(`^ruleshift \S+ \(commit \S+, go1\.\d+\S* linux/\w+\)\n$`).MatchString(out) {
		t.Errorf("--version: %q", out)
	}
}
