// Package testenv gives tests one rule for what they need from the machine:
// without root, a kernel feature or a binary they skip with a clear
// message, except under CI (CI=true), where a missing prerequisite is a
// failure, so that CI cannot pass by skipping everything.
package testenv

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// InCI reports whether the tests run under CI.
func InCI() bool { return os.Getenv("CI") == "true" }

// Missing skips the test, or fails it under CI.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	msg := fmt.Sprintf(format, args...)
	if InCI() {
		t.Fatalf("prerequisite missing under CI: %s", msg)
	}
	t.Skipf("skipping: %s", msg)
}

// RequireRoot needs uid 0.
func RequireRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		Missing(t, "test needs root (it creates network namespaces)")
	}
}

// RequireBinary needs every named program on PATH.
func RequireBinary(t testing.TB, names ...string) {
	t.Helper()
	for _, n := range names {
		if _, err := exec.LookPath(n); err != nil {
			Missing(t, "test needs %s on PATH (apt-get install iptables nftables iproute2)", n)
		}
	}
}

// Netns is a scratch network namespace that a test created.
type Netns struct {
	Name string
}

// NewNetns creates a network namespace named prefix-<random> and deletes
// it when the test ends. It needs root and ip(8).
func NewNetns(t testing.TB, prefix string) *Netns {
	t.Helper()
	RequireRoot(t)
	RequireBinary(t, "ip")
	var b [4]byte
	rand.Read(b[:])
	name := prefix + "-" + hex.EncodeToString(b[:])
	if out, err := exec.Command("ip", "netns", "add", name).CombinedOutput(); err != nil {
		Missing(t, "cannot create a network namespace: %v: %s", err, out)
	}
	n := &Netns{Name: name}
	t.Cleanup(func() { exec.Command("ip", "netns", "del", name).Run() })
	return n
}

// Run runs a command inside the namespace with stdin, returning stdout and
// an error that includes stderr.
func (n *Netns) Run(stdin []byte, name string, args ...string) (string, error) {
	cmd := exec.Command("ip", append([]string{"netns", "exec", n.Name, name}, args...)...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("%s %s: %v: %s", name, strings.Join(args, " "), err, strings.TrimSpace(errb.String()))
	}
	return out.String(), nil
}

// StripSave removes the comment lines and counters of iptables-save output
// so that two listings of the same rules compare equal.
func StripSave(s string) string {
	var b strings.Builder
	for _, line := range strings.Split(s, "\n") {
		if strings.HasPrefix(line, "#") || line == "" {
			continue
		}
		if strings.HasPrefix(line, ":") {
			if i := strings.LastIndexByte(line, '['); i > 0 {
				line = strings.TrimSpace(line[:i])
			}
		}
		if strings.HasPrefix(line, "[") {
			if i := strings.IndexByte(line, ']'); i > 0 {
				line = strings.TrimSpace(line[i+1:])
			}
		}
		b.WriteString(line)
		b.WriteByte('\n')
	}
	return b.String()
}
