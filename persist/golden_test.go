package persist_test

import (
	"bytes"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	// The backends persist renders with register themselves.
	_ "github.com/ruleshift/ruleshift/backends/iptables"
	_ "github.com/ruleshift/ruleshift/backends/nftables"
	_ "github.com/ruleshift/ruleshift/backends/ufw"
	"github.com/ruleshift/ruleshift/internal/testenv"
	"github.com/ruleshift/ruleshift/persist"
	"github.com/ruleshift/ruleshift/translate"
	"github.com/ruleshift/ruleshift/translate/ir"
	// The script frontend, for scripts among the inputs.
	_ "github.com/ruleshift/ruleshift/translate/script"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/persist")

const testdata = "../testdata/persist"

// goldenCase is one persist --root into a seeded root.
type goldenCase struct {
	name  string
	seeds []string // fragments under testdata/persist/seeds, without .tree
	opts  persist.Options
	// inputs default to the how-to's egress rules.
	inputs []string
	// wantErr, when set, is part of the error; the root must stay as seeded.
	wantErr string
}

// howto is the how-to's egress script; egress.v4 and egress.v6 hold the
// same rules as iptables-save prints them (TestHowtoScript checks).
var howto = []string{"egress.sh"}

var (
	debBase  = []string{"usrmerge", "xtables", "alt-nft", "nftables-deb"}
	rhelBase = []string{"usrmerge", "xtables-rhel", "rhel-base"}
)

func seeds(os string, base []string, more ...string) []string {
	return append(append([]string{"os-" + os}, base...), more...)
}

var goldenCases = []goldenCase{
	{name: "ubuntu-20.04-systemd", seeds: seeds("ubuntu-20.04", []string{"usrmerge", "xtables", "alt-legacy"}, "netplan", "ufw")},
	{name: "ubuntu-20.04-netfilter-persistent", seeds: seeds("ubuntu-20.04", []string{"usrmerge", "xtables", "alt-legacy"}, "netplan", "ufw", "nfp", "nfp-enabled")},
	{name: "ubuntu-22.04-systemd", seeds: seeds("ubuntu-22.04", []string{"usrmerge", "xtables", "alt-nft"}, "netplan", "ufw")},
	{name: "ubuntu-22.04-netfilter-persistent", seeds: seeds("ubuntu-22.04", []string{"usrmerge", "xtables", "alt-nft"}, "netplan", "ufw", "nfp")},
	// The how-to's flow: Ubuntu 24.04 has netplan, so no pre-up line.
	{name: "ubuntu-24.04-howto", seeds: seeds("ubuntu-24.04", []string{"usrmerge", "xtables", "alt-nft"}, "netplan", "ufw"), opts: persist.Options{Distro: "ubuntu:24.04"}, inputs: howto},
	{name: "ubuntu-24.04-ifupdown-refused", seeds: seeds("ubuntu-24.04", []string{"usrmerge", "xtables", "alt-nft"}, "netplan", "ufw"), opts: persist.Options{Method: "ifupdown"},
		wantErr: "method ifupdown cannot work on ubuntu-24.04: ifupdown is not installed (no /sbin/ifup); --method systemd works here"},
	// Where ufw is active, the rules become ufw's files (the ufw method).
	{name: "ubuntu-24.04-ufw-active", seeds: seeds("ubuntu-24.04", []string{"usrmerge", "xtables", "alt-nft"}, "netplan", "ufw-active", "ufw-files")},
	{name: "ubuntu-24.04-ufw-active-nftables-refused", seeds: seeds("ubuntu-24.04", []string{"usrmerge", "xtables", "alt-nft"}, "netplan", "ufw-active", "ufw-files"), opts: persist.Options{Method: "nftables"},
		wantErr: "ufw is active (ufw.service enabled, ENABLED=yes in /etc/ufw/ufw.conf) and owns the firewall here; --method nftables would load beside it"},
	// ufw.conf already says ENABLED=yes: unpersist must keep it, not
	// remove it as a file of ruleshift's.
	{name: "ubuntu-24.04-ufw-active-enable", seeds: seeds("ubuntu-24.04", []string{"usrmerge", "xtables", "alt-nft"}, "netplan", "ufw-active", "ufw-files"), opts: persist.Options{Enable: true}},
	{name: "ubuntu-22.04-ufw-enable", seeds: seeds("ubuntu-22.04", []string{"usrmerge", "xtables", "alt-nft"}, "netplan", "ufw", "ufw-files"), opts: persist.Options{Method: "ufw", Enable: true}},
	{name: "debian-12-ufw-missing", seeds: seeds("debian-12", debBase, "ifupdown"), opts: persist.Options{Backend: "ufw"},
		wantErr: "method ufw cannot work on debian-12: ufw is not installed"},
	{name: "ubuntu-24.04-ufw-active-force", seeds: seeds("ubuntu-24.04", []string{"usrmerge", "xtables", "alt-nft"}, "netplan", "ufw-active"), opts: persist.Options{Force: true}},
	{name: "debian-11-ifupdown", seeds: seeds("debian-11", debBase, "ifupdown")},
	{name: "debian-12-ifupdown-howto", seeds: seeds("debian-12", debBase, "ifupdown"), opts: persist.Options{Distro: "debian:12"}, inputs: howto},
	{name: "debian-12-ifupdown-nft-backend", seeds: seeds("debian-12", debBase, "ifupdown"), opts: persist.Options{Method: "ifupdown", Backend: "nftables"}},
	{name: "debian-12-ifupdown-legacy-nolo", seeds: seeds("debian-12", []string{"usrmerge", "xtables", "alt-legacy", "nftables-deb"}, "ifupdown-nolo"), opts: persist.Options{Method: "ifupdown"}},
	{name: "debian-12-netfilter-persistent", seeds: seeds("debian-12", debBase, "ifupdown", "nfp", "nfp-enabled")},
	{name: "debian-12-netfilter-persistent-wrong-variant", seeds: seeds("debian-12", debBase, "nfp", "nfp-enabled"), opts: persist.Options{Method: "netfilter-persistent", Backend: "iptables-legacy"},
		wantErr: "netfilter-persistent loads with iptables-restore, which runs iptables-nft here"},
	{name: "debian-12-nftables", seeds: seeds("debian-12", debBase, "ifupdown"), opts: persist.Options{Backend: "nftables"}},
	{name: "debian-12-systemd-nft", seeds: seeds("debian-12", debBase, "ifupdown"), opts: persist.Options{Method: "systemd", Backend: "nftables"}},
	{name: "debian-12-dangling-alias", seeds: seeds("debian-12", debBase, "dangling-alias"), opts: persist.Options{Method: "netfilter-persistent"},
		wantErr: "netfilter-persistent is not installed; install it with `apt install iptables-persistent`; --method systemd works here"},
	{name: "debian-12-iptables-services-refused", seeds: seeds("debian-12", debBase), opts: persist.Options{Method: "iptables-services"},
		wantErr: "method iptables-services cannot work on debian-12: iptables-services is the RHEL and Fedora loader; --method systemd works here"},
	{name: "debian-13-nftables", seeds: seeds("debian-13", debBase), opts: persist.Options{Backend: "nftables"}},
	{name: "debian-13-systemd-legacy", seeds: seeds("debian-13", debBase), opts: persist.Options{Method: "systemd", Backend: "iptables-legacy"}},
	{name: "debian-sid-systemd", seeds: seeds("debian-sid", debBase)},
	{name: "linuxmint-22-systemd", seeds: seeds("linuxmint-22", []string{"usrmerge", "xtables", "alt-nft"})},
	{name: "unknown-distro", seeds: seeds("unknown", debBase),
		wantErr: `unknown distribution "gentoo" from os-release; give one with --distro: ubuntu:20.04, ubuntu:22.04, ubuntu:24.04, debian:11`},
	{name: "rhel-8-iptables-services", seeds: seeds("rhel-8", rhelBase, "iptables-services"), opts: persist.Options{Backend: "iptables"}},
	{name: "rhel-8-iptables-services-missing", seeds: seeds("rhel-8", rhelBase), opts: persist.Options{Method: "iptables-services"},
		wantErr: "iptables.service is not installed; install it with `dnf install iptables-services`"},
	{name: "rocky-9-firewalld-refused", seeds: seeds("rocky-9", rhelBase, "firewalld"),
		wantErr: "firewalld is enabled and conflicts with the nftables method"},
	{name: "rocky-9-nftables-force", seeds: seeds("rocky-9", rhelBase, "firewalld"), opts: persist.Options{Force: true}},
	{name: "rocky-9-iptables-services-force", seeds: seeds("rocky-9", rhelBase, "firewalld", "iptables-services"), opts: persist.Options{Force: true, Method: "iptables-services"}},
	{name: "almalinux-10-systemd", seeds: seeds("almalinux-10", rhelBase, "firewalld"), opts: persist.Options{Method: "systemd"}},
	{name: "fedora-41-nftables", seeds: seeds("fedora-41", rhelBase)},
}

// unitDir is where the distribution's packages put units, which is what
// the links in its /etc point to.
func unitDir(seeds []string) string {
	for _, s := range seeds {
		switch s {
		case "os-debian-11", "os-debian-12", "os-ubuntu-20.04", "os-ubuntu-22.04":
			return "/lib/systemd/system"
		}
	}
	return "/usr/lib/systemd/system"
}

func seedText(t *testing.T, names []string) string {
	t.Helper()
	var b strings.Builder
	for _, n := range names {
		data, err := os.ReadFile(filepath.Join(testdata, "seeds", n+".tree"))
		if err != nil {
			t.Fatal(err)
		}
		b.Write(data)
	}
	return strings.ReplaceAll(b.String(), "${UNITDIR}", unitDir(names))
}

func loadInputs(t *testing.T, names []string) *ir.Ruleset {
	t.Helper()
	if names == nil {
		names = []string{"egress.v4", "egress.v6"}
	}
	var in []translate.Input
	for _, n := range names {
		p := filepath.Join(testdata, n)
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		in = append(in, translate.Input{Name: p, Data: data, Dir: testdata})
	}
	rs, diags := translate.Load(in, translate.Options{})
	if err := diags.Err(); err != nil {
		t.Fatal(err)
	}
	return rs
}

// run persists into root and returns the output with the root's path
// replaced by ROOT.
func run(t *testing.T, root string, rs *ir.Ruleset, o persist.Options) (string, *persist.Plan, error) {
	t.Helper()
	var out bytes.Buffer
	o.Root, o.Out = root, &out
	_, p, diags, err := persist.Persist(rs, o)
	if diags != nil && diags.HasErrors() {
		t.Fatalf("render: %v", diags.Err())
	}
	return strings.ReplaceAll(out.String(), root, "ROOT"), p, err
}

func TestGolden(t *testing.T) {
	for _, c := range goldenCases {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			seed := seedText(t, c.seeds)
			writeTree(t, root, seed)
			before := dumpTree(t, root)
			rs := loadInputs(t, c.inputs)

			dry := c.opts
			dry.DryRun = true
			dryOut, _, err := run(t, root, rs, dry)
			if got := dumpTree(t, root); got != before {
				t.Fatalf("dry run changed the root")
			}
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("error = %v, want one containing %q", err, c.wantErr)
				}
				checkGolden(t, c.name, "# error: "+err.Error()+"\n")
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(dryOut, "dry run: nothing written") || !strings.Contains(dryOut, "+++ ") {
				t.Errorf("dry run shows no diff:\n%s", dryOut)
			}
			out, plan, err := run(t, root, rs, c.opts)
			if err != nil {
				t.Fatal(err)
			}
			after := dumpTree(t, root)
			checkGolden(t, c.name, comment(out)+after)
			checkForeign(t, root, seed, plan)
			checkUnits(t, root, plan)

			again, _, err := run(t, root, rs, c.opts)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(again, "nothing to change") || dumpTree(t, root) != after {
				t.Errorf("second persist was not a no-op:\n%s", again)
			}
			var uout bytes.Buffer
			if err := persist.Unpersist(persist.Options{Root: root, Out: &uout}); err != nil {
				t.Fatal(err)
			}
			if got := dumpTree(t, root); got != before {
				t.Errorf("unpersist did not restore the seeded root:\n%s", lineDiff(before, got))
			}
		})
	}
}

func comment(s string) string {
	var b strings.Builder
	for _, l := range strings.SplitAfter(s, "\n") {
		if l != "" {
			b.WriteString("# " + l)
		}
	}
	return b.String()
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	testenv.CheckGolden(t, filepath.Join(testdata, "golden", name+".tree"), got, *update, "go test ./persist -update")
}

func lineDiff(a, b string) string {
	return persist.UnifiedDiff("want", "got", []byte(a), []byte(b))
}

// checkForeign checks that every seeded file the plan does not write is
// byte for byte as seeded, and that a file the plan edits differs from the
// seed only by lines holding its marker.
func checkForeign(t *testing.T, root, seed string, p *persist.Plan) {
	t.Helper()
	planned := map[string]persist.File{}
	for _, f := range p.Files {
		planned[strings.TrimPrefix(f.Path, "/")] = f
	}
	seedDir := t.TempDir()
	writeTree(t, seedDir, seed)
	filepath.WalkDir(seedDir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || d.Type()&os.ModeSymlink != 0 {
			return err
		}
		rel := filepath.ToSlash(path[len(seedDir)+1:])
		want, _ := os.ReadFile(path)
		got, err := os.ReadFile(filepath.Join(root, rel))
		if err != nil {
			t.Errorf("%s: seeded file gone: %v", rel, err)
			return nil
		}
		f, ok := planned[rel]
		switch {
		case !ok && !bytes.Equal(got, want):
			t.Errorf("%s: a file ruleshift does not own changed", rel)
		case ok && f.Marker != "":
			var kept []string
			for _, l := range strings.SplitAfter(string(got), "\n") {
				if !strings.Contains(l, f.Marker) {
					kept = append(kept, l)
				}
			}
			stripped := strings.Join(kept, "")
			if stripped != string(want) && stripped != string(want)+"\n" {
				t.Errorf("%s: the user's content changed:\n%s", rel, lineDiff(string(want), stripped))
			}
		}
		return nil
	})
}

// checkUnits runs systemd-analyze verify --root on the units the plan
// writes, so the loaders they name must exist in the root too; it must
// print nothing on stderr.
func checkUnits(t *testing.T, root string, p *persist.Plan) {
	t.Helper()
	for _, f := range p.Files {
		if !strings.HasSuffix(f.Path, ".service") {
			continue
		}
		if _, err := exec.LookPath("systemd-analyze"); err != nil {
			missing(t, "systemd-analyze (apt-get install systemd)")
			return
		}
		verifyUnit(t, root, f.Path)
	}
}

func verifyUnit(t *testing.T, root, unit string) {
	t.Helper()
	cmd := exec.Command("systemd-analyze", "verify", "--man=no", "--root="+root, unit)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil || stderr.Len() > 0 {
		t.Errorf("systemd-analyze verify --root %s: %v\n%s", unit, err, stderr.String())
	}
}

// missing skips outside CI and fails under CI=true.
func missing(t *testing.T, what string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("prerequisite missing under CI: %s", what)
	}
	t.Skipf("skipping: needs %s", what)
}

// TestHowtoScript checks that the how-to's script and the save files the
// other cases use render the same, for every backend.
func TestHowtoScript(t *testing.T) {
	fromScript, fromSave := loadInputs(t, howto), loadInputs(t, nil)
	for _, b := range []string{"nftables", "iptables-nft", "iptables-legacy"} {
		a, _ := persist.Render(fromScript, b)
		c, _ := persist.Render(fromSave, b)
		if !reflect.DeepEqual(a, c) || len(a) == 0 {
			t.Errorf("%s: egress.sh and egress.v4/v6 render differently", b)
		}
	}
}
