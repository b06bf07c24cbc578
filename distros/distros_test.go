package distros

import (
	iofs "io/fs"
	"strings"
	"testing"
	"testing/fstest"
)

func TestParseOSRelease(t *testing.T) {
	for _, c := range []struct {
		text          string
		id, version   string
		like          string
		wantErrSubstr string
	}{
		{text: "ID=debian\nVERSION_ID=\"12\"\n", id: "debian", version: "12"},
		{text: "ID=fedora\nVERSION_ID=41\nVARIANT_ID=server\n", id: "fedora", version: "41"},
		{text: "ID=\"rocky\"\nID_LIKE=\"rhel centos fedora\"\nVERSION_ID=\"9.5\"\n", id: "rocky", version: "9.5", like: "rhel centos fedora"},
		{text: "# sid has no version\nID=debian\n", id: "debian"},
		{text: "ID='arch'\nBUILD_ID=rolling\n", id: "arch"},
		{text: "NAME=\"Linux \\\"quoted\\\"\"\nID=Ubuntu\nID_LIKE=debian\n", id: "ubuntu", like: "debian"},
		{text: "", id: "linux"},
		{text: "ID=\"debian\n", wantErrSubstr: "missing closing"},
		{text: "just text\n", wantErrSubstr: "expected KEY=value"},
	} {
		o, err := ParseOSRelease([]byte(c.text))
		if c.wantErrSubstr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErrSubstr) {
				t.Errorf("%q: error %v, want %q", c.text, err, c.wantErrSubstr)
			}
			continue
		}
		if err != nil || o.ID != c.id || o.VersionID != c.version || strings.Join(o.IDLike, " ") != c.like {
			t.Errorf("%q: got %+v, %v", c.text, o, err)
		}
	}
}

func TestLookup(t *testing.T) {
	for _, c := range []struct {
		id, version, like string
		want              string
	}{
		{"ubuntu", "20.04", "debian", "ubuntu-20.04"},
		{"ubuntu", "22.04", "debian", "ubuntu-22.04"},
		{"ubuntu", "23.10", "debian", "ubuntu-22.04"},
		{"ubuntu", "24.04", "debian", "ubuntu-24.04"},
		{"ubuntu", "26.04", "debian", "ubuntu-24.04"},
		{"debian", "11", "", "debian-11"},
		{"debian", "12", "", "debian-12"},
		{"debian", "13", "", "debian-13"},
		{"debian", "", "", "debian-13"},
		{"rhel", "8.10", "fedora", "rhel-8"},
		{"rocky", "9.5", "rhel centos fedora", "rhel-9"},
		{"almalinux", "10.0", "rhel centos fedora", "rhel-10"},
		{"centos", "9", "rhel fedora", "rhel-9"},
		{"ol", "9.4", "fedora", "rhel-9"},
		{"fedora", "41", "", "fedora-42"},
		{"fedora", "43", "", "fedora"},
		{"linuxmint", "22", "ubuntu debian", "ubuntu-24.04"},
		{"pop", "22.04", "ubuntu debian", "ubuntu-24.04"},
		{"kali", "2024.4", "debian", "debian-13"},
		{"nobara", "41", "fedora", "fedora"},
	} {
		o := OSRelease{ID: c.id, VersionID: c.version, IDLike: strings.Fields(c.like)}
		p, how, err := Lookup(o)
		if err != nil || p.Name != c.want {
			t.Errorf("%s %s: got %v (%s), %v; want %s", c.id, c.version, p, how, err, c.want)
		}
	}
	_, _, err := Lookup(OSRelease{ID: "gentoo"})
	if err == nil || !strings.Contains(err.Error(), "give one with --distro: ubuntu:20.04") {
		t.Errorf("unknown distribution: %v", err)
	}
	if _, _, err := ParseDistro("debian:twelve"); err == nil {
		t.Errorf("--distro debian:twelve accepted")
	}
	if p, _, err := ParseDistro("Ubuntu:24.04"); err != nil || p.Name != "ubuntu-24.04" {
		t.Errorf("--distro Ubuntu:24.04: %v %v", p, err)
	}
}

func TestProfilesComplete(t *testing.T) {
	for _, p := range Profiles() {
		if p.Backend == "" || len(p.MethodsIPTables) == 0 || len(p.MethodsNFTables) == 0 || p.NFTablesConf == "" || p.IPTables == "" {
			t.Errorf("profile %s lacks fields: %+v", p.Name, p)
		}
	}
}

func link(target string) *fstest.MapFile {
	return &fstest.MapFile{Data: []byte(target), Mode: iofs.ModeSymlink | 0o777}
}

func TestUnitsAndVariant(t *testing.T) {
	fsys := fstest.MapFS{
		"lib": link("usr/lib"),
		"usr/lib/systemd/system/nftables.service":                  {Data: []byte("[Install]\nWantedBy=sysinit.target\n")},
		"etc/systemd/system/iptables.service":                      link("/lib/systemd/system/netfilter-persistent.service"),
		"etc/systemd/system/sysinit.target.wants/nftables.service": link("/lib/systemd/system/nftables.service"),
		"usr/sbin/xtables-legacy-multi":                            {Data: nil, Mode: 0o755},
		"usr/sbin/iptables-legacy":                                 link("xtables-legacy-multi"),
		"usr/sbin/iptables":                                        link("/etc/alternatives/iptables"),
		"etc/alternatives/iptables":                                link("/usr/sbin/iptables-legacy"),
	}
	f := Detect(fsys, nil)
	if u := f.Units["iptables.service"]; !u.Dangling || u.Installed() {
		t.Errorf("dangling iptables.service alias: %+v", u)
	}
	if u := f.Units["nftables.service"]; !u.Installed() || !u.Enabled || u.Path != "/lib/systemd/system/nftables.service" {
		t.Errorf("nftables.service: %+v", u)
	}
	if f.Variant != "legacy" {
		t.Errorf("variant %q (%s), want legacy", f.Variant, f.VariantFrom)
	}
}
