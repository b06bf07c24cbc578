package distros

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// The backend of `ruleshift apply --backend auto`, in the manner of
// tailscale's linuxfw detector: an active ufw owns the firewall and
// loads through its files; else the backend that already holds rules wins,
// so apply never starts a second firewall beside a loaded one; then the
// distribution's default (Profile.DefaultBackend, shared with persist);
// then nftables. Detection (DetectApply) and decision (DecideApply) are
// apart so that the decision is tested without root.

// KernelTable is an nftables table the running kernel holds, of any owner.
type KernelTable struct {
	Family string // nft family keyword: ip, ip6, inet, arp, bridge, netdev
	Name   string
	// Own marks a table of ruleshift's nftables backend.
	Own bool
}

// TableLister lists the running kernel's nftables tables. The nftables
// backend knows how (netlink) and which tables are its own; the caller
// passes its listing in, so that detection does not depend on a renderer.
type TableLister func() ([]KernelTable, error)

// ApplyFacts are what apply's backend choice rests on.
type ApplyFacts struct {
	// Tables are the kernel's nft tables; TablesErr is set when they could
	// not be listed (no nf_tables, no permission, offline).
	Tables    []KernelTable
	TablesErr error
	// LegacyRules: iptables-legacy-save or ip6tables-legacy-save prints a
	// rule.
	LegacyRules bool
	// IPTNFTRules: iptables-nft-save or ip6tables-nft-save prints a rule.
	IPTNFTRules bool

	OS    OSRelease
	OSErr error
	// Variant and VariantFrom are what `iptables` runs, as in Facts.
	Variant, VariantFrom string
	// UFWActive: ENABLED=yes in etc/ufw/ufw.conf and ufw's chains are
	// loaded (ufw-user-input exists).
	UFWActive bool
}

// iptablesNFTTables are the table names iptables-nft creates, in the ip and
// ip6 families.
var iptablesNFTTables = map[string]bool{"filter": true, "nat": true, "mangle": true, "raw": true, "security": true}

// loadedTables sorts the nft tables into ruleshift's own, iptables-nft's
// and any other, each as "family name".
func (a *ApplyFacts) loadedTables() (own, ipt, other []string) {
	if a.TablesErr != nil {
		return nil, nil, nil
	}
	for _, t := range a.Tables {
		id := t.Family + " " + t.Name
		switch {
		case t.Own:
			own = append(own, id)
		case (t.Family == "ip" || t.Family == "ip6") && iptablesNFTTables[t.Name]:
			ipt = append(ipt, id)
		default:
			other = append(other, id)
		}
	}
	return own, ipt, other
}

// DecideApply picks apply's backend from the facts and says why. The rows
// are in the order the README documents.
func DecideApply(a *ApplyFacts) (backend, why string) {
	own, ipt, other := a.loadedTables()
	switch {
	case a.UFWActive:
		// Its chains are in iptables' filter table: loading there would
		// replace them, and a reload of ufw would undo the load.
		return BackendUFW, "ufw is active (ENABLED=yes in /etc/ufw/ufw.conf, its chains are loaded): it owns the firewall, and rules load through its files"
	case len(own) > 0:
		return BackendNFTables, "ruleshift's nftables tables are loaded (" + strings.Join(own, ", ") + ")"
	case a.LegacyRules:
		return BackendLegacy, "iptables-legacy tables hold rules"
	case len(ipt) > 0 && a.IPTNFTRules:
		return BackendIPTNFT, "iptables-nft tables hold rules (" + strings.Join(ipt, ", ") + ")"
	case len(other) > 0:
		// Tables of Docker, libvirt or firewalld in native nft: load
		// beside them in the same framework.
		return BackendNFTables, "nftables tables are in use (" + strings.Join(other, ", ") + ")"
	}
	return a.distroDefault()
}

// distroDefault is the last two rows: the profile's default backend, else
// nftables.
func (a *ApplyFacts) distroDefault() (backend, why string) {
	const none = "no firewall rules are loaded"
	if a.OSErr != nil {
		return BackendNFTables, none + " and the distribution is not known: nftables is the default"
	}
	p, how, err := Lookup(a.OS)
	if err != nil {
		return BackendNFTables, fmt.Sprintf("%s and distribution %s has no profile: nftables is the default", none, a.OS)
	}
	backend, variant := p.DefaultBackend(a.Variant, a.VariantFrom)
	why = fmt.Sprintf("%s; %s uses %s by default (profile %s: %s in /%s)", none, a.OS, backend, p.Name, how, a.OS.Path)
	if variant != "" {
		why += "; " + variant
	}
	return backend, why
}

// errOffline stands for the kernel's tables when there is no probe.
var errOffline = errors.New("not looked at: offline")

// DetectApply finds the facts: os-release and the iptables links under
// root, and, when probe is not nil, what the running kernel holds (in the
// caller's network namespace; its nftables tables through list). With a
// nil probe nothing counts as loaded, so the decision falls to the
// distribution's default.
func DetectApply(root fs.FS, probe Probe, list TableLister) *ApplyFacts {
	if probe == nil {
		return detectApply(root, nil, nil, nil)
	}
	return detectApply(root, probe, list, xtablesInUse)
}

// detectApply is DetectApply with the kernel reached through list (the nft
// tables) and xtables (whether x_tables holds any table), so tests can
// fake them.
func detectApply(root fs.FS, probe Probe, list TableLister, xtables func() bool) *ApplyFacts {
	a := &ApplyFacts{TablesErr: errOffline}
	if probe != nil && ufwEnabled(root) {
		_, err := probe("iptables", "-w", "-n", "-L", "ufw-user-input")
		a.UFWActive = err == nil
	}
	if list != nil {
		a.Tables, a.TablesErr = list()
	}
	// The save tools run only for a row that can still decide: on large
	// rulesets they take a while. iptables-legacy-save would also load the
	// x_tables modules, so it runs only once they hold a table.
	own, ipt, _ := a.loadedTables()
	if probe != nil && len(own) == 0 {
		a.LegacyRules = xtables() && anySaveRules(probe, "iptables-legacy-save", "ip6tables-legacy-save")
		if !a.LegacyRules && len(ipt) > 0 {
			a.IPTNFTRules = anySaveRules(probe, "iptables-nft-save", "ip6tables-nft-save")
		}
	}
	a.OS, a.OSErr = ReadOSRelease(root)
	a.Variant, a.VariantFrom = detectVariant(root, probe)
	return a
}

// ApplyBackend detects and decides in one step.
func ApplyBackend(root fs.FS, probe Probe, list TableLister) (backend, why string) {
	return DecideApply(DetectApply(root, probe, list))
}

// xtablesInUse reports whether the legacy x_tables modules hold a table:
// the kernel lists them in /proc/net/ip{,6}_tables_names (per network
// namespace), which reading does not load the modules.
func xtablesInUse() bool {
	for _, p := range []string{"/proc/net/ip_tables_names", "/proc/net/ip6_tables_names"} {
		if b, err := os.ReadFile(p); err == nil && strings.TrimSpace(string(b)) != "" {
			return true
		}
	}
	return false
}

// anySaveRules reports whether any of the save tools prints a rule.
func anySaveRules(probe Probe, tools ...string) bool {
	for _, t := range tools {
		if n, _ := saveRules(probe, t); n > 0 {
			return true
		}
	}
	return false
}
