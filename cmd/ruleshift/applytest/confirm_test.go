package applytest

import (
	"bufio"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ruleshift/ruleshift/internal/testenv"
)

var confirmBackends = []string{"nftables", "iptables-nft", "iptables-legacy"}

// TestConfirmRollback: apply --confirm 2s without a confirmation puts the
// previous ruleset back, byte for byte.
func TestConfirmRollback(t *testing.T) {
	need(t)
	g, o := writeFile(t, "good.v4", good), writeFile(t, "other.v4", other)
	for _, backend := range confirmBackends {
		ns := testenv.NewNetns(t, "hAp")
		state := t.TempDir()
		if r := rs(ns, nil, "apply", "--backend", backend, g); r.code != 0 {
			t.Fatalf("%s: %s", backend, r.stderr)
		}
		before := listing(t, ns, backend)
		r := rs(ns, nil, "apply", "--backend", backend, "--confirm", "2s", "--state-dir", state, o)
		if r.code != 4 || !strings.Contains(r.stderr, "previous ruleset was restored") {
			t.Errorf("%s: exit %d: %s", backend, r.code, r.stderr)
		}
		if after := listing(t, ns, backend); after != before {
			t.Errorf("%s: not rolled back:\n--- before\n%s\n--- after\n%s", backend, before, after)
		}
	}
}

// started runs apply --confirm in a session of its own (setsid) and
// returns once it has loaded.
func started(t *testing.T, ns *testenv.Netns, args ...string) (*exec.Cmd, chan string) {
	t.Helper()
	cmd := exec.Command("setsid", append([]string{"ip", "netns", "exec", ns.Name, bin}, args...)...)
	errp, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(errp)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	deadline := time.After(20 * time.Second)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				cmd.Wait()
				t.Fatalf("apply ended before loading")
			}
			if strings.HasPrefix(l, "loaded ") {
				return cmd, lines
			}
		case <-deadline:
			t.Fatal("apply did not load within 20s")
		}
	}
}

// TestConfirmRollbackAfterKill: the rollback happens although apply and
// the whole session it ran in are killed with SIGKILL right after loading,
// as when an SSH connection drops.
func TestConfirmRollbackAfterKill(t *testing.T) {
	need(t)
	g, o := writeFile(t, "good.v4", good), writeFile(t, "other.v4", other)
	for _, backend := range confirmBackends {
		ns := testenv.NewNetns(t, "hAp")
		state := t.TempDir()
		if r := rs(ns, nil, "apply", "--backend", backend, g); r.code != 0 {
			t.Fatalf("%s: %s", backend, r.stderr)
		}
		before := listing(t, ns, backend)
		cmd, _ := started(t, ns, "apply", "--backend", backend, "--confirm", "2s", "--state-dir", state, o)
		if listing(t, ns, backend) == before {
			t.Fatalf("%s: the new ruleset was not loaded", backend)
		}
		// setsid made apply's process the leader of a new session and
		// process group: kill all of it.
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
		back := false
		for i := 0; i < 100 && !back; i++ {
			time.Sleep(100 * time.Millisecond)
			back = listing(t, ns, backend) == before
		}
		if !back {
			t.Errorf("%s: no rollback after apply and its session were killed:\n%s", backend, listing(t, ns, backend))
		}
	}
}

// TestConfirmKeeps: ruleshift confirm from another process keeps the new
// ruleset, and nothing rolls it back later.
func TestConfirmKeeps(t *testing.T) {
	need(t)
	g, o := writeFile(t, "good.v4", good), writeFile(t, "other.v4", other)
	for _, backend := range confirmBackends {
		ns := testenv.NewNetns(t, "hAp")
		state := t.TempDir()
		if r := rs(ns, nil, "apply", "--backend", backend, g); r.code != 0 {
			t.Fatalf("%s: %s", backend, r.stderr)
		}
		cmd, lines := started(t, ns, "apply", "--backend", backend, "--confirm", "3s", "--state-dir", state, o)
		after := listing(t, ns, backend)
		if r := rs(ns, nil, "confirm", "--state-dir", state); r.code != 0 {
			t.Fatalf("%s: confirm: exit %d: %s", backend, r.code, r.stderr)
		}
		var rest []string
		for l := range lines {
			rest = append(rest, l)
		}
		if err := cmd.Wait(); err != nil {
			t.Errorf("%s: apply: %v: %s", backend, err, strings.Join(rest, "\n"))
		}
		time.Sleep(4 * time.Second) // past the deadline
		if got := listing(t, ns, backend); got != after {
			t.Errorf("%s: the confirmed ruleset changed:\n%s", backend, got)
		}
		if r := rs(ns, nil, "confirm", "--state-dir", state); r.code == 0 {
			t.Errorf("%s: a second confirm found something to confirm", backend)
		}
	}
}
