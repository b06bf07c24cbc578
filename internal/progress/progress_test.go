package progress

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestBar(t *testing.T) {
	var out bytes.Buffer
	b := New(&out)
	now := time.Unix(0, 0)
	b.now = func() time.Time { return now }
	b.Update("probing", 0, 100)
	b.Update("probing", 10, 100) // within 100 ms: dropped
	now = now.Add(200 * time.Millisecond)
	b.Update("probing", 50, 100)
	b.Update("probing", 100, 100) // the last step always shows
	b.Done()
	got := out.String()
	for _, want := range []string{"\rprobing: 0/100 (0%)", "\rprobing: 50/100 (50%)", "\rprobing: 100/100 (100%)"} {
		if !strings.Contains(got, want) {
			t.Errorf("no %q in %q", want, got)
		}
	}
	if strings.Contains(got, "10/100") {
		t.Errorf("a throttled update was written: %q", got)
	}
	if !strings.HasSuffix(got, "\r") {
		t.Errorf("Done left the line: %q", got)
	}
	if f, _ := For(&out); f != nil {
		t.Error("a buffer is not a terminal")
	}
}
