package distros

import (
	"bufio"
	"bytes"
	"io/fs"
	"path"
	"sort"
	"strings"
)

// UnitDirs are where unit files live, in systemd's lookup order. /lib is
// kept for split-/usr systems and for Debian 12, whose packages still ship
// units there.
var UnitDirs = []string{"etc/systemd/system", "usr/lib/systemd/system", "lib/systemd/system"}

// EtcUnits is where enablement links and admin units live.
const EtcUnits = "etc/systemd/system"

// UnitState is what the root shows about one unit.
type UnitState struct {
	Name string
	// Path is the unit file as systemd would load it, absolute inside the
	// root ("/lib/systemd/system/nftables.service"); "" when not installed.
	Path string
	// AliasOf names the unit that Name is a link to in /etc, such as
	// netfilter-persistent.service for iptables.service on Debian.
	AliasOf  string
	Enabled  bool
	Masked   bool
	Dangling bool // an /etc link whose target is missing: not installed
}

// Installed reports whether a unit file exists for the unit.
func (u UnitState) Installed() bool { return u.Path != "" && !u.Masked }

// Unit inspects a unit under root.
func Unit(root fs.FS, name string) UnitState {
	u := UnitState{Name: name}
	etc := path.Join(EtcUnits, name)
	if t := Readlink(root, etc); t != "" {
		switch {
		case t == "/dev/null":
			u.Masked = true
			u.Path = "/dev/null"
		case !Exists(root, etc):
			u.Dangling = true
		default:
			if base := path.Base(t); base != name {
				u.AliasOf = base
				alias := Unit(root, base)
				u.Path, u.Enabled = alias.Path, alias.Enabled
				return u
			}
		}
	}
	if !u.Masked && !u.Dangling {
		u.Path = UnitPath(root, name)
	}
	u.Enabled = u.Path != "" && !u.Masked && len(WantsLinks(root, name)) > 0
	return u
}

// UnitPath finds the unit file of name, absolute inside the root, or "".
// When a file is reachable both as /lib/... and /usr/lib/... (merged /usr),
// it answers with the prefix the root's existing enablement links use, so
// new links look like the ones the packages made.
func UnitPath(root fs.FS, name string) string {
	var found []string
	for _, d := range UnitDirs {
		p := path.Join(d, name)
		if d == EtcUnits && Readlink(root, p) != "" {
			continue // an alias or mask, handled by Unit
		}
		if fi, err := Stat(root, p); err == nil && fi.Mode().IsRegular() {
			found = append(found, "/"+p)
		}
	}
	if len(found) == 0 {
		return ""
	}
	if found[0] == "/"+path.Join(EtcUnits, name) {
		return found[0]
	}
	pref := preferredUnitDir(root)
	for _, f := range found {
		if strings.HasPrefix(f, pref) {
			return f
		}
	}
	return found[0]
}

// preferredUnitDir returns "/lib/systemd/system/" or
// "/usr/lib/systemd/system/", whichever the links under etc/systemd/system
// point into more often.
func preferredUnitDir(root fs.FS) string {
	lib, usr := 0, 0
	dirs, _ := fs.ReadDir(root, EtcUnits)
	for _, d := range dirs {
		if !d.IsDir() {
			continue
		}
		links, _ := fs.ReadDir(root, path.Join(EtcUnits, d.Name()))
		for _, l := range links {
			t := Readlink(root, path.Join(EtcUnits, d.Name(), l.Name()))
			switch {
			case strings.HasPrefix(t, "/lib/systemd/system/"):
				lib++
			case strings.HasPrefix(t, "/usr/lib/systemd/system/"):
				usr++
			}
		}
	}
	if lib > usr {
		return "/lib/systemd/system/"
	}
	return "/usr/lib/systemd/system/"
}

// WantsLinks lists the .wants and .requires links for name under
// etc/systemd/system whose target exists, relative to the root.
func WantsLinks(root fs.FS, name string) []string {
	var out []string
	dirs, _ := fs.ReadDir(root, EtcUnits)
	for _, d := range dirs {
		n := d.Name()
		if !strings.HasSuffix(n, ".wants") && !strings.HasSuffix(n, ".requires") {
			continue
		}
		p := path.Join(EtcUnits, n, name)
		if Exists(root, p) {
			out = append(out, p)
		}
	}
	return out
}

// Install is the [Install] section of a unit with its drop-ins applied.
type Install struct {
	WantedBy, RequiredBy, Alias, Also []string
}

// ReadInstall reads the [Install] section of the unit file at unitPath
// (absolute inside the root) and of its drop-ins (name.d/*.conf in every
// unit directory), which is where iptables-persistent adds the
// iptables.service alias to netfilter-persistent.
func ReadInstall(root fs.FS, name, unitPath string) (Install, error) {
	var in Install
	data, err := ReadFile(root, strings.TrimPrefix(unitPath, "/"))
	if err != nil {
		return in, err
	}
	parseInstall(data, &in)
	seen := map[string]bool{}
	var dropins []string
	for i := len(UnitDirs) - 1; i >= 0; i-- {
		ents, _ := fs.ReadDir(root, path.Join(UnitDirs[i], name+".d"))
		for _, e := range ents {
			// A drop-in in /etc overrides one of the same name in /usr.
			if strings.HasSuffix(e.Name(), ".conf") && !seen[e.Name()] {
				seen[e.Name()] = true
				dropins = append(dropins, path.Join(UnitDirs[i], name+".d", e.Name()))
			}
		}
	}
	sort.Slice(dropins, func(i, j int) bool { return path.Base(dropins[i]) < path.Base(dropins[j]) })
	for _, d := range dropins {
		if b, err := ReadFile(root, d); err == nil {
			parseInstall(b, &in)
		}
	}
	return in, nil
}

// ParseInstall reads the [Install] section of unit text.
func ParseInstall(data []byte) Install {
	var in Install
	parseInstall(data, &in)
	return in
}

func parseInstall(data []byte, in *Install) {
	section := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if line[0] == '[' {
			section = line
			continue
		}
		if section != "[Install]" {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		var list *[]string
		switch strings.TrimSpace(k) {
		case "WantedBy":
			list = &in.WantedBy
		case "RequiredBy":
			list = &in.RequiredBy
		case "Alias":
			list = &in.Alias
		case "Also":
			list = &in.Also
		default:
			continue
		}
		words := strings.Fields(v)
		if len(words) == 0 {
			*list = nil // an empty assignment resets the list
			continue
		}
		*list = append(*list, words...)
	}
}
