package distros

import (
	_ "embed"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/BurntSushi/toml"
)

//go:embed profiles.toml
var profilesTOML string

// Family groups distributions that persist the same way.
type Family string

const (
	FamilyDebian Family = "debian" // Debian, Ubuntu and their derivatives
	FamilyRHEL   Family = "rhel"   // RHEL, its rebuilds, CentOS Stream, Fedora
)

// Profile is one row of profiles.toml with its family defaults filled in.
type Profile struct {
	Name     string
	IDs      []string
	From     string
	Until    string
	Family   Family
	Fallback bool
	// IPTables is the variant `iptables` runs by default ("nft" or
	// "legacy"), used only when the root does not show it.
	IPTables string
	// Backend is the default backend: "iptables" or "nftables".
	Backend         string
	MethodsIPTables []string `toml:"methods_iptables"`
	MethodsNFTables []string `toml:"methods_nftables"`
	NFTablesConf    string   `toml:"nftables_conf"`
	NFTablesFile    string   `toml:"nftables_file"`
	// Install is the package manager command that installs a package.
	Install  string
	Packages map[string]string
}

// Package names the package(s) that provide what is named key (a method
// name, "iptables"), and the command that installs them.
func (p *Profile) Package(key string) string {
	if pk := p.Packages[key]; pk != "" {
		return pk
	}
	return key
}

// InstallHint is the command line that installs what key needs.
func (p *Profile) InstallHint(key string) string {
	return p.Install + " " + p.Package(key)
}

// Distro is the --distro spelling of the profile.
func (p *Profile) Distro() string {
	if strings.Contains(p.Name, "-") {
		id, ver, _ := strings.Cut(p.Name, "-")
		return id + ":" + ver
	}
	return p.Name
}

type profileFile struct {
	Family  map[Family]Profile
	Profile []Profile
}

var loadProfiles = sync.OnceValues(func() ([]*Profile, error) {
	var f profileFile
	md, err := toml.Decode(profilesTOML, &f)
	if err != nil {
		return nil, fmt.Errorf("profiles.toml: %v", err)
	}
	if u := md.Undecoded(); len(u) > 0 {
		return nil, fmt.Errorf("profiles.toml: unknown keys %v", u)
	}
	var out []*Profile
	for _, row := range f.Profile {
		fam, ok := f.Family[row.Family]
		if !ok {
			return nil, fmt.Errorf("profiles.toml: profile %s: unknown family %q", row.Name, row.Family)
		}
		p := merge(fam, row)
		out = append(out, &p)
	}
	return out, nil
})

// merge fills the unset fields of a row from its family.
func merge(fam, row Profile) Profile {
	p := row
	def := func(dst *string, v string) {
		if *dst == "" {
			*dst = v
		}
	}
	def(&p.Backend, fam.Backend)
	def(&p.NFTablesConf, fam.NFTablesConf)
	def(&p.NFTablesFile, fam.NFTablesFile)
	def(&p.Install, fam.Install)
	def(&p.IPTables, fam.IPTables)
	if p.MethodsIPTables == nil {
		p.MethodsIPTables = fam.MethodsIPTables
	}
	if p.MethodsNFTables == nil {
		p.MethodsNFTables = fam.MethodsNFTables
	}
	p.Packages = map[string]string{}
	for k, v := range fam.Packages {
		p.Packages[k] = v
	}
	for k, v := range row.Packages {
		p.Packages[k] = v
	}
	return p
}

// Profiles returns every profile in table order.
func Profiles() []*Profile {
	ps, err := loadProfiles()
	if err != nil {
		// The table is embedded and checked by the tests.
		panic(err)
	}
	return ps
}

// Lookup finds the profile for an os-release: by ID and version first, then
// the fallback row of ID, then the fallback row of each ID_LIKE word in
// order. how says which of these matched, for detect's report.
func Lookup(o OSRelease) (p *Profile, how string, err error) {
	if p, how := lookupID(o.ID, o.VersionID); p != nil {
		return p, how, nil
	}
	for _, like := range o.IDLike {
		if p := fallback(like); p != nil {
			return p, fmt.Sprintf("ID %q is not in the table; ID_LIKE names %q", o.ID, like), nil
		}
	}
	return nil, "", &UnknownError{OS: o}
}

func lookupID(id, version string) (*Profile, string) {
	v, ok := parseVersion(version)
	if ok {
		for _, p := range Profiles() {
			if hasString(p.IDs, id) && inRange(v, p.From, p.Until) {
				return p, fmt.Sprintf("ID %q, VERSION_ID %q", id, version)
			}
		}
	}
	p := fallback(id)
	if p == nil {
		return nil, ""
	}
	if version == "" {
		return p, fmt.Sprintf("ID %q without VERSION_ID: newest profile", id)
	}
	return p, fmt.Sprintf("ID %q, VERSION_ID %q outside the known ranges: newest profile", id, version)
}

func fallback(id string) *Profile {
	for _, p := range Profiles() {
		if p.Fallback && hasString(p.IDs, id) {
			return p
		}
	}
	return nil
}

// ParseDistro reads a --distro value, ID or ID:VERSION, and returns its
// profile.
func ParseDistro(s string) (*Profile, OSRelease, error) {
	id, ver, _ := strings.Cut(strings.ToLower(s), ":")
	o := OSRelease{ID: id, VersionID: ver}
	if ver != "" {
		if _, ok := parseVersion(ver); !ok {
			return nil, o, fmt.Errorf("--distro %s: version %q is not a number like 12 or 24.04", s, ver)
		}
	}
	p, _ := lookupID(id, ver)
	if p == nil {
		return nil, o, &UnknownError{OS: o, Flag: true}
	}
	return p, o, nil
}

// UnknownError is an unknown distribution without a usable ID_LIKE.
type UnknownError struct {
	OS   OSRelease
	Flag bool // named by --distro rather than read from os-release
}

func (e *UnknownError) Error() string {
	src := "os-release"
	if e.Flag {
		src = "--distro"
	}
	like := ""
	if len(e.OS.IDLike) > 0 {
		like = fmt.Sprintf(" (ID_LIKE %q matches none either)", strings.Join(e.OS.IDLike, " "))
	}
	return fmt.Sprintf("unknown distribution %q from %s%s; give one with --distro: %s",
		e.OS.String(), src, like, strings.Join(DistroValues(), ", "))
}

// DistroValues lists the --distro values of every profile. Rebuilds such
// as rocky and almalinux are accepted under their own IDs too.
func DistroValues() []string {
	var out []string
	for _, p := range Profiles() {
		out = append(out, p.Distro())
	}
	return out
}

// version is a parsed VERSION_ID: its numeric dot-separated parts.
type version []int

// parseVersion reads "24.04", "9.5" or "40"; anything after the numbers
// ("13.1~beta") is ignored. ok is false when there is no leading number.
func parseVersion(s string) (version, bool) {
	var v version
	for _, part := range strings.Split(s, ".") {
		end := 0
		for end < len(part) && part[end] >= '0' && part[end] <= '9' {
			end++
		}
		if end == 0 {
			break
		}
		n, _ := strconv.Atoi(part[:end])
		v = append(v, n)
		if end < len(part) {
			break
		}
	}
	return v, len(v) > 0
}

func (a version) less(b version) bool {
	for i := 0; i < len(a) || i < len(b); i++ {
		x, y := 0, 0
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if x != y {
			return x < y
		}
	}
	return false
}

func inRange(v version, from, until string) bool {
	if f, ok := parseVersion(from); ok && v.less(f) {
		return false
	}
	if u, ok := parseVersion(until); ok && !v.less(u) {
		return false
	}
	return true
}

func hasString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
