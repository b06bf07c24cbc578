// Package progress shows how far long work has come on a terminal: one
// line on standard error, rewritten in place at most ten times a second,
// and cleared when the work ends. Written anywhere but a terminal it says
// nothing, so logs and scripts see only the results.
package progress

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Func reports that stage has done of total steps (total 0: unknown).
type Func func(stage string, done, total int)

// Bar writes progress lines to a terminal.
type Bar struct {
	mu    sync.Mutex
	w     io.Writer
	last  time.Time
	width int
	now   func() time.Time
}

// IsTerminal reports whether w is a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// For returns a Func that shows progress on w when w is a terminal, and
// nil otherwise (callers skip a nil Func).
func For(w io.Writer) (Func, *Bar) {
	if !IsTerminal(w) {
		return nil, nil
	}
	b := New(w)
	return b.Update, b
}

// New writes to w whatever it is (For checks for a terminal).
func New(w io.Writer) *Bar { return &Bar{w: w, now: time.Now} }

// Update shows the stage; repeated calls within 100 ms are dropped except
// the last step of a stage.
func (b *Bar) Update(stage string, done, total int) {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	t := b.now()
	if t.Sub(b.last) < 100*time.Millisecond && (total == 0 || done < total) && done != 0 {
		return
	}
	b.last = t
	line := stage
	total = max(total, done)
	if total > 0 {
		line = fmt.Sprintf("%s: %d/%d (%d%%)", stage, done, total, done*100/total)
	} else if done > 0 {
		line = fmt.Sprintf("%s: %d", stage, done)
	}
	pad := ""
	if n := b.width - len(line); n > 0 {
		pad = fmt.Sprintf("%*s", n, "")
	}
	b.width = len(line)
	fmt.Fprintf(b.w, "\r%s%s", line, pad)
}

// Done clears the line.
func (b *Bar) Done() {
	if b == nil {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.width > 0 {
		fmt.Fprintf(b.w, "\r%*s\r", b.width, "")
		b.width = 0
	}
}
