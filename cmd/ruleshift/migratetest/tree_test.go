package migratetest

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// A tree is a directory written as text, for seeds and golden files:
//
//	-- etc/os-release 0644 --
//	contents...
//	-- etc/alternatives/iptables -> /usr/sbin/iptables-nft --
//	-- var/lib/ruleshift/ 0700 --
//
// Directories appear only when empty or not 0755. A file whose contents do
// not end in a newline has "noeol" after its mode.

// dumpTree writes dir as tree text.
func dumpTree(t *testing.T, dir string) string {
	t.Helper()
	var entries []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel := filepath.ToSlash(p[len(dir)+1:])
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			target, err := os.Readlink(p)
			if err != nil {
				return err
			}
			entries = append(entries, fmt.Sprintf("-- %s -> %s --\n", rel, target))
		case fi.IsDir():
			ents, _ := os.ReadDir(p)
			if len(ents) == 0 || fi.Mode().Perm() != 0o755 {
				entries = append(entries, fmt.Sprintf("-- %s/ %04o --\n", rel, fi.Mode().Perm()))
			}
		default:
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			eol := ""
			if len(data) > 0 && data[len(data)-1] != '\n' {
				eol, data = " noeol", append(data, '\n')
			}
			entries = append(entries, fmt.Sprintf("-- %s %04o%s --\n%s", rel, fi.Mode().Perm(), eol, data))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(entries)
	return strings.Join(entries, "")
}

// writeTree materialises tree text under dir.
func writeTree(t *testing.T, dir, text string) {
	t.Helper()
	type entry struct {
		header string
		body   []string
	}
	var list []*entry
	for _, line := range strings.SplitAfter(text, "\n") {
		if strings.HasPrefix(line, "-- ") && strings.HasSuffix(line, " --\n") {
			list = append(list, &entry{header: line[3 : len(line)-4]})
			continue
		}
		if len(list) == 0 {
			continue // a comment before the first entry
		}
		list[len(list)-1].body = append(list[len(list)-1].body, line)
	}
	for _, e := range list {
		if name, target, ok := strings.Cut(e.header, " -> "); ok {
			mkParent(t, dir, name)
			if err := os.Symlink(target, filepath.Join(dir, name)); err != nil {
				t.Fatal(err)
			}
			continue
		}
		w := strings.Fields(e.header)
		mode, err := strconv.ParseUint(w[1], 8, 32)
		if err != nil || len(w) < 2 {
			t.Fatalf("bad tree header %q", e.header)
		}
		p := filepath.Join(dir, w[0])
		if strings.HasSuffix(w[0], "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			os.Chmod(p, fs.FileMode(mode))
			continue
		}
		data := strings.Join(e.body, "")
		if len(w) > 2 && w[2] == "noeol" {
			data = strings.TrimSuffix(data, "\n")
		}
		mkParent(t, dir, w[0])
		if err := os.WriteFile(p, []byte(data), fs.FileMode(mode)); err != nil {
			t.Fatal(err)
		}
		os.Chmod(p, fs.FileMode(mode))
	}
}

func mkParent(t *testing.T, dir, name string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
		t.Fatal(err)
	}
}
