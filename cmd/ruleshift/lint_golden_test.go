package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"
)

// TestLintGolden runs every testdata/lint/*.txtar case: input files
// (in/…) and flags (args, where in/ names the case's files) through
// ruleshift lint, the findings and exit code compared with the
// "findings" section. Each check has a failing case and a passing one.
// The host's ssh session and sshd_config are kept out: only --ssh-port
// in args turns the lock-out check on.
func TestLintGolden(t *testing.T) {
	t.Setenv("SSH_CONNECTION", "")
	eachCase(t, "../../testdata/lint/*.txtar", func(t *testing.T, file string, a *txtar.Archive) {
		dir := t.TempDir()
		var inputs, args []string
		for _, f := range a.Files {
			switch {
			case f.Name == "args":
				for _, s := range strings.Fields(string(f.Data)) {
					if strings.HasPrefix(s, "in/") {
						s = filepath.Join(dir, s)
					}
					args = append(args, s)
				}
			case strings.HasPrefix(f.Name, "in/"):
				p := filepath.Join(dir, f.Name)
				os.MkdirAll(filepath.Dir(p), 0o755)
				if err := os.WriteFile(p, f.Data, 0o644); err != nil {
					t.Fatal(err)
				}
				if !strings.HasPrefix(f.Name, "in/aux/") {
					inputs = append(inputs, p)
				}
			}
		}
		var stdout, stderr bytes.Buffer
		cmd := append(append([]string{"lint", "--sshd-config", filepath.Join(dir, "no-sshd-config")}, args...), inputs...)
		code := run(cmd, &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr})
		clean := func(s string) string { return strings.ReplaceAll(s, dir+"/", "") }
		got := map[string]string{"findings": fmt.Sprintf("exit %d\n%s%s", code, clean(stdout.String()), clean(stderr.String()))}
		compareGolden(t, file, a, got)
	})
}
