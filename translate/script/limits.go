package script

import (
	"errors"
	"runtime"
	"runtime/metrics"
	"sync"
	"time"

	"github.com/ruleshift/ruleshift/translate/ir"
)

// Limits that are not options: they guard the translating process itself
// rather than say how much work a script may ask for.
const (
	// maxFrames bounds the Go stack depth of nested functions and shells;
	// each shell function level takes a handful of frames.
	maxFrames = 20000
	// maxGoroutines bounds pipelines running at once above the baseline
	// (a fork bomb is a pipeline that spawns itself).
	maxGoroutines = 4000
)

// errLimit cancels the interpretation once a limit has reported itself.
var errLimit = errors.New("limit reached")

// limits watches one session.
type limits struct {
	s          *session
	goroutines int
	heapBase   uint64
	once       sync.Once
	done       chan struct{}
}

func startLimits(s *session) *limits {
	l := &limits{s: s, goroutines: runtime.NumGoroutine(), heapBase: heapBytes(), done: make(chan struct{})}
	go l.watch()
	return l
}

func (l *limits) stop() { close(l.done) }

// watch polls the heap: memory can grow without any command running
// (`for ((;;)); do x=$x$x; done`), so the step count cannot see it.
func (l *limits) watch() {
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-l.done:
			return
		case <-t.C:
			if h := heapBytes(); h > l.heapBase+l.s.o.MaxMemory {
				l.trip(l.s.lastPos(), "interpretation stopped: the script's data grew beyond %d MiB (last command here)", l.s.o.MaxMemory>>20)
				return
			}
		}
	}
}

var heapSample = []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}

func heapBytes() uint64 {
	s := make([]metrics.Sample, 1)
	copy(s, heapSample)
	metrics.Read(s)
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// trip reports the first limit reached and stops the interpretation.
func (l *limits) trip(pos ir.Pos, format string, args ...any) {
	l.once.Do(func() {
		l.s.errorf(pos, format, args...)
		l.s.cancel(errLimit)
	})
}

// step counts one simple command.
func (l *limits) step(pos ir.Pos) error {
	s := l.s
	s.mu.Lock()
	s.steps++
	n := s.steps
	s.mu.Unlock()
	if n > s.o.MaxSteps {
		l.trip(pos, "interpretation stopped after %d commands: the script loops forever or does too much (last command here)", s.o.MaxSteps)
		return errLimit
	}
	if runtime.NumGoroutine() > l.goroutines+maxGoroutines {
		l.trip(pos, "interpretation stopped: more than %d commands run at once (a fork bomb?)", maxGoroutines)
		return errLimit
	}
	return nil
}

// depth bounds recursion: a function or nested shell that calls itself
// forever would otherwise exhaust the Go stack.
func (l *limits) depth(pos ir.Pos) error {
	var pc [1]uintptr
	if runtime.Callers(maxFrames, pc[:]) > 0 {
		l.trip(pos, "interpretation stopped: functions or shells nested too deep (endless recursion?)")
		return errLimit
	}
	return nil
}
