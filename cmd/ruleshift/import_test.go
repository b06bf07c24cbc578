package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/ruleshift/ruleshift/internal/testenv"
	"github.com/ruleshift/ruleshift/machine"
)

// fakeKernel answers the listing tools from a case's kernel/<tool>
// sections: a tool without a section lists nothing.
func fakeKernel(a *txtar.Archive) func(string) machine.Runner {
	out := map[string][]byte{}
	for _, f := range a.Files {
		if tool, ok := strings.CutPrefix(f.Name, "kernel/"); ok {
			out[tool] = f.Data
		}
	}
	return func(string) machine.Runner {
		return func(_ context.Context, name string, _ ...string) ([]byte, []byte, error) {
			if d, ok := out[name]; ok {
				return d, nil, nil
			}
			if name == "nft" {
				return []byte(`{"nftables": [{"metainfo": {"version": "1.0.6", "json_schema_version": 1}}]}`), nil, nil
			}
			return nil, nil, nil
		}
	}
}

// runMachineCase runs one testdata/import or testdata/drift case: the
// in/ files make the root ($ROOT), the src/ files are under $DIR/src, the
// symlinks section holds "path -> target" lines under the root, and the
// kernel is the case's kernel/ sections. The needs section names what a
// case needs of this machine ("root nft": an nftables file is loaded in a
// scratch namespace).
func runMachineCase(t *testing.T, dir string, a *txtar.Archive) map[string]string {
	var args []string
	for _, f := range a.Files {
		switch {
		case f.Name == "args":
			args = strings.Fields(string(f.Data))
		case f.Name == "needs":
			if strings.Contains(string(f.Data), "root") {
				testenv.RequireRoot(t)
			}
			if strings.Contains(string(f.Data), "nft") {
				testenv.RequireBinary(t, "nft", "unshare")
			}
		case strings.HasPrefix(f.Name, "in/") || strings.HasPrefix(f.Name, "src/"):
			p := filepath.Join(dir, f.Name)
			os.MkdirAll(filepath.Dir(p), 0o755)
			if err := os.WriteFile(p, f.Data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	root := filepath.Join(dir, "in")
	os.MkdirAll(root, 0o755)
	for _, f := range a.Files {
		if f.Name != "symlinks" {
			continue
		}
		for _, l := range strings.Split(strings.TrimSpace(string(f.Data)), "\n") {
			from, to, ok := strings.Cut(l, " -> ")
			if !ok {
				t.Fatalf("symlinks: %q is not path -> target", l)
			}
			p := filepath.Join(root, from)
			os.MkdirAll(filepath.Dir(p), 0o755)
			if err := os.Symlink(to, p); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i, a := range args {
		args[i] = strings.NewReplacer("$ROOT", root, "$DIR", dir).Replace(a)
	}
	saved := liveRunner
	liveRunner = fakeKernel(a)
	defer func() { liveRunner = saved }()
	var stdout, stderr bytes.Buffer
	code := run(args, &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr})
	clean := func(s string) string { return strings.ReplaceAll(s, dir+"/", "") }
	out := map[string]string{
		"stdout": clean(stdout.String()),
		"stderr": fmt.Sprintf("exit %d\n%s", code, clean(stderr.String())),
	}
	// Files written under $DIR/out/ are sections too.
	filepath.Walk(filepath.Join(dir, "out"), func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			data, _ := os.ReadFile(p)
			rel, _ := filepath.Rel(dir, p)
			out[rel] = string(data)
		}
		return nil
	})
	return out
}

// keepMachineInputs makes compareGolden keep a case's inputs: it keeps
// args, setup and in/ sections, so the kernel/, src/, symlinks and needs
// sections are written back by their contents as got sections.
func keepMachineInputs(a *txtar.Archive, got map[string]string) {
	for _, f := range a.Files {
		if strings.HasPrefix(f.Name, "kernel/") || strings.HasPrefix(f.Name, "src/") || f.Name == "symlinks" || f.Name == "needs" {
			got[f.Name] = string(f.Data)
		}
	}
}

func runMachineGolden(t *testing.T, pattern string) {
	eachCase(t, pattern, func(t *testing.T, file string, a *txtar.Archive) {
		got := runMachineCase(t, t.TempDir(), a)
		keepMachineInputs(a, got)
		compareGolden(t, file, a, got)
	})
}

// TestImportGolden runs testdata/import/*.txtar: import of small fake
// roots (--from root) and of canned kernel listings (--from live).
func TestImportGolden(t *testing.T) { runMachineGolden(t, "../../testdata/import/*.txtar") }

// TestDriftGolden runs testdata/drift/*.txtar: one case per kind of
// difference (added, removed, moved, policy, chains only on one side) and
// the exit codes.
func TestDriftGolden(t *testing.T) { runMachineGolden(t, "../../testdata/drift/*.txtar") }

// TestImportUFWRoot imports a root holding this machine's stock ufw
// files with ufw enabled: ufw's configuration is read by the ufw
// frontend and named as loaded by ufw.service.
func TestImportUFWRoot(t *testing.T) {
	if _, err := os.Stat("/etc/ufw/user.rules"); err != nil {
		testenv.Missing(t, "ufw's files are not installed in /etc/ufw (apt-get install ufw)")
	}
	root := t.TempDir()
	for _, d := range []string{"etc/default", "lib/systemd/system", "etc/systemd/system/multi-user.target.wants"} {
		os.MkdirAll(filepath.Join(root, d), 0o755)
	}
	if out, err := exec.Command("cp", "-r", "/etc/ufw", filepath.Join(root, "etc")).CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	copyFile := func(from, to string) {
		data, err := os.ReadFile(from)
		if err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(root, to), data, 0o644)
	}
	copyFile("/etc/default/ufw", "etc/default/ufw")
	conf, _ := os.ReadFile(filepath.Join(root, "etc/ufw/ufw.conf"))
	conf = regexp.MustCompile(`(?m)^ENABLED=.*$`).ReplaceAll(conf, []byte("ENABLED=yes"))
	os.WriteFile(filepath.Join(root, "etc/ufw/ufw.conf"), conf, 0o644)
	os.WriteFile(filepath.Join(root, "lib/systemd/system/ufw.service"), []byte("[Install]\nWantedBy=multi-user.target\n"), 0o644)
	os.WriteFile(filepath.Join(root, "etc/systemd/system/multi-user.target.wants/ufw.service"), nil, 0o644)
	var stdout, stderr bytes.Buffer
	code := run([]string{"import", "--from", "root", "--root", root, "-o", t.TempDir() + "/"}, &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr})
	if code != 0 || !strings.Contains(stderr.String(), "import: ipv4 filter: ufw, ") || !strings.Contains(stderr.String(), "loaded at boot by ufw.service") {
		t.Errorf("exit %d\n%s", code, stderr.String())
	}
}
