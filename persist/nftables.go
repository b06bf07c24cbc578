package persist

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/ruleshift/ruleshift/backends"
)

// planNFTables writes ruleshift's nft file (it replaces only ruleshift's
// tables, never `flush ruleset`) and includes it, once, at the end of the
// file nftables.service loads: /etc/nftables.conf on Debian and Ubuntu,
// /etc/sysconfig/nftables.conf on RHEL and Fedora. Everything else in that
// file is kept byte for byte.
func planNFTables(e *Env) (*Plan, error) {
	prof := e.Choice.Profile
	p := &Plan{}
	rules := e.Rules.Of(backends.RoleRules)
	if len(rules) != 1 {
		return nil, fmt.Errorf("internal error: the nftables method loads one nft script, the %s backend rendered %d files", e.Choice.Backend, len(rules))
	}
	p.file(prof.NFTablesFile, rules[0].Text, ruleFileMode)
	include := fmt.Sprintf("include %q", prof.NFTablesFile)
	data, mode, exists, err := readRoot(e.Root, prof.NFTablesConf)
	if err != nil {
		return nil, err
	}
	if !exists {
		data, mode = []byte("#!/usr/sbin/nft -f\n"), 0o600
	}
	p.Files = append(p.Files, File{Path: prof.NFTablesConf, Data: appendLine(data, include, include), Mode: mode, Marker: include})
	if hasFlushRuleset(data) {
		p.notef("%s has `flush ruleset`: every start, reload or stop of nftables.service also removes the tables of Docker, libvirt, firewalld and iptables-nft; ruleshift leaves that line to you", prof.NFTablesConf)
	}
	p.Services = append(p.Services, Service{"nftables.service", Enable})
	return p, nil
}

// appendLine removes lines holding marker and appends line at the end,
// adding a newline to an unterminated last line first.
func appendLine(data []byte, line, marker string) []byte {
	var b bytes.Buffer
	for _, l := range strings.SplitAfter(string(data), "\n") {
		if l != "" && !strings.Contains(l, marker) {
			b.WriteString(l)
		}
	}
	if b.Len() > 0 && !bytes.HasSuffix(b.Bytes(), []byte("\n")) {
		b.WriteByte('\n')
	}
	b.WriteString(line + "\n")
	return b.Bytes()
}

func hasFlushRuleset(data []byte) bool {
	for _, l := range strings.Split(string(data), "\n") {
		if strings.Join(strings.Fields(l), " ") == "flush ruleset" {
			return true
		}
	}
	return false
}
