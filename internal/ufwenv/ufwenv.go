// Package ufwenv runs ufw's own boot script, /lib/ufw/ufw-init, in a
// network namespace on private copies of /etc/ufw and /etc/default/ufw,
// so that ufw loads a configuration exactly as it would at boot without
// touching the host's files or firewall. verify loads a ufw rendering
// this way, and the tests use it as the oracle for the ufw backend and
// the ufw input.
//
// The copies are bind-mounted over /etc/ufw and /etc/default/ufw in a
// private mount namespace (unshare --mount), with a tmpfs on /run for
// ufw's lock; ufw-init's sysctl settings are per network namespace.
package ufwenv

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Init is ufw's boot script.
const Init = "/lib/ufw/ufw-init"

// Config is the configuration ufw-init starts from: a copy of the
// installed /etc/ufw and /etc/default/ufw with these changes.
type Config struct {
	// Etc replaces or adds files of /etc/ufw, by name relative to it
	// ("user.rules", "before6.rules", "after.init"). before.init and
	// after.init are made executable, as ufw-init runs them only then.
	Etc map[string]string
	// Defaults sets keys of /etc/default/ufw ("DEFAULT_INPUT_POLICY" to
	// "DROP"); the value is written in double quotes, as the stock file
	// does, except for IPV6.
	Defaults map[string]string
	// LogLevel sets LOGLEVEL in ufw.conf when not empty.
	LogLevel string
}

// Result is what a run left.
type Result struct {
	// Save4 and Save6 are iptables-save and ip6tables-save after the run.
	Save4, Save6 string
	// Out holds the output of each command given to Run, in order.
	Out []string
	// Etc holds the files of the private /etc/ufw after the run (ufw
	// commands rewrite user.rules), and Default /etc/default/ufw.
	Etc     map[string]string
	Default string
}

// Available says why ufw cannot be run here, or "".
func Available() string {
	for _, p := range []string{Init, "/etc/ufw", "/etc/default/ufw"} {
		if _, err := os.Stat(p); err != nil {
			return fmt.Sprintf("ufw is not installed (%s is missing; apt-get install ufw)", p)
		}
	}
	for _, b := range []string{"unshare", "nsenter", "iptables-save", "ip6tables-save"} {
		if _, err := exec.LookPath(b); err != nil {
			return fmt.Sprintf("%s is missing", b)
		}
	}
	return ""
}

// Start runs "ufw-init start" in the network namespace netns (a name
// under /run/netns, or a path such as /proc/PID/ns/net) on c, then each
// of cmds (shell command lines, such as "ufw status numbered" or "ufw
// logging low"), and lists the tables. A failing ufw-init or command is
// an error with its output.
func Start(netns string, c Config, cmds ...string) (*Result, error) {
	return Run(netns, c, append([]string{Init + " start"}, cmds...)...)
}

// Run is Start without the implied ufw-init start: cmds alone run on the
// private files (a test may start, reload and stop in turn).
func Run(netns string, c Config, cmds ...string) (*Result, error) {
	if why := Available(); why != "" {
		return nil, fmt.Errorf("%s", why)
	}
	dir, err := os.MkdirTemp("", "ruleshift-ufw-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	etc, def := filepath.Join(dir, "etc-ufw"), filepath.Join(dir, "default-ufw")
	if out, err := exec.Command("cp", "-a", "/etc/ufw", etc).CombinedOutput(); err != nil {
		return nil, fmt.Errorf("copying /etc/ufw: %v: %s", err, out)
	}
	if err := c.write(etc, def); err != nil {
		return nil, err
	}
	var script strings.Builder
	fmt.Fprintf(&script, "set -u\nmount --bind %s /etc/ufw && mount --bind %s /etc/default/ufw && mount -t tmpfs ruleshift-ufw /run || exit 90\nip link set lo up\n", etc, def)
	for i, cmd := range cmds {
		out := filepath.Join(dir, "out."+strconv.Itoa(i))
		fmt.Fprintf(&script, "( %s ) >%s 2>&1 || { echo \"ufwenv: %s failed ($?):\"; cat %s; exit 91; }\n", cmd, out, strings.ReplaceAll(cmd, `"`, `'`), out)
	}
	fmt.Fprintf(&script, "iptables-save >%s/save4 && ip6tables-save >%s/save6\n", dir, dir)
	path := netns
	if !strings.Contains(netns, "/") {
		path = "/run/netns/" + netns
	}
	cmd := exec.Command("nsenter", "--net="+path, "unshare", "--mount", "--propagation", "private", "sh", "-c", script.String())
	var outb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &outb, &outb
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("ufw in namespace %s: %v: %s", netns, err, strings.TrimSpace(outb.String()))
	}
	r := &Result{Etc: map[string]string{}}
	for i := range cmds {
		b, _ := os.ReadFile(filepath.Join(dir, "out."+strconv.Itoa(i)))
		r.Out = append(r.Out, string(b))
	}
	s4, _ := os.ReadFile(filepath.Join(dir, "save4"))
	s6, _ := os.ReadFile(filepath.Join(dir, "save6"))
	r.Save4, r.Save6 = string(s4), string(s6)
	entries, _ := os.ReadDir(etc)
	for _, e := range entries {
		if e.Type().IsRegular() {
			b, _ := os.ReadFile(filepath.Join(etc, e.Name()))
			r.Etc[e.Name()] = string(b)
		}
	}
	d, _ := os.ReadFile(def)
	r.Default = string(d)
	return r, nil
}

// write makes the private copies: c's files over the copy of /etc/ufw,
// ENABLED=yes (ufw-init start loads nothing otherwise) and c's keys in
// the copy of /etc/default/ufw.
func (c Config) write(etc, def string) error {
	names := make([]string, 0, len(c.Etc))
	for n := range c.Etc {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if strings.Contains(n, "/") || strings.HasPrefix(n, ".") {
			return fmt.Errorf("ufwenv: %q is not a file name of /etc/ufw", n)
		}
		mode := os.FileMode(0o640)
		if n == "before.init" || n == "after.init" {
			mode = 0o750
		}
		p := filepath.Join(etc, n)
		if err := os.WriteFile(p, []byte(c.Etc[n]), mode); err != nil {
			return err
		}
		if err := os.Chmod(p, mode); err != nil {
			return err
		}
	}
	conf := filepath.Join(etc, "ufw.conf")
	b, err := os.ReadFile(conf)
	if err != nil {
		return err
	}
	s := SetKey(string(b), "ENABLED", "yes")
	if c.LogLevel != "" {
		s = SetKey(s, "LOGLEVEL", c.LogLevel)
	}
	if err := os.WriteFile(conf, []byte(s), 0o644); err != nil {
		return err
	}
	b, err = os.ReadFile("/etc/default/ufw")
	if err != nil {
		return err
	}
	s = string(b)
	keys := make([]string, 0, len(c.Defaults))
	for k := range c.Defaults {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := c.Defaults[k]
		if k != "IPV6" {
			v = strconv.Quote(v)
		}
		s = SetKey(s, k, v)
	}
	// Keep the host out of it: no modules are loaded for a test.
	s = SetKey(s, "IPT_MODULES", `""`)
	return os.WriteFile(def, []byte(s), 0o644)
}

// SetKey sets KEY=value in a shell variables file, replacing its line or
// appending one.
func SetKey(s, key, value string) string {
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(key) + `=.*$`)
	line := key + "=" + value
	if re.MatchString(s) {
		return re.ReplaceAllLiteralString(s, line)
	}
	if s != "" && !strings.HasSuffix(s, "\n") {
		s += "\n"
	}
	return s + line + "\n"
}
