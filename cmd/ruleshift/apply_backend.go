package main

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"

	ipbackend "github.com/ruleshift/ruleshift/backends/iptables"
	"github.com/ruleshift/ruleshift/backends/nftables"
)

// Backend choice for apply. --backend auto takes, in order: the backend
// that already holds rules on this machine, the distribution's default
// (a small os-release table; the full profiles live in distros/), then
// nftables. Each step says why, so the user can see and override it.

// Backend names as the flag spells them.
const (
	backendNft    = "nftables"
	backendLegacy = "iptables-legacy"
	backendIptNft = "iptables-nft"
)

func variantOf(backend string) *ipbackend.Variant {
	if backend == backendLegacy {
		return ipbackend.Legacy
	}
	return ipbackend.NFT
}

// iptablesNftTables are the table names iptables-nft creates.
var iptablesNftTables = map[string]bool{"filter": true, "nat": true, "mangle": true, "raw": true, "security": true}

// detectBackend picks a backend for --backend auto and says why.
func detectBackend(osRelease string) (string, string) {
	tables, err := nftables.ListTables("")
	if err == nil {
		var own, ipt, native []string
		for _, t := range tables {
			id := t.Family + " " + t.Name
			switch {
			case strings.HasPrefix(t.Name, nftables.TablePrefix):
				own = append(own, id)
			case (t.Family == "ip" || t.Family == "ip6") && iptablesNftTables[t.Name]:
				ipt = append(ipt, id)
			default:
				native = append(native, id)
			}
		}
		switch {
		case len(own) > 0:
			return backendNft, "ruleshift's nftables tables are loaded (" + strings.Join(own, ", ") + ")"
		case legacyHasRules():
			return backendLegacy, "iptables-legacy tables hold rules"
		case len(ipt) > 0 && saveHasRules("iptables-nft-save", "ip6tables-nft-save"):
			return backendIptNft, "iptables-nft tables hold rules (" + strings.Join(ipt, ", ") + ")"
		case len(native) > 0:
			return backendNft, "nftables tables are in use (" + strings.Join(native, ", ") + ")"
		}
	} else if legacyHasRules() {
		return backendLegacy, "iptables-legacy tables hold rules"
	}
	if b, why := distroDefault(osRelease); b != "" {
		return b, why
	}
	return backendNft, "no firewall rules are loaded and the distribution is not known: nftables is the default"
}

// legacyHasRules reports whether x_tables (iptables-legacy) holds rules.
// /proc/net/ip_tables_names lists the tables the legacy modules hold.
func legacyHasRules() bool {
	has := false
	for _, p := range []string{"/proc/net/ip_tables_names", "/proc/net/ip6_tables_names"} {
		if b, err := os.ReadFile(p); err == nil && strings.TrimSpace(string(b)) != "" {
			has = true
		}
	}
	return has && saveHasRules("iptables-legacy-save", "ip6tables-legacy-save")
}

// saveHasRules reports whether either save tool prints a rule.
func saveHasRules(tools ...string) bool {
	for _, t := range tools {
		if _, err := exec.LookPath(t); err != nil {
			continue
		}
		out, err := exec.Command(t).Output()
		if err != nil {
			continue
		}
		for _, l := range strings.Split(string(out), "\n") {
			if strings.HasPrefix(l, "-A ") {
				return true
			}
		}
	}
	return false
}

// distroDefault is the firewall a distribution sets up by default, from
// os-release ID, ID_LIKE and VERSION_ID.
func distroDefault(path string) (string, string) {
	f, err := os.Open(path)
	if err != nil {
		return "", ""
	}
	defer f.Close()
	kv := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if ok {
			kv[k] = strings.Trim(v, `"'`)
		}
	}
	ver, _ := strconv.ParseFloat(kv["VERSION_ID"], 64)
	ids := append([]string{kv["ID"]}, strings.Fields(kv["ID_LIKE"])...)
	name := kv["ID"] + " " + kv["VERSION_ID"]
	for _, id := range ids {
		if b := distroTable(id, ver); b != "" {
			return b, fmt.Sprintf("no firewall rules are loaded; %s (%s) uses %s by default", strings.TrimSpace(name), path, b)
		}
	}
	return "", ""
}

func distroTable(id string, ver float64) string {
	switch id {
	case "debian":
		if ver != 0 && ver < 10 {
			return backendLegacy
		}
		return backendNft
	case "ubuntu":
		if ver != 0 && ver < 21.04 {
			return backendLegacy
		}
		return backendIptNft
	case "rhel", "centos", "rocky", "almalinux", "ol":
		if ver != 0 && ver < 8 {
			return backendLegacy
		}
		return backendNft
	case "fedora":
		if ver != 0 && ver < 32 {
			return backendLegacy
		}
		return backendNft
	case "alpine":
		return backendLegacy
	case "arch", "opensuse", "suse":
		return backendNft
	}
	return ""
}
