package rulediff

import (
	"context"
	"fmt"
	"os"
	"runtime"

	"github.com/ruleshift/ruleshift/backends"
	"github.com/ruleshift/ruleshift/translate/ir"
	"golang.org/x/sys/unix"
)

// Sides lists what applying rs with backend b replaces, now and as it
// would be after the apply. The new side is loaded with the backend's own
// Apply into a scratch network namespace and both sides are listed by the
// backend's tool, so that they are in the same canonical form and the
// kernel has checked the new one.
func Sides(ctx context.Context, b backends.Backend, rs *ir.Ruleset) (old, new Chains, err error) {
	l, ok := b.(backends.Lister)
	if !ok {
		return nil, nil, fmt.Errorf("the %s backend cannot list what it loaded", b.Name())
	}
	scratch, err := scratchNetns()
	if err != nil {
		return nil, nil, err
	}
	defer scratch.Close()
	path := fmt.Sprintf("/proc/%d/fd/%d", os.Getpid(), scratch.Fd())
	if _, err := b.Apply(ctx, rs, backends.ApplyOptions{NetNS: path}); err != nil {
		return nil, nil, fmt.Errorf("the new ruleset does not load: %w", err)
	}
	old, new = Chains{}, Chains{}
	for _, side := range []struct {
		c     Chains
		netns string
	}{{old, ""}, {new, path}} {
		ls, err := l.List(ctx, rs, backends.ApplyOptions{NetNS: side.netns})
		if err != nil {
			return nil, nil, err
		}
		for _, x := range ls {
			side.c.Add(x)
		}
	}
	return old, new, nil
}

// Add adds a backend's listing in the form its tool printed.
func (c Chains) Add(l backends.Listing) {
	switch l.Format {
	case backends.SaveFormat:
		c.AddSave(l.Key, l.Text)
	case backends.NftFormat:
		c.AddNft(l.Key, l.Text)
	}
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
