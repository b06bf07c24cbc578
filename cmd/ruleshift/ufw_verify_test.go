package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestVerifyNewBackendUFW runs verify --new-backend ufw on the golden ufw
// sources: verify loads the source's ufw rendering with ufw-init start on
// private copies of /etc/ufw in its namespace, and no probe may differ
// from the source loaded with iptables-nft.
func TestVerifyNewBackendUFW(t *testing.T) {
	n := 0
	for _, c := range ufwGolden(t) {
		if len(c.args) > 0 && c.args[0] != "--ufw-loglevel" {
			continue // --family and --ufw-strict are translate's
		}
		n++
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			args := append([]string{"verify", "--netns-prefix", "rsvu", "--old-backend", "iptables-nft", "--new-backend", "ufw", "--probes", "800"}, c.inputs[0], c.inputs[0])
			if code := run(args, &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr}); code != 0 {
				t.Errorf("exit %d\n%s\n%s", code, stdout.String(), stderr.String())
			}
			if !strings.Contains(stdout.String(), "probes agree") {
				t.Errorf("verify says:\n%s", stdout.String())
			}
		})
	}
	if n == 0 {
		t.Fatal("no golden ufw source to verify")
	}
	// And the ufw side is what decides: a source that differs from it in
	// one port is found out.
	src, _ := loadUFWCase(t, "../../testdata/ufw/basic.txtar")
	data, _ := os.ReadFile(src.inputs[0])
	changed := filepath.Join(t.TempDir(), "changed.sh")
	os.WriteFile(changed, []byte(strings.Replace(string(data), "--dport 22 ", "--dport 2222 ", 1)), 0o644)
	var stdout, stderr bytes.Buffer
	args := []string{"verify", "--netns-prefix", "rsvu", "--old-backend", "iptables-nft", "--new-backend", "ufw", "--probes", "800", changed, src.inputs[0]}
	if code := run(args, &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr}); code != exitMismatch || !strings.Contains(stdout.String(), "2222") {
		t.Errorf("a changed port: exit %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
}
