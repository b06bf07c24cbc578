package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/ruleshift/ruleshift/internal/gen"
)

// BenchmarkTranslate100k runs the whole translate command on 100,000
// generated rules, as bench/translate.sh does, for profiling.
func BenchmarkTranslate100k(b *testing.B) { benchTranslate(b, gen.Mixed) }

// BenchmarkTranslate100kMultiport is the same on the multiport generator.
func BenchmarkTranslate100kMultiport(b *testing.B) { benchTranslate(b, gen.Multiport) }

func benchTranslate(b *testing.B, mode gen.Mode) {
	var buf bytes.Buffer
	gen.RulesMode(&buf, 100000, false, mode)
	in := filepath.Join(b.TempDir(), "rules.v4")
	os.WriteFile(in, buf.Bytes(), 0o644)
	b.ReportAllocs()
	for b.Loop() {
		if code := run([]string{"translate", in}, &env{stdin: nil, stdout: io.Discard, stderr: io.Discard}); code != 0 {
			b.Fatalf("exit %d", code)
		}
	}
}
