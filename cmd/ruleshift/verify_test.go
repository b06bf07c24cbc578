package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/internal/testenv"
)

const verifyRules = `*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
-A INPUT -m state --state RELATED,ESTABLISHED -j ACCEPT
-A INPUT -p tcp --dport 22 -j ACCEPT
-A INPUT -p udp --dport 69 -j REJECT
COMMIT
`

// TestVerifyExitCodes: 0 when the two sides agree, 5 (exitMismatch) with
// the differing probes on stdout when they do not, 1 for bad input.
func TestVerifyExitCodes(t *testing.T) {
	testenv.RequireRoot(t)
	testenv.RequireBinary(t, "ip", "nft", "iptables-legacy-restore")
	write := fileWriter(t)
	same := write("same.v4", verifyRules)
	changed := write("changed.v4", strings.Replace(verifyRules, "--dport 22", "--dport 2222", 1))
	bad := write("bad.v4", strings.Replace(verifyRules, "--dport 22", "--dprot 22", 1))
	var b [3]byte
	rand.Read(b[:])
	prefix := "--netns-prefix=hV-" + hex.EncodeToString(b[:])
	cases := []struct {
		args      []string
		code      int
		out, errs string
	}{
		{[]string{"verify", prefix, "--probes", "300", same, same}, exitOK, "probes agree", ""},
		{[]string{"verify", prefix, "--probes", "300", "--new-backend", "iptables-nft", same, changed}, exitMismatch, "dport", "probes differ"},
		{[]string{"verify", prefix, same, bad}, exitRules, "", "--dport"},
		{[]string{"verify", "--new-backend", "ufw-commands", same, same}, exitUsage, "", "ufw-commands"},
	}
	for _, c := range cases {
		var out, errs bytes.Buffer
		code := run(c.args, &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errs})
		if code != c.code || !strings.Contains(out.String(), c.out) || !strings.Contains(errs.String(), c.errs) {
			t.Errorf("%v: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", c.args[1:], code, c.code, out.String(), errs.String())
		}
	}
}

const verifyScript = `#!/bin/sh
iptables -P INPUT DROP
iptables -A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
iptables -A INPUT -i eth0 -s 192.0.2.0/24 -p tcp --dport 22 -j ACCEPT
iptables -A INPUT -p udp --dport 69 -j REJECT
`

// TestVerifyNftFile: the natural check after translate > ruleset.nft. A
// script verified against its own translation saved as an nftables file
// agrees (exit 0); against a hand-edited copy that differs it does not
// (exit 5); two nftables files leave nothing to probe from (exit 2).
func TestVerifyNftFile(t *testing.T) {
	testenv.RequireRoot(t)
	testenv.RequireBinary(t, "ip", "nft", "iptables-legacy-restore")
	write := fileWriter(t)
	script := write("rules.sh", verifyScript)
	var nft, errs bytes.Buffer
	if code := run([]string{"translate", script}, &env{stdin: strings.NewReader(""), stdout: &nft, stderr: &errs}); code != 0 {
		t.Fatalf("translate: exit %d: %s", code, errs.String())
	}
	if !strings.Contains(nft.String(), "dport 22") {
		t.Fatalf("translation without the ssh rule:\n%s", nft.String())
	}
	same := write("ruleset.nft", nft.String())
	edited := write("edited.nft", strings.Replace(nft.String(), "dport 22", "dport 2222", 1))
	// /etc/nftables.conf style: the flush must not take verify's observer.
	flushed := write("flushed.nft", "flush ruleset\n"+nft.String())
	var b [3]byte
	rand.Read(b[:])
	prefix := "--netns-prefix=hV-" + hex.EncodeToString(b[:])
	for _, c := range []struct {
		args      []string
		code      int
		out, errs string
	}{
		{[]string{"verify", prefix, "--probes", "300", script, same}, exitOK, "probes agree", ""},
		{[]string{"verify", prefix, "--probes", "300", same, script}, exitOK, "probes agree", ""},
		{[]string{"verify", prefix, "--probes", "300", script, flushed}, exitOK, "probes agree", ""},
		{[]string{"verify", prefix, "--probes", "300", script, edited}, exitMismatch, "dport", "probes differ"},
		{[]string{"verify", prefix, same, edited}, exitUsage, "", "both nftables files"},
	} {
		var out, errs bytes.Buffer
		code := run(c.args, &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errs})
		if code != c.code || !strings.Contains(out.String(), c.out) || !strings.Contains(errs.String(), c.errs) {
			t.Errorf("%v: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", c.args[2:], code, c.code, out.String(), errs.String())
		}
	}
}

// fileWriter returns a function that writes a file into a fresh
// temporary directory and returns its path.
func fileWriter(t *testing.T) func(name, text string) string {
	dir := t.TempDir()
	return func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
}
