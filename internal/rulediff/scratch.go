package rulediff

import (
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"

	"github.com/ruleshift/ruleshift/backends/nftables"
	"github.com/ruleshift/ruleshift/translate/ir"
	"golang.org/x/sys/unix"
)

// NftSides lists ruleshift's nft tables (of the families rs holds) now and
// as they would be after loading rs. The new side is loaded into a scratch
// network namespace and both sides are listed by nft, so that they are in
// the same canonical form and the kernel has checked the new one.
func NftSides(rs *ir.Ruleset) (old, new Chains, err error) {
	nft, err := exec.LookPath("nft")
	if err != nil {
		return nil, nil, fmt.Errorf("the comparison lists rules with nft, which is not installed")
	}
	scratch, err := scratchNetns()
	if err != nil {
		return nil, nil, err
	}
	defer scratch.Close()
	path := fmt.Sprintf("/proc/%d/fd/%d", os.Getpid(), scratch.Fd())
	if _, err := nftables.Apply(rs, nftables.ApplyOptions{NetNS: path, Nft: nft}); err != nil {
		return nil, nil, fmt.Errorf("the new ruleset does not load: %w", err)
	}
	old, new = Chains{}, Chains{}
	if err := listOwn(old, rs, nft, ""); err != nil {
		return nil, nil, err
	}
	if err := listOwn(new, rs, nft, path); err != nil {
		return nil, nil, err
	}
	return old, new, nil
}

// listOwn adds ruleshift's tables of rs's families in the network
// namespace netns ("" for the current one) to out.
func listOwn(out Chains, rs *ir.Ruleset, nft, netns string) error {
	tables, err := nftables.ListTables(netns)
	if err != nil {
		return err
	}
	for _, t := range tables {
		if !strings.HasPrefix(t.Name, nftables.TablePrefix) || !hasFamily(rs, t.Family) {
			continue
		}
		args := []string{"list", "table", t.Family, t.Name}
		cmd := exec.Command(nft, args...)
		if netns != "" {
			cmd = exec.Command("nsenter", append([]string{"--net=" + netns, nft}, args...)...)
		}
		listing, err := cmd.Output()
		if err != nil {
			return fmt.Errorf("nft list table %s %s: %v", t.Family, t.Name, err)
		}
		out.AddNft(t.Family+" "+t.Name, string(listing))
	}
	return nil
}

func hasFamily(rs *ir.Ruleset, fam string) bool {
	for _, f := range rs.Families() {
		if f.String() == fam {
			return true
		}
	}
	return false
}

// scratchNetns creates a network namespace held only by the returned
// file: it disappears when the file is closed. The thread that unshares is
// locked and switched back, so no other goroutine runs in the scratch
// namespace.
func scratchNetns() (*os.File, error) {
	type res struct {
		f   *os.File
		err error
	}
	ch := make(chan res, 1)
	go func() {
		runtime.LockOSThread() // left locked (and the thread dropped) if switching back fails
		orig, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			ch <- res{nil, err}
			return
		}
		defer orig.Close()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			ch <- res{nil, fmt.Errorf("create a scratch network namespace: %w", err)}
			return
		}
		f, err := os.Open("/proc/thread-self/ns/net")
		if unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET) == nil {
			runtime.UnlockOSThread()
		}
		ch <- res{f, err}
	}()
	r := <-ch
	return r.f, r.err
}
