package persist

import (
	"fmt"
	"strings"
)

// diffContext is the number of unchanged lines around each hunk.
const diffContext = 3

// maxLCS bounds the line-by-line comparison; larger changes show as one
// replaced block, which is still a correct diff.
const maxLCS = 4_000_000

// UnifiedDiff returns a unified diff from a to b, "" when they are equal.
// A missing file is named /dev/null, as diff -N does.
func UnifiedDiff(aName, bName string, a, b []byte) string {
	if string(a) == string(b) {
		return ""
	}
	x, y := splitLines(a), splitLines(b)
	ops := diffOps(x, y)
	var out strings.Builder
	fmt.Fprintf(&out, "--- %s\n+++ %s\n", aName, bName)
	for i := 0; i < len(ops); {
		if ops[i].kind == ' ' {
			i++
			continue
		}
		start := max(i-diffContext, 0)
		end := i
		for end < len(ops) {
			if ops[end].kind != ' ' {
				end++
				continue
			}
			run := end
			for run < len(ops) && ops[run].kind == ' ' {
				run++
			}
			if run-end > 2*diffContext || run == len(ops) {
				end = min(end+diffContext, len(ops))
				break
			}
			end = run
		}
		writeHunk(&out, ops[start:end])
		i = end
	}
	return out.String()
}

type op struct {
	kind byte // ' ', '-', '+'
	text string
	a, b int // line numbers (1-based) in a and b
}

func splitLines(d []byte) []string {
	if len(d) == 0 {
		return nil
	}
	lines := strings.SplitAfter(string(d), "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

// diffOps trims the common head and tail, then aligns the middle by a
// longest common subsequence.
func diffOps(x, y []string) []op {
	var ops []op
	ai, bi := 1, 1
	emit := func(kind byte, text string) {
		ops = append(ops, op{kind, text, ai, bi})
		if kind != '+' {
			ai++
		}
		if kind != '-' {
			bi++
		}
	}
	pre := 0
	for pre < len(x) && pre < len(y) && x[pre] == y[pre] {
		pre++
	}
	suf := 0
	for suf < len(x)-pre && suf < len(y)-pre && x[len(x)-1-suf] == y[len(y)-1-suf] {
		suf++
	}
	for _, l := range x[:pre] {
		emit(' ', l)
	}
	mx, my := x[pre:len(x)-suf], y[pre:len(y)-suf]
	for _, o := range lcsOps(mx, my) {
		emit(o.kind, o.text)
	}
	for _, l := range x[len(x)-suf:] {
		emit(' ', l)
	}
	return ops
}

func lcsOps(x, y []string) []op {
	var ops []op
	if len(x)*len(y) > maxLCS {
		for _, l := range x {
			ops = append(ops, op{kind: '-', text: l})
		}
		for _, l := range y {
			ops = append(ops, op{kind: '+', text: l})
		}
		return ops
	}
	// t[i][j] is the LCS length of x[i:] and y[j:].
	t := make([][]int, len(x)+1)
	for i := range t {
		t[i] = make([]int, len(y)+1)
	}
	for i := len(x) - 1; i >= 0; i-- {
		for j := len(y) - 1; j >= 0; j-- {
			if x[i] == y[j] {
				t[i][j] = t[i+1][j+1] + 1
			} else {
				t[i][j] = max(t[i+1][j], t[i][j+1])
			}
		}
	}
	i, j := 0, 0
	for i < len(x) || j < len(y) {
		switch {
		case i < len(x) && j < len(y) && x[i] == y[j]:
			ops = append(ops, op{kind: ' ', text: x[i]})
			i, j = i+1, j+1
		case j < len(y) && (i == len(x) || t[i][j+1] >= t[i+1][j]):
			ops = append(ops, op{kind: '+', text: y[j]})
			j++
		default:
			ops = append(ops, op{kind: '-', text: x[i]})
			i++
		}
	}
	return ops
}

func writeHunk(out *strings.Builder, ops []op) {
	aStart, bStart, aLen, bLen := ops[0].a, ops[0].b, 0, 0
	for _, o := range ops {
		if o.kind != '+' {
			aLen++
		}
		if o.kind != '-' {
			bLen++
		}
	}
	if aLen == 0 {
		aStart--
	}
	if bLen == 0 {
		bStart--
	}
	fmt.Fprintf(out, "@@ -%d,%d +%d,%d @@\n", aStart, aLen, bStart, bLen)
	for _, o := range ops {
		out.WriteByte(o.kind)
		out.WriteString(o.text)
		if !strings.HasSuffix(o.text, "\n") {
			out.WriteString("\n\\ No newline at end of file\n")
		}
	}
}
