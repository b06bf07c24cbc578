package verify

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
)

// sysSetns is setns(2) on each architecture; package syscall does not
// name it.
var sysSetns = map[string]uintptr{
	"amd64": 308, "arm64": 268, "riscv64": 268, "loong64": 268,
	"386": 346, "arm": 375, "ppc64le": 350, "s390x": 339,
}[runtime.GOARCH]

// netnsDir is where "ip netns add" mounts named namespaces.
const netnsDir = "/run/netns"

// inNetns runs fn on an OS thread switched into the named network
// namespace. Sockets fn opens stay in that namespace for their life, so the
// one verify process can drive both topologies without re-executing
// itself. The thread is never unlocked: it dies with its goroutine rather
// than go back to the pool in the wrong namespace.
func inNetns(name string, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		f, err := os.Open(filepath.Join(netnsDir, name))
		if err != nil {
			errc <- err
			return
		}
		defer f.Close()
		if _, _, e := syscall.RawSyscall(sysSetns, f.Fd(), syscall.CLONE_NEWNET, 0); e != 0 {
			errc <- fmt.Errorf("setns %s: %v", name, e)
			return
		}
		errc <- fn()
	}()
	return <-errc
}

// sysctls writes /proc/sys values inside a namespace. A key the kernel
// lacks is an error only when it is not marked optional with a leading
// "?": ICMPv6 rate masks and conntrack knobs vary between kernels.
func sysctls(ns string, kv [][2]string) error {
	return inNetns(ns, func() error {
		for _, x := range kv {
			key, optional := strings.CutPrefix(x[0], "?")
			p := "/proc/sys/" + strings.ReplaceAll(key, ".", "/")
			if err := os.WriteFile(p, []byte(x[1]), 0); err != nil && !optional {
				return fmt.Errorf("sysctl %s=%s in %s: %v", key, x[1], ns, err)
			}
		}
		return nil
	})
}

// run runs a command, feeding it stdin, and returns an error holding its
// standard error.
func run(stdin []byte, name string, args ...string) (string, error) {
	cmd := exec.Command(name, args...)
	if stdin != nil {
		cmd.Stdin = bytes.NewReader(stdin)
	}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(errb.String())
		if msg == "" {
			msg = err.Error()
		}
		return out.String(), fmt.Errorf("%s: %s", name, msg)
	}
	return out.String(), nil
}

// nsRun runs a command inside a namespace.
func nsRun(ns string, stdin []byte, name string, args ...string) (string, error) {
	return run(stdin, "ip", append([]string{"netns", "exec", ns, name}, args...)...)
}
