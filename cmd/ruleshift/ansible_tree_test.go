package main

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

// A fake Debian 12 root from the persist golden tests' seed fragments
// (testdata/persist/seeds, whose README describes the tree format), for
// the module's tests: persist and unpersist work on it with root.

const seedDir = "../../testdata/persist/seeds"

var debian12Seeds = []string{"os-debian-12", "usrmerge", "xtables", "alt-nft", "nftables-deb", "ifupdown"}

// seedRoot writes the fragments under dir.
func seedRoot(t *testing.T, dir string, names ...string) {
	t.Helper()
	var text strings.Builder
	for _, n := range names {
		data, err := os.ReadFile(filepath.Join(seedDir, n+".tree"))
		if err != nil {
			t.Fatal(err)
		}
		text.Write(data)
	}
	// Debian 12's packages put their units in /lib/systemd/system.
	s := strings.ReplaceAll(text.String(), "${UNITDIR}", "/lib/systemd/system")
	var header string
	var body strings.Builder
	flush := func() {
		if header != "" {
			writeEntry(t, dir, header, body.String())
		}
		body.Reset()
	}
	for _, line := range strings.SplitAfter(s, "\n") {
		if strings.HasPrefix(line, "-- ") && strings.HasSuffix(line, " --\n") {
			flush()
			header = line[3 : len(line)-4]
			continue
		}
		body.WriteString(line)
	}
	flush()
}

func writeEntry(t *testing.T, dir, header, body string) {
	t.Helper()
	if name, target, ok := strings.Cut(header, " -> "); ok {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(target, p); err != nil {
			t.Fatal(err)
		}
		return
	}
	w := strings.Fields(header)
	if len(w) < 2 {
		t.Fatalf("bad tree header %q", header)
	}
	mode, err := strconv.ParseUint(w[1], 8, 32)
	if err != nil {
		t.Fatalf("bad tree header %q", header)
	}
	p := filepath.Join(dir, w[0])
	if strings.HasSuffix(w[0], "/") {
		if err := os.MkdirAll(p, fs.FileMode(mode)); err != nil {
			t.Fatal(err)
		}
		return
	}
	if len(w) > 2 && w[2] == "noeol" {
		body = strings.TrimSuffix(body, "\n")
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(body), fs.FileMode(mode)); err != nil {
		t.Fatal(err)
	}
	os.Chmod(p, fs.FileMode(mode))
}

// treeOf lists every entry under dir with its mode and contents or link
// target, to compare a root before and after.
func treeOf(t *testing.T, dir string) string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		fi, err := os.Lstat(p)
		if err != nil {
			return err
		}
		rel := p[len(dir)+1:]
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			target, _ := os.Readlink(p)
			out = append(out, fmt.Sprintf("%s -> %s", rel, target))
		case fi.IsDir():
			out = append(out, fmt.Sprintf("%s/ %04o", rel, fi.Mode().Perm()))
		default:
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			out = append(out, fmt.Sprintf("%s %04o %q", rel, fi.Mode().Perm(), data))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}
