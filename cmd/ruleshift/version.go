package main

import (
	"fmt"
	"regexp"
	"runtime"
	"runtime/debug"
	"strings"
)

// version is set by the package build (-ldflags "-X main.version=…");
// commit too, when the build has no VCS stamp (a source tarball).
var (
	version = "dev"
	commit  = ""
)

// pseudo matches the timestamp and commit of a Go pseudo-version.
var pseudo = regexp.MustCompile(`\d{14}-[0-9a-f]{12}$`)

// versionText is what --version prints: the version, the commit the binary
// was built from (from -X main.commit or Go's VCS stamp; "+dirty" for a
// tree with uncommitted changes) and the Go version.
func versionText() string {
	c, dirty := commit, false
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch {
			case s.Key == "vcs.revision" && c == "":
				c = s.Value
			case s.Key == "vcs.modified":
				dirty = s.Value == "true"
			}
		}
		// go install MODULE@vX.Y.Z stamps the release; a build in a
		// checkout stamps a pseudo-version, which the commit says better.
		if v := bi.Main.Version; version == "dev" && v != "" && v != "(devel)" && !strings.Contains(v, "+") && !pseudo.MatchString(v) {
			version = v
		}
	}
	if len(c) > 12 {
		c = c[:12]
	}
	if c == "" {
		c = "unknown"
	}
	if dirty {
		c += "+dirty"
	}
	return fmt.Sprintf("ruleshift %s (commit %s, %s %s/%s)", version, c, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
