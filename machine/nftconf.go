package machine

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// maxIncludeDepth bounds nested includes (nft itself stops at 16).
const maxIncludeDepth = 16

// inlineIncludes returns the nftables file at p (absolute inside root)
// with every include statement replaced by the files it names, read under
// root, so that nft can load it in a scratch namespace without reading
// the host's /etc. A relative name is looked up beside the including
// file, then in /etc (nft 1.0.6's default include directory); a name with
// wildcards takes every match in name order, and no match is not an
// error, as in nft.
func inlineIncludes(root, p string, depth int, files *[]string) (string, error) {
	if depth > maxIncludeDepth {
		return "", fmt.Errorf("%s: includes nested more than %d deep", p, maxIncludeDepth)
	}
	data, err := os.ReadFile(filepath.Join(root, p))
	if err != nil {
		return "", err
	}
	*files = append(*files, p)
	var b strings.Builder
	for n, line := range strings.SplitAfter(string(data), "\n") {
		name, ok := includeName(line)
		if !ok {
			b.WriteString(line)
			continue
		}
		paths, err := includePaths(root, path.Dir(p), name)
		if err != nil {
			return "", fmt.Errorf("%s:%d: include %q: %v", p, n+1, name, err)
		}
		for _, q := range paths {
			text, err := inlineIncludes(root, q, depth+1, files)
			if err != nil {
				return "", err
			}
			b.WriteString(text)
			if !strings.HasSuffix(text, "\n") {
				b.WriteByte('\n')
			}
		}
	}
	return b.String(), nil
}

// includeName returns the file name of an include statement line.
func includeName(line string) (string, bool) {
	s := strings.TrimSpace(line)
	rest, ok := strings.CutPrefix(s, "include")
	if !ok || rest == "" || (rest[0] != ' ' && rest[0] != '\t') {
		return "", false
	}
	rest = strings.TrimSpace(rest)
	if i := strings.Index(rest, "#"); i > 0 && !strings.HasPrefix(rest, "\"") {
		rest = strings.TrimSpace(rest[:i])
	}
	if strings.HasPrefix(rest, "\"") {
		if q, err := strconv.QuotedPrefix(rest); err == nil {
			if u, err := strconv.Unquote(q); err == nil {
				return u, true
			}
		}
		if end := strings.IndexByte(rest[1:], '"'); end >= 0 {
			return rest[1 : end+1], true
		}
	}
	return rest, rest != ""
}

// includePaths resolves an include name to the files it loads, absolute
// inside the root.
func includePaths(root, dir, name string) ([]string, error) {
	cands := []string{name}
	if !path.IsAbs(name) {
		cands = []string{path.Join(dir, name), path.Join("/etc", name)}
	}
	glob := strings.ContainsAny(name, "*?[")
	for _, c := range cands {
		if !glob {
			if st, err := os.Stat(filepath.Join(root, c)); err == nil && !st.IsDir() {
				return []string{c}, nil
			}
			continue
		}
		m, err := filepath.Glob(filepath.Join(root, c))
		if err != nil {
			return nil, err
		}
		var out []string
		for _, f := range m {
			if st, err := os.Stat(f); err == nil && !st.IsDir() {
				rel, _ := filepath.Rel(root, f)
				out = append(out, "/"+filepath.ToSlash(rel))
			}
		}
		sort.Strings(out)
		if len(out) > 0 || path.IsAbs(name) {
			return out, nil
		}
	}
	if glob {
		return nil, nil
	}
	return nil, fmt.Errorf("no such file under the root")
}
