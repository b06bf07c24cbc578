package distros

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// FirewallUnits are the services detect reports, in report order.
var FirewallUnits = []string{
	"ufw.service", "firewalld.service", "nftables.service",
	"netfilter-persistent.service", "iptables.service", "ip6tables.service",
}

// Probe runs a program on the live system and returns its standard output.
// It is nil offline (--root), where only files are read.
type Probe func(name string, args ...string) (string, error)

// Facts is what detect finds under a root.
type Facts struct {
	OS    OSRelease
	OSErr error // reading os-release failed; OS is then empty

	// Variant is what `iptables` runs: "nft", "legacy" or "" (unknown), and
	// VariantFrom says how that was found.
	Variant     string
	VariantFrom string
	// Mixed is set on a live system when legacy and nft tables both hold
	// rules; MixedChecked says whether that could be checked at all.
	Mixed, MixedChecked bool

	Units map[string]UnitState
	// UFWActive: ufw.service enabled and ENABLED=yes in etc/ufw/ufw.conf.
	UFWActive bool
	// NFPlugins: iptables-persistent's plugins for netfilter-persistent.
	NFPlugins bool

	Ifupdown    bool   // ifupdown really brings interfaces up
	IfupdownWhy string // why, or why not
	Interfaces  []string
	// InterfacesFile is the file holding the lo stanza, "" if none.
	LoStanzaFile string
	// Network names the other network managers configured here.
	Network []string
	// Bins maps the loaders persist may use to their paths inside the root.
	Bins map[string]string
}

// loaderBins are the programs whose paths Detect records.
var loaderBins = []string{"nft", "iptables-restore", "ip6tables-restore",
	"iptables-nft-restore", "ip6tables-nft-restore", "iptables-legacy-restore", "ip6tables-legacy-restore"}

// Binaries returns the absolute path of a loader inside the root, or "".
func (f *Facts) Binaries(name string) string { return f.Bins[name] }

// Detect reads the facts from root. probe is nil offline.
func Detect(root fs.FS, probe Probe) *Facts {
	f := &Facts{Units: map[string]UnitState{}}
	f.OS, f.OSErr = ReadOSRelease(root)
	f.Variant, f.VariantFrom = detectVariant(root, probe)
	if probe != nil {
		f.Mixed, f.MixedChecked = detectMixed(probe)
	}
	for _, u := range append(FirewallUnits, "networking.service", "NetworkManager.service", "systemd-networkd.service") {
		f.Units[u] = Unit(root, u)
	}
	f.UFWActive = f.Units["ufw.service"].Enabled && ufwEnabled(root)
	f.NFPlugins = Exists(root, "usr/share/netfilter-persistent/plugins.d/15-ip4tables")
	f.detectNetwork(root)
	f.Bins = map[string]string{}
	for _, b := range loaderBins {
		if p := FindBinary(root, b); p != "" {
			f.Bins[b] = p
		}
	}
	return f
}

// detectVariant follows the chain of links from the iptables binary
// (usually through /etc/alternatives) and names the variant its last
// named link or file shows; live, `iptables -V` says it directly.
func detectVariant(root fs.FS, probe Probe) (string, string) {
	if probe != nil {
		if out, err := probe("iptables", "-V"); err == nil {
			switch {
			case strings.Contains(out, "nf_tables"):
				return "nft", "iptables -V: " + strings.TrimSpace(out)
			case strings.Contains(out, "legacy"):
				return "legacy", "iptables -V: " + strings.TrimSpace(out)
			}
		}
	}
	bin := FindBinary(root, "iptables")
	if bin == "" {
		return "", "no iptables binary under the root"
	}
	chain := []string{bin}
	p := strings.TrimPrefix(bin, "/")
	variant := ""
	for i := 0; i < maxLinks; i++ {
		t := Readlink(root, p)
		if t == "" {
			break
		}
		chain = append(chain, t)
		if !strings.HasPrefix(t, "/") {
			t = path.Join(path.Dir(p), t)
		}
		p = strings.TrimPrefix(path.Clean(t), "/")
		if v := variantOf(path.Base(t)); v != "" {
			variant = v
			break
		}
	}
	if variant == "" {
		return "", "cannot tell the variant of " + strings.Join(chain, " -> ")
	}
	return variant, strings.Join(chain, " -> ")
}

func variantOf(name string) string {
	switch {
	case strings.Contains(name, "nft"):
		return "nft"
	case strings.Contains(name, "legacy"):
		return "legacy"
	}
	return ""
}

// detectMixed asks both save tools whether they see rules: both sets apply
// to packets, so a machine with both is a hazard to report.
func detectMixed(probe Probe) (mixed, checked bool) {
	l, ok1 := saveRules(probe, "iptables-legacy-save")
	n, ok2 := saveRules(probe, "iptables-nft-save")
	l6, _ := saveRules(probe, "ip6tables-legacy-save")
	n6, _ := saveRules(probe, "ip6tables-nft-save")
	return (l > 0 || l6 > 0) && (n > 0 || n6 > 0), ok1 && ok2
}

// saveRules counts the rules (-A lines) that a save tool prints; ok is false
// when it cannot run (not installed, no permission).
func saveRules(probe Probe, tool string) (n int, ok bool) {
	out, err := probe(tool)
	if err != nil {
		return 0, false
	}
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "-A ") {
			n++
		}
	}
	return n, true
}

func ufwEnabled(root fs.FS) bool {
	data, err := ReadFile(root, "etc/ufw/ufw.conf")
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if v, ok := strings.CutPrefix(line, "ENABLED="); ok {
			return strings.Trim(v, `"'`) == "yes"
		}
	}
	return false
}

// detectNetwork decides whether ifupdown brings interfaces up: ifup is
// there, networking.service is enabled, and /etc/network/interfaces (with
// the files it sources) has an iface stanza.
func (f *Facts) detectNetwork(root fs.FS) {
	ifaces, lo := interfacesStanzas(root, "etc/network/interfaces", 0)
	f.Interfaces, f.LoStanzaFile = ifaces, lo
	switch {
	case FindBinary(root, "ifup") == "":
		f.IfupdownWhy = "ifupdown is not installed (no /sbin/ifup)"
	case !f.Units["networking.service"].Enabled:
		f.IfupdownWhy = "networking.service (ifupdown) is not enabled"
	case len(ifaces) == 0:
		f.IfupdownWhy = "/etc/network/interfaces configures no interface"
	default:
		f.Ifupdown = true
		f.IfupdownWhy = fmt.Sprintf("ifupdown brings up %s from /etc/network/interfaces", strings.Join(ifaces, ", "))
	}
	if m, _ := fs.Glob(root, "etc/netplan/*.yaml"); len(m) > 0 {
		f.Network = append(f.Network, "netplan ("+strings.Join(m, ", ")+")")
	}
	for _, u := range []string{"NetworkManager.service", "systemd-networkd.service"} {
		if f.Units[u].Enabled {
			f.Network = append(f.Network, strings.TrimSuffix(u, ".service"))
		}
	}
}

// interfacesStanzas lists the interfaces with an iface stanza in file and
// the files it sources, and which file holds the lo stanza.
func interfacesStanzas(root fs.FS, file string, depth int) (ifaces []string, loFile string) {
	data, err := ReadFile(root, file)
	if err != nil || depth > 8 {
		return nil, ""
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		w := strings.Fields(sc.Text())
		if len(w) < 2 || strings.HasPrefix(w[0], "#") {
			continue
		}
		switch w[0] {
		case "iface":
			if !hasString(ifaces, w[1]) {
				ifaces = append(ifaces, w[1])
			}
			if w[1] == "lo" && loFile == "" {
				loFile = "/" + file
			}
		case "source", "source-directory":
			pat := w[1]
			if !strings.HasPrefix(pat, "/") {
				pat = path.Join("/etc/network", pat)
			}
			if w[0] == "source-directory" {
				pat = path.Join(pat, "*")
			}
			matches, _ := fs.Glob(root, strings.TrimPrefix(pat, "/"))
			for _, m := range matches {
				sub, subLo := interfacesStanzas(root, m, depth+1)
				for _, s := range sub {
					if !hasString(ifaces, s) {
						ifaces = append(ifaces, s)
					}
				}
				if loFile == "" {
					loFile = subLo
				}
			}
		}
	}
	return ifaces, loFile
}
