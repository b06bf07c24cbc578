package main

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/internal/testenv"
)

// TestPolicyEgressVerified: examples/egress.toml, rendered for each
// backend (ufw too: its files loaded by ufw-init) and loaded in scratch namespaces, treats every IPv4 probe as
// the how-to's script examples/egress.sh does (examples/hosts stands in
// for DNS). The script leaves IPv6 open, the policy does not: for IPv6
// the policy's renderings are compared with each other instead (the
// nftables one is an inet table).
func TestPolicyEgressVerified(t *testing.T) {
	testenv.RequireRoot(t)
	testenv.RequireBinary(t, "ip", "nft", "iptables-legacy-restore", "ip6tables-legacy-restore", "iptables-nft-restore", "ufw")
	var b [3]byte
	rand.Read(b[:])
	prefix := "--netns-prefix=pE-" + hex.EncodeToString(b[:])
	const script, policy, hosts = "../../examples/egress.sh", "../../examples/egress.toml", "../../examples/hosts"
	cases := [][]string{
		{"--family", "ipv4", "--new-backend", "nftables", script, policy},
		{"--family", "ipv4", "--new-backend", "iptables-legacy", script, policy},
		{"--family", "ipv4", "--new-backend", "iptables-nft", script, policy},
		{"--family", "ipv4", "--new-backend", "ufw", script, policy},
		// Both families: the policy pinned for iptables against its
		// inet table with host-name sets.
		{"--old-backend", "iptables-legacy", "--new-backend", "nftables", policy, policy},
	}
	for _, c := range cases {
		var out, errs bytes.Buffer
		args := append([]string{"verify", prefix, "--hosts", hosts, "--probes", "1500"}, c...)
		code := run(args, &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errs})
		if code != exitOK || !strings.Contains(errs.String()+out.String(), "probes agree") {
			t.Errorf("%v: exit %d\nstdout:\n%s\nstderr:\n%s", c, code, out.String(), errs.String())
		}
	}
}
