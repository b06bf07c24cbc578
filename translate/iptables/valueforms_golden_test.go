package iptables_test

import (
	"flag"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
)

var formPos = regexp.MustCompile(`form:\d+:\d+: `)

// updating reports -update, which the package's internal tests define
// (both test packages share one binary, so only one may declare it).
func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

// TestValueFormsGolden pins what ruleshift makes of every form of the
// value table, without root: the rule it renders, or its error. The
// kernel test proves the same table against iptables-legacy; this file
// shows each accepted and refused form, and every change to one, in
// review.
func TestValueFormsGolden(t *testing.T) {
	var b strings.Builder
	for i, f := range valueForms() {
		r := ruleshiftForm(f, i)
		fmt.Fprintf(&b, "%s\n", f.key())
		if r.accepted {
			for _, l := range strings.Split(r.lines, "\n") {
				_, rest, _ := strings.Cut(l, chainName(i))
				fmt.Fprintf(&b, "\tok:%s\n", rest)
			}
		} else {
			// Positions change whenever a form is added; drop them.
			msg := formPos.ReplaceAllString(r.err, "")
			fmt.Fprintf(&b, "\terror: %s\n", strings.ReplaceAll(msg, "\n", " / "))
		}
	}
	const path = "testdata/valueforms.golden"
	if updating() {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got := b.String(); got != string(want) {
		gl, wl := strings.Split(got, "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) && i < len(wl); i++ {
			if gl[i] != wl[i] {
				t.Fatalf("%s differs at line %d:\n got %s\nwant %s\n(run go test -update and review the diff)", path, i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("%s differs in length (run go test -update and review the diff)", path)
	}
}
