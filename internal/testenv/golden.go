package testenv

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// CheckGolden compares got with the golden file at path, or with update
// rewrites it; rerun is the command that does that, for the message.
func CheckGolden(t testing.TB, path, got string, update bool, rerun string) {
	t.Helper()
	if update {
		os.MkdirAll(filepath.Dir(path), 0o755)
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run %s)", err, rerun)
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file (%s rewrites it):\n%s", path, rerun, LineDiff(string(want), got))
	}
}

// LineDiff lists the lines only one side has, in order: - for a, + for b.
func LineDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	in := func(l string, list []string) bool {
		for _, x := range list {
			if x == l {
				return true
			}
		}
		return false
	}
	var out strings.Builder
	for _, l := range al {
		if !in(l, bl) {
			out.WriteString("-" + l + "\n")
		}
	}
	for _, l := range bl {
		if !in(l, al) {
			out.WriteString("+" + l + "\n")
		}
	}
	return out.String()
}
