package persist_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/internal/bootroot"
	"github.com/ruleshift/ruleshift/internal/testenv"
)

// TestPackages builds the .deb and .rpm with packaging/build.sh, checks
// the .rpm's file list with rpm -qlp, installs the .deb into a Debian 12
// root (the boot tests' debootstrap root) with dpkg in a chroot, and runs
// what a user would: ruleshift --version, the man page (present, and
// rendered by man -l), and a completion query; nothing may be enabled or
// started by the install, and dpkg -r takes it all away again. It runs
// with the boot tests (RULESHIFT_BOOT_TESTS=1 or CI=true): the build
// fetches nfpm through the Go module proxy.
func TestPackages(t *testing.T) {
	requireBoot(t)
	for _, b := range []string{"rpm", "man", "bash", "git"} {
		if _, err := exec.LookPath(b); err != nil {
			testenv.Missing(t, "%s on PATH (apt-get install rpm man-db bash git)", b)
		}
	}
	out := t.TempDir()
	build := exec.Command("./packaging/build.sh")
	build.Dir = ".."
	build.Env = append(os.Environ(), "OUT="+out)
	if o, err := build.CombinedOutput(); err != nil {
		t.Fatalf("packaging/build.sh: %v\n%s", err, o)
	}
	debs, _ := filepath.Glob(filepath.Join(out, "*.deb"))
	rpms, _ := filepath.Glob(filepath.Join(out, "*.rpm"))
	if len(debs) != 1 || len(rpms) != 1 {
		t.Fatalf("built %v and %v", debs, rpms)
	}
	paths := []string{
		"/usr/bin/ruleshift",
		"/usr/share/man/man1/ruleshift.1.gz",
		"/usr/share/man/man1/ruleshift-translate.1.gz",
		"/usr/share/bash-completion/completions/ruleshift",
		"/usr/share/zsh/vendor-completions/_ruleshift",
		"/usr/share/fish/vendor_completions.d/ruleshift.fish",
		"/usr/share/doc/ruleshift/README.md",
	}
	list, err := exec.Command("rpm", "-qlp", rpms[0]).CombinedOutput()
	if err != nil {
		t.Fatalf("rpm -qlp: %v\n%s", err, list)
	}
	for _, p := range append(paths, "/usr/share/doc/ruleshift/LICENSE") {
		if !strings.Contains(string(list)+"\n", p+"\n") {
			t.Errorf("the rpm lacks %s:\n%s", p, list)
		}
	}
	if scripts, _ := exec.Command("rpm", "-qp", "--scripts", rpms[0]).CombinedOutput(); strings.TrimSpace(string(scripts)) != "" {
		t.Errorf("the rpm has scripts:\n%s", scripts)
	}

	root := filepath.Join(t.TempDir(), "root")
	unpack(t, rootfsTarball(t, "bookworm", false), root)
	before := dumpTree(t, filepath.Join(root, "etc"))
	deb := filepath.Join(root, "tmp", filepath.Base(debs[0]))
	data, err := os.ReadFile(debs[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(deb, data, 0o644); err != nil {
		t.Fatal(err)
	}
	bootroot.Sh(t, "chroot", root, "dpkg", "-i", "/tmp/"+filepath.Base(deb))
	for _, p := range paths {
		if _, err := os.Stat(filepath.Join(root, p)); err != nil {
			t.Errorf("installed package lacks %s: %v", p, err)
		}
	}
	if after := dumpTree(t, filepath.Join(root, "etc")); after != before {
		t.Errorf("installing the package changed /etc (a service enabled?):\nbefore:\n%s\nafter:\n%s", before, after)
	}
	v, err := exec.Command("chroot", root, "ruleshift", "--version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(v), "ruleshift 0.") || !strings.Contains(string(v), "commit ") || !strings.Contains(string(v), "go1.") {
		t.Errorf("ruleshift --version: %v\n%s", err, v)
	}
	page, err := exec.Command("man", "-l", filepath.Join(root, "/usr/share/man/man1/ruleshift-translate.1.gz")).CombinedOutput()
	if err != nil || !strings.Contains(string(page), "--to") {
		t.Errorf("man -l ruleshift-translate.1.gz: %v\n%s", err, page)
	}
	query := `source /usr/share/bash-completion/completions/ruleshift
COMP_WORDS=(ruleshift translate --to ""); COMP_CWORD=3; _ruleshift; echo "${COMPREPLY[*]}"
COMP_WORDS=(ruleshift per); COMP_CWORD=1; _ruleshift; echo "${COMPREPLY[*]}"`
	got, err := exec.Command("chroot", root, "bash", "-c", query).CombinedOutput()
	if err != nil || !strings.Contains(string(got), "nftables") || !strings.Contains(string(got), "persist") {
		t.Errorf("completion: %v\n%s", err, got)
	}
	bootroot.Sh(t, "chroot", root, "dpkg", "-r", "ruleshift")
	for _, p := range paths {
		if _, err := os.Stat(filepath.Join(root, p)); err == nil {
			t.Errorf("dpkg -r left %s", p)
		}
	}
}
