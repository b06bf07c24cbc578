package iptables_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/backends/iptables"
	"github.com/ruleshift/ruleshift/internal/corpus"
	"github.com/ruleshift/ruleshift/internal/testenv"
	"github.com/ruleshift/ruleshift/translate"
	"github.com/ruleshift/ruleshift/translate/diag"
	iptfront "github.com/ruleshift/ruleshift/translate/iptables"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// warnsRefused reports a warning that the restore tool refuses the file's
// layout as it is.
func warnsRefused(d *diag.List) bool {
	for _, x := range d.Items {
		if strings.Contains(x.Msg, "would refuse the file as it is") {
			return true
		}
	}
	return false
}

func family(path string) (ir.Family, string) {
	if strings.HasSuffix(path, ".v6") {
		return ir.IPv6, "ip6"
	}
	return ir.IPv4, "ip"
}

// TestCorpusRoundTrip is the kernel proof for the iptables outputs: every
// corpus dump that the real restore tool accepts is loaded as it is into
// one namespace and as ruleshift renders it into another; both are listed
// with the save tool and must be identical. A dump the real tool refuses
// must make ruleshift report errors too.
func TestCorpusRoundTrip(t *testing.T) {
	dumps := corpus.SaveDumps(t)
	for _, v := range []*iptables.Variant{iptables.Legacy, iptables.NFT} {
		t.Run(v.Name, func(t *testing.T) {
			loaded := 0
			for _, dump := range dumps {
				fam, _ := family(dump)
				testenv.RequireBinary(t, v.RestoreCommand(fam), v.SaveCommand(fam))
				data, err := os.ReadFile(dump)
				if err != nil {
					t.Fatal(err)
				}
				name := filepath.Base(dump)
				orig := testenv.NewNetns(t, "rs-rt")
				_, origErr := orig.Run(data, v.RestoreCommand(fam))
				rs, diags := translate.Load([]translate.Input{{Name: name, Data: data}}, translate.Options{From: translate.Save, Family: fam})
				if origErr != nil && !diags.HasErrors() {
					// ruleshift reads past damage to the layout only (CR LF,
					// indentation, blank lines), and must say that the tool
					// refuses the file; without that damage it must load.
					if !warnsRefused(diags) {
						t.Errorf("%s: %s refuses it (%v) but ruleshift reports no error", name, v.RestoreCommand(fam), origErr)
						continue
					}
					orig = testenv.NewNetns(t, "rs-rt")
					if _, err := orig.Run([]byte(iptfront.Undamaged(data)), v.RestoreCommand(fam)); err != nil {
						t.Errorf("%s: %s refuses it even without the damage ruleshift warned of: %v", name, v.RestoreCommand(fam), err)
						continue
					}
					origErr = nil
				}
				if origErr != nil {
					continue
				}
				if diags.HasErrors() {
					t.Errorf("%s: the kernel accepts it but ruleshift reports:\n%v", name, diags.Err())
					continue
				}
				text, rd := iptables.Render(rs, fam, v, iptables.Options{})
				if rd.HasErrors() {
					t.Errorf("%s: render: %v", name, rd.Err())
					continue
				}
				ours := testenv.NewNetns(t, "rs-rt")
				if _, err := ours.Run([]byte(text), v.RestoreCommand(fam)); err != nil {
					t.Errorf("%s: our output does not load: %v", name, err)
					continue
				}
				want, _ := orig.Run(nil, v.SaveCommand(fam))
				got, _ := ours.Run(nil, v.SaveCommand(fam))
				if w, g := testenv.StripSave(want), testenv.StripSave(got); w != g {
					t.Errorf("%s: listings differ:\n%s", name, lineDiff(w, g))
					continue
				}
				loaded++
			}
			t.Logf("%s: %d of %d corpus dumps round-trip through the kernel identically", v.Name, loaded, len(dumps))
		})
	}
}

// lineDiff shows the lines only in a or only in b.
func lineDiff(a, b string) string {
	in := func(s string) map[string]int {
		m := map[string]int{}
		for _, l := range strings.Split(s, "\n") {
			m[l]++
		}
		return m
	}
	ma, mb := in(a), in(b)
	var out []string
	for _, l := range strings.Split(a, "\n") {
		if mb[l] == 0 {
			out = append(out, "- "+l)
		}
	}
	for _, l := range strings.Split(b, "\n") {
		if ma[l] == 0 {
			out = append(out, "+ "+l)
		}
	}
	if len(out) == 0 {
		return "(same lines, different order)"
	}
	if len(out) > 20 {
		out = append(out[:20], "...")
	}
	return strings.Join(out, "\n")
}
