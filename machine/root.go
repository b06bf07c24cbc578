package machine

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/ruleshift/ruleshift/distros"
	"github.com/ruleshift/ruleshift/translate"
	"github.com/ruleshift/ruleshift/translate/iptables"
	"github.com/ruleshift/ruleshift/translate/ir"
	"github.com/ruleshift/ruleshift/translate/nft"
)

// loader is one way a file is loaded at boot.
type loader struct {
	tool string // iptables-restore, ip6tables-nft-restore, nft
	file string // absolute inside the root
	how  string // "netfilter-persistent.service"
	on   bool   // enabled
	unit string // the service that loads it, "" for ifupdown
	in   string // the file holding the line that loads it, "" for a service's own file
	line string // that line, as written
}

// Loader is one way a file is loaded at boot, for migrate to turn off.
type Loader struct {
	// Tool loads File: iptables-restore, ip6tables-legacy-restore, nft.
	Tool, File string
	// How names it for messages: "netfilter-persistent.service",
	// "ifupdown (pre-up in /etc/network/interfaces)".
	How string
	// On: it loads at the next boot.
	On bool
	// Unit is the service that loads File ("" for ifupdown).
	Unit string
	// In is the file holding the line that loads File (an interfaces
	// file, an if-pre-up.d script, a unit), Line that line; both "" when
	// the service reads File by a fixed name.
	In, Line string
}

// BootLoaders lists the ways the machine under root loads rules files at
// boot, the ones ReadRoot reads, with ufw.service for ufw's files.
func BootLoaders(root string) []Loader {
	fsys := os.DirFS(root)
	facts := distros.Detect(fsys, nil)
	var out []Loader
	for _, l := range rootLoads(root, fsys, facts) {
		out = append(out, Loader{Tool: l.tool, File: l.file, How: l.how, On: l.on, Unit: l.unit, In: l.in, Line: l.line})
	}
	if st, err := os.Stat(filepath.Join(root, "etc/ufw/user.rules")); err == nil && !st.IsDir() {
		how, on := unitState(fsys, facts, "ufw.service")
		if !facts.UFWActive && on {
			how, on = "ufw.service (ENABLED=no in /etc/ufw/ufw.conf)", false
		}
		out = append(out, Loader{Tool: "ufw", File: "/etc/ufw", How: how, On: on, Unit: "ufw.service"})
	}
	return out
}

// unitState names a unit with its state, and whether it is enabled.
func unitState(fsys fs.FS, facts *distros.Facts, name string) (string, bool) {
	u := facts.Units[name]
	if u.Name == "" {
		u = distros.Unit(fsys, name)
	}
	switch {
	case u.Masked:
		return name + ", masked", false
	case u.Path == "":
		return name + ", not installed", false
	case !u.Enabled:
		return name + ", disabled", false
	}
	return name, true
}

// rootLoads finds every loader of a rules file under root.
func rootLoads(root string, fsys fs.FS, facts *distros.Facts) []loader {
	var loads []loader
	exists := func(p string) bool {
		st, err := os.Stat(filepath.Join(root, p))
		return err == nil && !st.IsDir()
	}
	add := func(tool, file, svc string) {
		if exists(file) {
			how, on := unitState(fsys, facts, svc)
			loads = append(loads, loader{tool: tool, file: file, how: how, on: on, unit: svc})
		}
	}
	add("iptables-restore", "/etc/iptables/rules.v4", "netfilter-persistent.service")
	add("ip6tables-restore", "/etc/iptables/rules.v6", "netfilter-persistent.service")
	add("iptables-restore", "/etc/sysconfig/iptables", "iptables.service")
	add("ip6tables-restore", "/etc/sysconfig/ip6tables", "ip6tables.service")
	add("nft", nftablesConf(root, facts), "nftables.service")
	loads = append(loads, ifupdownLoads(root, facts)...)
	if u := distros.Unit(fsys, "ruleshift.service"); u.Path != "" {
		how, on := unitState(fsys, facts, "ruleshift.service")
		for _, l := range loaderLines(root, u.Path, "ExecStart=") {
			l.how, l.on, l.unit = how, on, "ruleshift.service"
			loads = append(loads, l)
		}
	}
	return loads
}

// ReadRoot reads the files the machine under root loads at boot: the
// netfilter-persistent rules (/etc/iptables/rules.v4|v6), iptables-services
// (/etc/sysconfig/iptables|ip6tables), nftables.service's configuration
// with its includes resolved under root, the files that pre-up lines and
// if-pre-up.d scripts of ifupdown restore, ruleshift's own unit, and ufw's
// configuration. Each entry says which service loads it and whether that
// service is enabled (AtBoot). Reading an nftables file needs root and
// nft: it is loaded in a scratch network namespace and listed.
func ReadRoot(root string, o Options) *State {
	s := newState()
	s.root = true
	fsys := os.DirFS(root)
	facts := distros.Detect(fsys, nil)
	loads := rootLoads(root, fsys, facts)
	s.readLoads(root, loads, facts.Variant, o)
	if st, err := os.Stat(filepath.Join(root, "etc/ufw/user.rules")); err == nil && !st.IsDir() {
		how, on := unitState(fsys, facts, "ufw.service")
		if !facts.UFWActive && on {
			how, on = "ufw.service (ENABLED=no in /etc/ufw/ufw.conf)", false
		}
		rs, d := translate.Load([]translate.Input{{Name: root, Dir: root, IsDir: true}}, translate.Options{From: translate.UFW})
		s.Diags.Add(d)
		for _, e := range s.add(rs, UFW, "/etc/ufw", o) {
			e.Boot, e.AtBoot = how, on
		}
	}
	return s
}

// nftablesConf is the file nftables.service loads: the one its ExecStart
// names (Debian: /etc/nftables.conf; RHEL: /etc/sysconfig/nftables.conf).
func nftablesConf(root string, f *distros.Facts) string {
	if u := f.Units["nftables.service"]; u.Path != "" {
		for _, l := range loaderLines(root, u.Path, "ExecStart=") {
			if l.tool == "nft" {
				return l.file
			}
		}
	}
	if _, err := os.Stat(filepath.Join(root, "etc/nftables.conf")); err == nil {
		return "/etc/nftables.conf"
	}
	return "/etc/sysconfig/nftables.conf"
}

// ifupdownLoads finds the pre-up and up lines of /etc/network/interfaces
// (and the files it sources from interfaces.d) and the if-pre-up.d
// scripts that restore a file.
func ifupdownLoads(root string, f *distros.Facts) []loader {
	files := []string{"/etc/network/interfaces"}
	m, _ := filepath.Glob(filepath.Join(root, "etc/network/interfaces.d/*"))
	for _, p := range m {
		files = append(files, "/etc/network/interfaces.d/"+filepath.Base(p))
	}
	var out []loader
	for _, file := range files {
		for _, prefix := range []string{"pre-up ", "up ", "post-up "} {
			for _, l := range loaderLines(root, file, prefix) {
				l.how, l.on = "ifupdown ("+strings.TrimSpace(prefix)+" in "+file+")", f.Ifupdown
				out = append(out, l)
			}
		}
	}
	m, _ = filepath.Glob(filepath.Join(root, "etc/network/if-pre-up.d/*"))
	for _, p := range m {
		file := "/etc/network/if-pre-up.d/" + filepath.Base(p)
		for _, l := range loaderLines(root, file, "") {
			l.how, l.on = "ifupdown ("+file+")", f.Ifupdown
			out = append(out, l)
		}
	}
	return out
}

// loaderLines returns the loads of the lines of file (absolute inside the
// root) that start with prefix (after blanks) and run a restore tool or
// nft -f on a file: "pre-up iptables-restore < /etc/iptables.up.rules",
// "ExecStart=/usr/sbin/nft -f /etc/nftables.conf".
func loaderLines(root, file, prefix string) []loader {
	data, err := os.ReadFile(filepath.Join(root, file))
	if err != nil {
		return nil
	}
	var out []loader
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if strings.HasPrefix(line, "#") {
			continue
		}
		rest, ok := strings.CutPrefix(line, prefix)
		if !ok {
			continue
		}
		if l, ok := parseLoad(rest); ok {
			l.in, l.line = file, line
			out = append(out, l)
		}
	}
	return out
}

// parseLoad finds a restore tool or nft -f and the file it loads in a
// command line.
func parseLoad(cmd string) (loader, bool) {
	w := strings.Fields(strings.NewReplacer("<", " ", ";", " ", "&&", " ").Replace(cmd))
	for i, word := range w {
		base := path.Base(strings.TrimLeft(word, "-@"))
		isRestore := strings.HasSuffix(base, "tables-restore") || strings.HasSuffix(base, "tables-legacy-restore") || strings.HasSuffix(base, "tables-nft-restore")
		if !isRestore && base != "nft" {
			continue
		}
		for j := i + 1; j < len(w); j++ {
			a := w[j]
			if base == "nft" && a == "-f" && j+1 < len(w) {
				return loader{tool: "nft", file: w[j+1]}, true
			}
			if isRestore && strings.HasPrefix(a, "/") {
				return loader{tool: base, file: a}, true
			}
		}
	}
	return loader{}, false
}

// readLoads reads each file once, naming every loader of it.
func (s *State) readLoads(root string, loads []loader, variant string, o Options) {
	byFile := map[string][]loader{}
	var order []string
	for _, l := range loads {
		if byFile[l.file] == nil {
			order = append(order, l.file)
		}
		byFile[l.file] = append(byFile[l.file], l)
	}
	sort.Strings(order)
	for _, file := range order {
		ls := byFile[file]
		var hows []string
		on := false
		for _, l := range ls {
			hows = append(hows, l.how)
			on = on || l.on
		}
		boot := strings.Join(hows, "; ")
		var entries []*Entry
		if ls[0].tool == "nft" {
			entries = s.readNftFile(root, file, o)
		} else {
			entries = s.readSaveFile(root, file, ls[0].tool, variant, o)
		}
		for _, e := range entries {
			e.Boot, e.AtBoot = boot, on
		}
	}
}

func (s *State) readSaveFile(root, file, tool, variant string, o Options) []*Entry {
	data, err := os.ReadFile(filepath.Join(root, file))
	if err != nil {
		s.Diags.Errorf(ir.Pos{File: file}, "%v", err)
		return nil
	}
	fam := ir.IPv4
	if strings.HasPrefix(tool, "ip6") {
		fam = ir.IPv6
	}
	src := Legacy
	switch {
	case strings.Contains(tool, "-nft-"):
		src = NFTCompat
	case strings.Contains(tool, "-legacy-"):
	case variant == "nft":
		src = NFTCompat
	case variant == "":
		s.notef("%s: which variant %s runs is unknown: read as legacy", file, tool)
	}
	rs := &ir.Ruleset{}
	s.Diags.Add(iptables.ParseSave(rs, file, data, iptables.SaveOptions{Family: fam}))
	return s.add(rs, src, file, o)
}

func (s *State) readNftFile(root, file string, o Options) []*Entry {
	var files []string
	text, err := inlineIncludes(root, file, 0, &files)
	if err != nil {
		s.Diags.Errorf(ir.Pos{File: file}, "%v", err)
		return nil
	}
	js, err := nft.ListFile([]byte(text), root)
	if err != nil {
		s.Diags.Errorf(ir.Pos{File: file}, "%v", err)
		return nil
	}
	in := " in " + file
	if len(files) > 1 {
		in += fmt.Sprintf(" (with %s)", strings.Join(files[1:], ", "))
	}
	n := len(s.Entries)
	s.readNftJSON(file, js, in, nil, o)
	return s.Entries[n:]
}
