// Package distros tells which Linux distribution a root directory holds and
// what it offers for firewall persistence. It sits between the CLI and
// persist/: it reads etc/os-release and the unit files, links and binaries
// under a root (an fs.FS, so tests and --root work offline), matches a
// profile from an embedded table, and decides the persistence method and
// backend with a reason for each choice. It also decides apply's backend
// (apply.go), from the same profiles and what the kernel already holds.
package distros

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"strings"
)

// OSRelease holds the os-release(5) keys ruleshift uses.
type OSRelease struct {
	ID         string
	IDLike     []string
	VersionID  string // "" when missing (Debian testing, Arch)
	PrettyName string
	// Path is where it was read from, relative to the root.
	Path string
}

// String names the distribution the way --distro spells it.
func (o OSRelease) String() string {
	if o.VersionID == "" {
		return o.ID
	}
	return o.ID + ":" + o.VersionID
}

// ErrNoOSRelease means neither etc/os-release nor usr/lib/os-release exists.
var ErrNoOSRelease = errors.New("no etc/os-release or usr/lib/os-release")

// ReadOSRelease reads etc/os-release, falling back to usr/lib/os-release as
// os-release(5) says. etc/os-release is usually a relative symlink into
// usr/lib, so links are resolved inside the root.
func ReadOSRelease(root fs.FS) (OSRelease, error) {
	for _, p := range []string{"etc/os-release", "usr/lib/os-release"} {
		data, err := ReadFile(root, p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return OSRelease{}, err
		}
		o, err := ParseOSRelease(data)
		if err != nil {
			return OSRelease{}, fmt.Errorf("%s:%w", p, err)
		}
		o.Path = p
		return o, nil
	}
	return OSRelease{}, ErrNoOSRelease
}

// ParseOSRelease parses os-release text: KEY=value lines, values bare or in
// single or double quotes with backslash escapes, # comments.
func ParseOSRelease(data []byte) (OSRelease, error) {
	var o OSRelease
	sc := bufio.NewScanner(bytes.NewReader(data))
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		key, raw, ok := strings.Cut(line, "=")
		if !ok {
			return o, fmt.Errorf("%d: expected KEY=value, found %q", n, line)
		}
		val, err := unquote(raw)
		if err != nil {
			return o, fmt.Errorf("%d: %s: %v", n, key, err)
		}
		switch key {
		case "ID":
			o.ID = strings.ToLower(val)
		case "ID_LIKE":
			o.IDLike = strings.Fields(strings.ToLower(val))
		case "VERSION_ID":
			o.VersionID = val
		case "PRETTY_NAME":
			o.PrettyName = val
		}
	}
	if o.ID == "" {
		// os-release(5): "If not set, a default of ID=linux may be used."
		o.ID = "linux"
	}
	return o, sc.Err()
}

func unquote(s string) (string, error) {
	if s == "" || (s[0] != '"' && s[0] != '\'') {
		return s, nil
	}
	q := s[0]
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case c == q:
			if rest := strings.TrimSpace(s[i+1:]); rest != "" && rest[0] != '#' {
				return "", fmt.Errorf("text after closing quote: %q", rest)
			}
			return b.String(), nil
		case c == '\\' && q == '"' && i+1 < len(s):
			i++
			b.WriteByte(s[i])
		default:
			b.WriteByte(c)
		}
	}
	return "", fmt.Errorf("missing closing %c", q)
}
