package distros

import (
	"errors"
	"fmt"
	"io/fs"
	"path"
	"strings"
)

// maxLinks bounds symlink resolution, as the kernel's 40.
const maxLinks = 40

// Resolve follows symlinks in name inside root: an absolute link target
// means the root's "/", never the host's. os.DirFS alone would follow
// /lib/systemd/system/x to the host's file. It returns the resolved path,
// relative to the root, and fs.ErrNotExist when some part is missing.
func Resolve(root fs.FS, name string) (string, error) {
	rest := splitPath(name)
	var cur []string
	links := 0
	for len(rest) > 0 {
		c := rest[0]
		rest = rest[1:]
		if c == ".." {
			if len(cur) > 0 {
				cur = cur[:len(cur)-1]
			}
			continue
		}
		next := strings.Join(append(cur[:len(cur):len(cur)], c), "/")
		fi, err := fs.Lstat(root, next)
		if err != nil {
			return next, err
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			cur = append(cur, c)
			continue
		}
		if links++; links > maxLinks {
			return next, fmt.Errorf("%s: too many levels of symbolic links", name)
		}
		target, err := fs.ReadLink(root, next)
		if err != nil {
			return next, err
		}
		if strings.HasPrefix(target, "/") {
			cur = nil
		}
		rest = append(splitPath(target), rest...)
	}
	if len(cur) == 0 {
		return ".", nil
	}
	return strings.Join(cur, "/"), nil
}

func splitPath(p string) []string {
	var out []string
	for _, c := range strings.Split(p, "/") {
		if c != "" && c != "." {
			out = append(out, c)
		}
	}
	return out
}

// ReadFile reads a file inside root, following links inside root.
func ReadFile(root fs.FS, name string) ([]byte, error) {
	p, err := Resolve(root, name)
	if err != nil {
		return nil, err
	}
	return fs.ReadFile(root, p)
}

// Stat stats a file inside root, following links inside root.
func Stat(root fs.FS, name string) (fs.FileInfo, error) {
	p, err := Resolve(root, name)
	if err != nil {
		return nil, err
	}
	return fs.Stat(root, p)
}

// Exists reports whether name exists inside root after following links, so
// a dangling link does not count.
func Exists(root fs.FS, name string) bool {
	_, err := Stat(root, name)
	return err == nil
}

// Readlink returns the target of a symlink, "" when name is not a symlink
// or is missing.
func Readlink(root fs.FS, name string) string {
	fi, err := fs.Lstat(root, name)
	if err != nil || fi.Mode()&fs.ModeSymlink == 0 {
		return ""
	}
	t, err := fs.ReadLink(root, name)
	if err != nil {
		return ""
	}
	return t
}

// IsNotExist reports whether err means a missing file.
func IsNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }

// binDirs are searched in this order for a binary; /usr/sbin first because
// it is the path the distributions' own units use.
var binDirs = []string{"usr/sbin", "sbin", "usr/bin", "bin"}

// FindBinary returns the absolute path (as seen inside root) of an
// executable named name, or "". With merged /usr, /sbin/x and /usr/sbin/x
// are the same file; the first directory that has it wins.
func FindBinary(root fs.FS, name string) string {
	for _, d := range binDirs {
		fi, err := Stat(root, path.Join(d, name))
		if err == nil && fi.Mode().IsRegular() {
			return "/" + path.Join(d, name)
		}
	}
	return ""
}
