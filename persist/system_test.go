package persist_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/persist"
)

// TestLiveUsesSystemctl checks that on a live system services change
// through systemctl, and that unpersist reverses exactly those changes.
func TestLiveUsesSystemctl(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, seedText(t, seeds("debian-12", debBase)))
	var calls []string
	s := &persist.System{Root: root, Live: true, Out: &bytes.Buffer{}, Systemctl: func(args ...string) error {
		calls = append(calls, strings.Join(args, " "))
		return nil
	}}
	p := &persist.Plan{Method: "nftables", Backend: "nftables",
		Files:    []persist.File{{Path: "/etc/ruleshift/ruleset.nft", Data: []byte("table ip ruleshift_filter\n"), Mode: 0o600}},
		Services: []persist.Service{{Unit: "nftables.service", Action: persist.Enable}},
	}
	if _, err := s.Apply(p, false); err != nil {
		t.Fatal(err)
	}
	if want := []string{"daemon-reload", "enable nftables.service"}; !reflect.DeepEqual(calls, want) {
		t.Errorf("persist ran systemctl %q, want %q", calls, want)
	}
	if _, err := os.Lstat(filepath.Join(root, "etc/systemd/system/sysinit.target.wants/nftables.service")); err == nil {
		t.Errorf("a live persist made the link itself instead of systemctl")
	}
	calls = nil
	if err := s.Undo(false); err != nil {
		t.Fatal(err)
	}
	if want := []string{"disable nftables.service", "daemon-reload"}; !reflect.DeepEqual(calls, want) {
		t.Errorf("unpersist ran systemctl %q, want %q", calls, want)
	}
}

// TestUnwritable checks that a write that fails names the file, leaves no
// half-written file, and can be undone.
func TestUnwritable(t *testing.T) {
	root := t.TempDir()
	seed := seedText(t, seeds("debian-12", debBase, "ifupdown"))
	writeTree(t, root, seed)
	// A file where ruleshift needs its directory fails like a read-only
	// or full file system would, even for root.
	if err := os.WriteFile(filepath.Join(root, "etc/ruleshift"), []byte("in the way\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	before := dumpTree(t, root)
	_, _, err := run(t, root, loadInputs(t, nil), persist.Options{Method: "systemd"})
	if err == nil || !strings.Contains(err.Error(), filepath.Join(root, "etc/ruleshift")) {
		t.Fatalf("error %v does not name etc/ruleshift", err)
	}
	filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if strings.Contains(filepath.Base(p), ".tmp-") {
			t.Errorf("temporary file left behind: %s", p)
		}
		return nil
	})
	if err := persist.Unpersist(persist.Options{Root: root, Out: &bytes.Buffer{}}); err != nil {
		t.Fatal(err)
	}
	if got := dumpTree(t, root); got != before {
		t.Errorf("unpersist after a failed persist left:\n%s", lineDiff(before, got))
	}
}

// TestLinksMatchSystemctl checks that the links persist makes offline are
// the ones `systemctl --root DIR enable` makes.
func TestLinksMatchSystemctl(t *testing.T) {
	if _, err := exec.LookPath("systemctl"); err != nil {
		missing(t, "systemctl (apt-get install systemd)")
	}
	for _, c := range goldenCases {
		if c.wantErr != "" || c.opts.Force {
			continue
		}
		t.Run(c.name, func(t *testing.T) {
			ours, theirs := t.TempDir(), t.TempDir()
			seed := seedText(t, c.seeds)
			writeTree(t, ours, seed)
			writeTree(t, theirs, seed)
			_, p, err := run(t, ours, loadInputs(t, c.inputs), c.opts)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range p.Files {
				dst := filepath.Join(theirs, f.Path)
				os.MkdirAll(filepath.Dir(dst), 0o755)
				if err := os.WriteFile(dst, f.Data, f.Mode); err != nil {
					t.Fatal(err)
				}
			}
			for _, svc := range p.Services {
				out, err := exec.Command("systemctl", "--root="+theirs, string(svc.Action), svc.Unit).CombinedOutput()
				if err != nil {
					t.Fatalf("systemctl --root %s %s: %v\n%s", svc.Action, svc.Unit, err, out)
				}
			}
			// Debian 12's systemctl, built for split /usr, names
			// /lib/systemd/system whenever that reaches the unit; each
			// distribution's own systemctl picks its own prefix. On
			// merged-/usr roots both reach the same file.
			norm := strings.NewReplacer(" /lib/systemd/system/", " /usr/lib/systemd/system/")
			a := norm.Replace(dumpTree(t, filepath.Join(ours, "etc/systemd")))
			b := norm.Replace(dumpTree(t, filepath.Join(theirs, "etc/systemd")))
			if a != b {
				t.Errorf("links differ from systemctl --root:\n%s", persist.UnifiedDiff("systemctl", "ruleshift", []byte(b), []byte(a)))
			}
		})
	}
}
