package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/internal/testenv"
)

// TestToPolicyRoundTrip is the round trip of --to policy: every golden
// case, corpus dump and golden script that converts is rendered back from its policy
// with iptables-legacy and loaded in scratch namespaces beside the
// original; no probe of ruleshift verify may differ. It logs how many
// sources convert and why the others do not.
func TestToPolicyRoundTrip(t *testing.T) {
	testenv.RequireRoot(t)
	testenv.RequireBinary(t, "ip", "iptables-legacy-restore", "ip6tables-legacy-restore")
	var b [3]byte
	rand.Read(b[:])
	prefix := "pR-" + hex.EncodeToString(b[:])
	reasons := map[string]int{}
	converted, verified, total := 0, 0, 0
	for _, c := range toPolicySources(t) {
		total++
		stdout, stderr, code := c.run()
		if code != 0 {
			reasons[digits.ReplaceAllString(firstError(stderr), "N")]++
			continue
		}
		converted++
		name := filepath.Base(c.inputs[0])
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			pol := filepath.Join(dir, "policy.toml")
			if err := os.WriteFile(pol, []byte(stdout), 0o644); err != nil {
				t.Fatal(err)
			}
			// The policy side is read by the policy frontend and
			// rendered with iptables-legacy; a dump is loaded as written.
			var out, errs bytes.Buffer
			args := append([]string{"verify", "--netns-prefix", prefix, "--old-backend", "iptables-legacy", "--new-backend", "iptables-legacy", "--probes", "600"}, c.args...)
			code := run(append(args, c.inputs[0], pol), &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errs})
			if code != 0 || !strings.Contains(out.String(), "probes agree") {
				t.Fatalf("exit %d\n%s\n%s\npolicy:\n%s", code, out.String(), errs.String(), stdout)
			}
			verified++
		})
	}
	var l []string
	for r, n := range reasons {
		l = append(l, strings.Repeat(" ", 3)+itoa(n)+" "+r)
	}
	sort.Sort(sort.Reverse(sort.StringSlice(l)))
	t.Logf("%d of %d sources convert, %d verified; first error of the others:\n%s", converted, total, verified, strings.Join(l, "\n"))
	if converted < 17 {
		t.Errorf("only %d sources convert (17 did when this test was written)", converted)
	}
}

var digits = regexp.MustCompile(`[0-9]+`)

func itoa(n int) string {
	s := ""
	for {
		s = string(rune('0'+n%10)) + s
		n /= 10
		if n == 0 {
			return s
		}
	}
}
