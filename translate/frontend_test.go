package translate

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/internal/corpus"
	"github.com/ruleshift/ruleshift/translate/diag"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// testScript is the script frontend of this package's tests: the real one
// (translate/script) imports this package, so it cannot be linked here.
// Its Detect is the real one's.
type testScript struct{}

func init() { Register(testScript{}) }

func (testScript) Name() string                         { return string(Script) }
func (testScript) Detect(in Input) (Confidence, string) { return DetectScript(in) }
func (testScript) Load(rs *ir.Ruleset, in Input, o Options) *diag.List {
	return noScripts(rs, in, o)
}

func TestRegistry(t *testing.T) {
	if got, want := Names(), []string{"nft", "save", "script"}; !slices.Equal(got, want) {
		t.Errorf("Names() = %v, want %v", got, want)
	}
	if Lookup("save") == nil || Lookup("ufw") != nil || Lookup("auto") != nil {
		t.Errorf("Lookup: save %v, ufw %v, auto %v", Lookup("save"), Lookup("ufw"), Lookup("auto"))
	}
	for _, f := range []Frontend{saveFrontend{}, fakeFrontend("auto"), fakeFrontend("")} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Register(%q) should panic", f.Name())
				}
			}()
			Register(f)
		}()
	}
	_, d := Load([]Input{{Name: "x", Data: []byte(dump)}}, Options{From: "ufw"})
	if len(d.Items) != 1 || d.Items[0].Msg != `unknown input format "ufw"` {
		t.Errorf("--from ufw: got %v", d.Items)
	}
}

type fakeFrontend string

func (f fakeFrontend) Name() string                              { return string(f) }
func (fakeFrontend) Detect(Input) (Confidence, string)           { return Certain, "" }
func (fakeFrontend) Load(*ir.Ruleset, Input, Options) *diag.List { return nil }

// TestDetectAsBefore checks that the registry decides every input as the
// single decision function it replaced did, reason included.
func TestDetectAsBefore(t *testing.T) {
	inputs := []Input{}
	for _, name := range []string{"rules.v4", "fw", "fw.sh", "x.nft", "paste"} {
		for _, data := range detectSeeds {
			inputs = append(inputs, Input{Name: name, Data: []byte(data)})
		}
	}
	for _, p := range corpus.SaveDumps(t) {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, Input{Name: filepath.Base(p), Data: data})
	}
	scripts, _ := filepath.Glob("../testdata/scripts/*.sh")
	examples, _ := filepath.Glob("../examples/*")
	for _, p := range append(scripts, examples...) {
		data, _ := os.ReadFile(p)
		inputs = append(inputs, Input{Name: filepath.Base(p), Data: data}, Input{Name: "stdin", Data: data})
	}
	for _, in := range inputs {
		if err := sameAsBefore(in); err != nil {
			t.Error(err)
		}
	}
}

var detectSeeds = []string{
	"", dump, "#!/bin/sh\n" + dump, "#!/usr/sbin/nft -f\ntable inet f {}\n", "table inet f {}\n",
	"root@host:~# iptables-save\n" + dump, "```\n" + dump + "```\n", "iptables -F\n",
	"iptables -F\niptables-restore <<EOF\n" + dump + "EOF\n", ": ${IPT:=iptables}\n",
	"[0:0] -A X\n", "[]\n", "[:]\n", ":\n", "*\n", "# only a comment\n\n",
	strings.Repeat("x", 80) + "\n" + dump, "iptables -F\niptables -X\n" + dump,
}

// FuzzDetectAsBefore: no input is decided otherwise than before.
func FuzzDetectAsBefore(f *testing.F) {
	for _, s := range detectSeeds {
		f.Add("x", s)
	}
	f.Fuzz(func(t *testing.T, name, data string) {
		if err := sameAsBefore(Input{Name: name, Data: []byte(data)}); err != nil {
			t.Error(err)
		}
	})
}

func sameAsBefore(in Input) error {
	f, why := Detect(in)
	of, owhy := detectBefore(in)
	if f != of || why != owhy {
		return fmt.Errorf("%s %.40q: %s (%q), before %s (%q)", in.Name, in.Data, f, why, of, owhy)
	}
	return nil
}

// detectBefore is translate.Detect as it was before the frontend registry,
// kept as the reference the registry must agree with.
func detectBefore(in Input) (Format, string) {
	if isNFT(in) {
		return NFT, "it is an nftables file"
	}
	if bytes.HasPrefix(in.Data, []byte("#!")) {
		return Script, "its first line is a shebang"
	}
	if strings.HasSuffix(in.Name, ".sh") {
		return Script, "its name ends in .sh"
	}
	var (
		firstOther        string
		firstLine         int
		saveLines, others int
		table, commit     bool
		feeds             bool
	)
	data := in.Data
	for n := 1; len(data) > 0; n++ {
		var line []byte
		line, data, _ = bytes.Cut(data, []byte("\n"))
		line = bytes.TrimSpace(line)
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		if k := saveLineKind(line); k != 0 {
			if others == 0 {
				return Save, ""
			}
			saveLines++
			table = table || k == '*'
			commit = commit || k == 'C'
			continue
		}
		if others == 0 {
			firstOther, firstLine = string(line), n
		}
		others++
		feeds = feeds || bytes.Contains(line, []byte("<<")) || bytes.Contains(line, []byte("-restore"))
	}
	if others == 0 {
		return Save, ""
	}
	if table && commit && !feeds && saveLines > others {
		return Save, fmt.Sprintf("its *table and COMMIT lines make it a save file despite line %d", firstLine)
	}
	if len(firstOther) > 60 {
		firstOther = firstOther[:57] + "..."
	}
	return Script, fmt.Sprintf("line %d (%q) is a shell command", firstLine, firstOther)
}
