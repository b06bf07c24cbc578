package ufw

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/backends"
	"github.com/ruleshift/ruleshift/internal/ufwenv"
)

// system is where ufw's files live and where its commands run. The
// ApplyOptions decide it:
//
//   - no NetNS, Root "" or "/": the machine itself;
//   - no NetNS, another Root: files only (an installed tree, a chroot);
//     no command runs, as one would act on this machine's ufw;
//   - a NetNS and another Root: the files under Root, and each command
//     run in the namespace with Root's etc/ufw and etc/default/ufw
//     mounted over /etc/ufw and /etc/default/ufw in a private mount
//     namespace (the recipe of internal/ufwenv): how the kernel tests
//     drive apply without touching the host;
//   - a NetNS and Root "" or "/": scratch, handled apart (scratch.go):
//     private copies of the host's files, loaded by ufw-init start.
type system struct {
	root  string
	netns string
}

func newSystem(o backends.ApplyOptions) system {
	root := o.Root
	if root == "" {
		root = "/"
	}
	return system{root: root, netns: o.NetNS}
}

// scratch reports whether the options ask for a load into a throwaway
// namespace on private copies (verify, apply --dry-run).
func scratch(o backends.ApplyOptions) bool {
	return o.NetNS != "" && (o.Root == "" || filepath.Clean(o.Root) == "/")
}

func (s system) machine() bool { return s.netns == "" && filepath.Clean(s.root) == "/" }

// errTestOnHost is returned when a test binary would change this
// machine's ufw: tests give a Root and a NetNS of their own. One test that
// passed no options once rewrote a development machine's /etc/ufw.
var errTestOnHost = errors.New("ufw: refusing to change this machine's /etc/ufw from a test binary (give ApplyOptions.Root and NetNS)")

// guard refuses work on this machine's ufw from a test binary.
func (s system) guard() error {
	if s.machine() && testing.Testing() {
		return errTestOnHost
	}
	return nil
}

// offline reports whether no command may run: the files are not the ones
// the ufw of this namespace reads.
func (s system) offline() bool { return s.netns == "" && !s.machine() }

// path is a file of the root, by its absolute path on the system.
func (s system) path(p string) string { return filepath.Join(s.root, filepath.FromSlash(p)) }

// where names the root in messages: "" for the machine.
func (s system) where() string {
	if s.machine() {
		return ""
	}
	return " under " + s.root
}

// run runs a command of the system and returns its output; a failure
// carries the output.
func (s system) run(ctx context.Context, args ...string) (string, error) {
	if s.offline() {
		return "", fmt.Errorf("internal error: %s run offline", args[0])
	}
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	if s.netns != "" {
		// $1 is the root; the command follows it.
		script := `mount --bind "$1/etc/ufw" /etc/ufw && mount --bind "$1/etc/default/ufw" /etc/default/ufw && mount -t tmpfs ruleshift-ufw /run || exit 90
shift
exec "$@"`
		cmd = exec.CommandContext(ctx, "nsenter", append([]string{"--net=" + nsPath(s.netns), "unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", s.root}, args...)...)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	text := strings.TrimSpace(out.String())
	if err != nil {
		if text != "" {
			return text, fmt.Errorf("%s: %v: %s", strings.Join(args, " "), err, text)
		}
		return text, fmt.Errorf("%s: %v", strings.Join(args, " "), err)
	}
	return text, nil
}

func nsPath(netns string) string {
	if strings.Contains(netns, "/") {
		return netns
	}
	return "/run/netns/" + netns
}

// installed says why ufw cannot be used here, or "".
func (s system) installed() string {
	if _, err := os.Stat(s.path(etcDir)); err != nil {
		return fmt.Sprintf("ufw is not installed: %s is missing (apt-get install ufw)", s.path(etcDir))
	}
	if s.offline() {
		return ""
	}
	for _, p := range []string{"ufw", ufwenv.Init} {
		if _, err := exec.LookPath(p); err != nil {
			return fmt.Sprintf("ufw is not installed: %s is missing (apt-get install ufw)", p)
		}
	}
	return ""
}

// enabled reports ENABLED=yes in ufw.conf: ufw loads at boot.
func (s system) enabled() bool {
	b, err := os.ReadFile(s.path(etcDir + "/ufw.conf"))
	return err == nil && strings.Trim(getKey(string(b), "ENABLED"), `"'`) == "yes"
}

// active reports whether ufw runs: enabled, and its chains are loaded.
// That is when `ufw reload` loads the new files.
func (s system) active(ctx context.Context) bool {
	if s.offline() || !s.enabled() {
		return false
	}
	_, err := s.run(ctx, "iptables", "-w", "-n", "-L", "ufw-user-input")
	return err == nil
}

// logLevel is LOGLEVEL of ufw.conf, "" when unset: ufw rewrites user.rules
// for it at every enable and reload.
func (s system) logLevel() string {
	b, err := os.ReadFile(s.path(etcDir + "/ufw.conf"))
	if err != nil {
		return ""
	}
	return strings.Trim(getKey(string(b), "LOGLEVEL"), `"'`)
}

// getKey is the value of KEY=value in a shell variables file, as written.
func getKey(s, key string) string {
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(key) + `=(.*)$`)
	if m := re.FindStringSubmatch(s); m != nil {
		return strings.TrimSpace(m[1])
	}
	return ""
}

// hasKey reports whether a shell variables file sets KEY.
func hasKey(s, key string) bool {
	return regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(key) + `=`).MatchString(s)
}

// dropKey removes the lines that set KEY.
func dropKey(s, key string) string {
	return regexp.MustCompile(`(?m)^`+regexp.QuoteMeta(key)+`=.*\n?`).ReplaceAllLiteralString(s, "")
}
