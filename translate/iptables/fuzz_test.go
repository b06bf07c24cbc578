package iptables

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"

	"github.com/ruleshift/ruleshift/translate/ir"
)

// seedFiles returns the save files of the repository's golden corpus: the
// in/ sections of testdata/translate/*.txtar and the dumps beside the
// golden scripts and persist trees, plus the shared corpus when it is
// there. The golden corpus is part of the repository, so finding none of
// it fails the fuzz target instead of letting it run on one seed.
func seedFiles(f *testing.F) [][]byte {
	f.Helper()
	var out [][]byte
	cases, _ := filepath.Glob("../../testdata/translate/*.txtar")
	for _, c := range cases {
		a, err := txtar.ParseFile(c)
		if err != nil {
			f.Fatal(err)
		}
		for _, file := range a.Files {
			if strings.HasPrefix(file.Name, "in/") {
				out = append(out, file.Data)
			}
		}
	}
	var paths []string
	for _, pat := range []string{"../../testdata/scripts/*.rules.v[46]", "../../testdata/persist/*.v[46]", "../../../shared/corpus/iptables-save/*.v[46]"} {
		m, _ := filepath.Glob(pat)
		paths = append(paths, m...)
	}
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		if len(data) < 64<<10 {
			out = append(out, data)
		}
	}
	if len(cases) == 0 || len(out) < len(cases) {
		f.Fatalf("no golden save files found under ../../testdata/translate (%d cases, %d seeds)", len(cases), len(out))
	}
	return out
}

// FuzzParseSave feeds arbitrary restore input to the save parser: it may
// report errors but never panic.
func FuzzParseSave(f *testing.F) {
	for _, s := range seedFiles(f) {
		f.Add(s)
	}
	f.Add([]byte("*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -p tcp --dport 22 -j ACCEPT\nCOMMIT\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, fam := range []ir.Family{ir.IPv4, ir.IPv6} {
			rs := &ir.Ruleset{}
			ParseSave(rs, "fuzz", data, SaveOptions{Family: fam})
			ir.Dump(rs)
		}
	})
}

// FuzzParseCommand feeds arbitrary argument lines to the option parser.
func FuzzParseCommand(f *testing.F) {
	for _, s := range seedFiles(f) {
		for _, line := range strings.Split(string(s), "\n") {
			if strings.HasPrefix(line, "-A ") {
				f.Add(line)
			}
		}
	}
	f.Add("-A INPUT -p icmp --icmp echo-request -j ACCEPT")
	f.Add("-t nat -A POSTROUTING -o eth0 -j MASQUERADE")
	f.Fuzz(func(t *testing.T, line string) {
		toks, _, ok := SplitLine(line, ir.Pos{File: "fuzz", Line: 1, Col: 1})
		if !ok {
			return
		}
		for _, fam := range []ir.Family{ir.IPv4, ir.IPv6} {
			cmd, diags := ParseCommand(toks, ParseOptions{Family: fam})
			if !diags.HasErrors() && cmd != nil {
				ed := &Editor{RS: &ir.Ruleset{}, Diags: diags}
				ed.Apply(cmd, fam)
			}
		}
	})
}

// familyTemplates are save files whose free-text positions are marked:
// {Q} for a quoted argument (comment, log and nflog prefixes, string pattern,
// set, recent and hashlimit names), {C} for a user chain name.
var familyTemplates = []struct{ name, text string }{
	{"rules.v4", "-A INPUT -m set --match-set {Q} dst -j DROP\n-A INPUT -m comment --comment {Q} -j ACCEPT"},
	{"dump", "-A INPUT -m set --match-set {Q} src -m comment --comment {Q} -j LOG --log-prefix {Q}"},
	{"dump", "-A INPUT -s 2001:db8::1 -m comment --comment {Q} -j ACCEPT\n-A INPUT -j NFLOG --nflog-prefix {Q}"},
	{"rules.v6", "-A INPUT -p tcp -m string --string {Q} --algo bm -j LOG --log-prefix {Q}\n-A INPUT -s 10.0.0.1 -j ACCEPT"},
	{"dump", "-A {C} -m recent --name {Q} --rcheck -j {C}\n-A INPUT -m hashlimit --hashlimit-upto 5/s --hashlimit-name {Q} -j {C}"},
	{"x.v6", "-A INPUT -p icmp -m comment --comment {Q} -j ACCEPT\n-A INPUT -d 2001:db8::/32 -j REJECT --reject-with icmp6-adm-prohibited\n-A {C} -g {C}"},
}

// FuzzFamilyFreeText checks that the family of a save file never depends
// on free text: whatever a comment, set name, log prefix or chain name
// says, the decision is the one taken with a neutral word there.
func FuzzFamilyFreeText(f *testing.F) {
	for i := range familyTemplates {
		for _, s := range []string{"x", "2001:db8::1", "-s 2001:db8::1", "\" -m icmp6 \"", "--icmpv6-type", "ipv6-icmp",
			"icmp6-adm-prohibited", "dst", "frag -m frag", "\\\" -p icmpv6", "-6", "10.0.0.1 -p icmp", "a=b --to-destination [::1]:80"} {
			f.Add(uint8(i), s)
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, text string) {
		tmpl := familyTemplates[int(which)%len(familyTemplates)]
		render := func(free string) string {
			r := strings.NewReplacer("{Q}", quoteSave(free), "{C}", chainWord(free))
			return "*filter\n:INPUT ACCEPT [0:0]\n:" + chainWord(free) + " - [0:0]\n" + r.Replace(tmpl.text) + "\nCOMMIT\n"
		}
		want := detectFamily(tmpl.name, render("x"))
		got := detectFamily(tmpl.name, render(text))
		if got.Family != want.Family || got.Basis != want.Basis || got.V4 != want.V4 || got.V6 != want.V6 {
			t.Errorf("free text %q changed the decision: %+v, with a neutral word %+v\n%s", text, got, want, render(text))
		}
	})
}

// quoteSave writes s as iptables-save writes a quoted argument; a line
// break cannot be in one.
func quoteSave(s string) string {
	s = strings.NewReplacer("\n", "", "\\", "\\\\", "\"", "\\\"").Replace(s)
	return "\"" + s + "\""
}

// chainWord makes a user chain name from s: the characters iptables
// takes in one, never a target's name or an option.
func chainWord(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r > ' ' && r < 0x7f && r != '"' && r != '\\' && r != '!' && b.Len() < 28 {
			b.WriteRune(r)
		}
	}
	w := strings.TrimLeft(b.String(), "-")
	if w == "" || targetDefs[w] != nil || strings.ContainsAny(w[:1], "[") {
		return "c" + w
	}
	return w
}

// TestFamilyTemplatesParse makes sure the fuzz templates are rules the
// parser takes, so that their marked positions really are free text.
func TestFamilyTemplatesParse(t *testing.T) {
	for _, tmpl := range familyTemplates {
		for _, free := range []string{"x", "a b \"c\" -s 2001:db8::1"} {
			text := "*filter\n:INPUT ACCEPT [0:0]\n:" + chainWord(free) + " - [0:0]\n" +
				strings.NewReplacer("{Q}", quoteSave(free), "{C}", chainWord(free)).Replace(tmpl.text) + "\nCOMMIT\n"
			rs := &ir.Ruleset{}
			if d := ParseSave(rs, tmpl.name, []byte(text), SaveOptions{}); d.HasErrors() {
				t.Errorf("%s:\n%s\n%v", tmpl.name, text, d.Err())
			}
		}
	}
}
