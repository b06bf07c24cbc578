package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/internal/testenv"
	"github.com/ruleshift/ruleshift/schema"
)

// fakeDebian makes a Debian 12 root that persist can plan for with the
// nftables method, offline.
func fakeDebian(t *testing.T) string {
	root := t.TempDir()
	for name, text := range map[string]string{
		"etc/os-release": "ID=debian\nVERSION_ID=\"12\"\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n",
		"usr/lib/systemd/system/nftables.service": "[Unit]\nDescription=nftables\n[Service]\nExecStart=/usr/sbin/nft -f /etc/nftables.conf\n[Install]\nWantedBy=sysinit.target\n",
		"usr/sbin/nft": "#!/bin/sh\n",
	} {
		p := filepath.Join(root, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(text), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// runJSON runs ruleshift and checks that stdout is one document of the
// schema.
func runJSON(t *testing.T, schemaName string, wantCode int, args ...string) string {
	t.Helper()
	var out, errs bytes.Buffer
	code := run(args, &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errs})
	if code != wantCode {
		t.Fatalf("ruleshift %s: exit %d, want %d\n%s", strings.Join(args, " "), code, wantCode, errs.String())
	}
	if err := schema.Validate(schemaName, out.Bytes()); err != nil {
		t.Errorf("ruleshift %s: output does not match %s: %v\n%s", strings.Join(args, " "), schemaName, err, out.String())
	}
	return out.String()
}

// TestJSONOutputsMatchSchemas: every JSON output validates against its
// documented schema (schema/*.v1.json), in the states that matter
// (changes and none, differences and none).
func TestJSONOutputsMatchSchemas(t *testing.T) {
	const egress, policy, hosts = "../../examples/egress.sh", "../../examples/egress.toml", "../../examples/hosts"
	root := fakeDebian(t)
	runJSON(t, "detect.v1.json", 0, "detect", "--json", "--root", root)
	runJSON(t, "detect.v1.json", 0, "detect", "--json", "--root", t.TempDir()) // no os-release
	runJSON(t, "lint.v1.json", exitFindings, "lint", "--json", "--ssh-port", "22", "--hosts", hosts, egress)
	dry := runJSON(t, "persist.v1.json", 0, "persist", "--json", "--dry-run", "--root", root, "--backend", "nftables", "--hosts", hosts, policy)
	if !strings.Contains(dry, `"changed": true`) || !strings.Contains(dry, "ruleshift-refresh.timer") {
		t.Errorf("persist --dry-run --json:\n%s", dry)
	}
	runJSON(t, "persist.v1.json", 0, "persist", "--json", "--root", root, "--backend", "nftables", "--hosts", hosts, policy)
	again := runJSON(t, "persist.v1.json", 0, "persist", "--json", "--root", root, "--backend", "nftables", "--hosts", hosts, policy)
	if !strings.Contains(again, `"changed": false`) {
		t.Errorf("second persist --json:\n%s", again)
	}

	testenv.RequireRoot(t)
	testenv.RequireBinary(t, "ip", "nft", "iptables-legacy-restore")
	runJSON(t, "verify.v1.json", 0, "verify", "--json", "--probes", "300", "--hosts", hosts, "--family", "ipv4", egress, policy)
	open := filepath.Join(t.TempDir(), "open.v4")
	os.WriteFile(open, []byte("*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n"), 0o644)
	diff := runJSON(t, "verify.v1.json", exitMismatch, "verify", "--json", "--probes", "300", "--hosts", hosts, "--family", "ipv4", egress, open)
	if !strings.Contains(diff, `"agree": false`) {
		t.Errorf("verify --json of differing rulesets:\n%s", diff)
	}
	ns := testenv.NewNetns(t, "rsJ")
	runJSON(t, "drift.v1.json", exitDrift, "drift", "--json", "--netns", ns.Name, "--root", fakeDebian(t), "--hosts", hosts, egress)
}
