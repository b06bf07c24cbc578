package policy

import (
	"bytes"
	"strings"

	"github.com/ruleshift/ruleshift/translate"
	"github.com/ruleshift/ruleshift/translate/diag"
	"github.com/ruleshift/ruleshift/translate/ir"
)

func init() { translate.Register(frontend{}) }

type frontend struct{}

func (frontend) Name() string { return string(translate.Policy) }

// Detect claims a *.toml file, or text whose first table is one a policy
// defines ([policy], [sets], [[input]], [[output]], [[forward]]).
func (frontend) Detect(in translate.Input) (translate.Confidence, string) {
	if in.IsDir {
		return translate.No, ""
	}
	if strings.HasSuffix(in.Name, ".toml") {
		return translate.Declared, "its name ends in .toml"
	}
	// Line by line without splitting the whole input: auto-detection
	// asks every frontend about every input, a 100,000-rule save file too,
	// and that file's first line ("*filter") already says no.
	data := in.Data
	for len(data) > 0 {
		var line []byte
		line, data, _ = bytes.Cut(data, []byte("\n"))
		line = bytes.TrimSpace(line)
		switch {
		case len(line) == 0 || line[0] == '#':
			continue
		case line[0] != '[':
			if bytes.IndexByte(line, '=') > 0 {
				continue // a top-level key such as families
			}
			return translate.No, ""
		}
		l := string(line)
		switch strings.Join(strings.Fields(strings.Trim(l, "[]")), "") {
		case "policy", "sets", "input", "output", "forward":
			return translate.Likely, "its first table is [" + strings.Trim(l, "[]") + "]"
		}
		return translate.No, ""
	}
	return translate.No, ""
}

// Load reads a policy; every error of the file is reported at once and
// nothing enters rs when there is one. With o.Family only that family's
// table enters rs.
func (frontend) Load(rs *ir.Ruleset, in translate.Input, o translate.Options) *diag.List {
	one, d := Load(in.Name, in.Data, Options{Resolve: o.Resolve, AllowLockout: o.AllowLockout, HostSets: o.HostSets})
	if d.HasErrors() {
		return d
	}
	for _, t := range one.Tables {
		// --family keeps one family of a policy, as it keeps one of
		// the iptables output.
		if o.Family == 0 || t.Family == o.Family {
			rs.Tables = append(rs.Tables, t)
		}
	}
	return d
}
