package ufw

import (
	"os"
	"strings"

	"github.com/ruleshift/ruleshift/translate/diag"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// setting is one variable of /etc/default/ufw or ufw.conf and the line
// that set it.
type setting struct {
	value string
	pos   ir.Pos
}

// vars holds the variables ufw-init sees.
type vars map[string]setting

// get returns a variable's value and position; the position of the file
// when it is not set.
func (v vars) get(key string) (string, ir.Pos, bool) {
	s, ok := v[key]
	return s.value, s.pos, ok
}

// readVars reads a file that ufw-init sources with sh into v: KEY=VALUE
// lines, the value bare or in single or double quotes, and comments.
// ufw and its packaging write nothing else; any other line is reported
// as what ruleshift does not run, since sh would run it.
func readVars(v vars, path string, diags *diag.List) bool {
	data, err := os.ReadFile(path)
	if err != nil {
		diags.Errorf(ir.Pos{File: path}, "%v (ufw-init sources this file: it aborts without it)", err)
		return false
	}
	if len(data) == 0 {
		diags.Errorf(ir.Pos{File: path, Line: 1, Col: 1}, "empty file: ufw-init aborts (\"Could not find %s\")", path)
		return false
	}
	for n, line := range strings.Split(string(data), "\n") {
		pos := ir.Pos{File: path, Line: n + 1, Col: 1}
		body := strings.TrimSpace(line)
		if body == "" || body[0] == '#' {
			continue
		}
		pos.Col += strings.Index(line, body)
		key, val, ok := strings.Cut(body, "=")
		if !ok || !isName(key) {
			diags.Report(diag.Script, pos, "a line that is not a plain KEY=VALUE assignment: sh runs it when ufw-init sources the file, ruleshift does not")
			continue
		}
		value, ok := unquote(val)
		if !ok {
			diags.Report(diag.Script, pos, "the value of %s is not a plain word or a quoted string: read as %q", key, val)
			value = val
		}
		v[key] = setting{value: value, pos: pos}
	}
	return true
}

func isName(s string) bool {
	if s == "" || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for _, r := range s {
		if r != '_' && (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (r < '0' || r > '9') {
			return false
		}
	}
	return true
}

// unquote reads a value as sh does when it is one word: bare, "double"
// or 'single' quoted, with an optional trailing comment. Expansions and
// escapes are not plain.
func unquote(s string) (string, bool) {
	s = strings.TrimRight(s, " \t")
	if i := strings.Index(s, " #"); i >= 0 && !strings.ContainsAny(s[:i], `"'`) {
		s = strings.TrimRight(s[:i], " \t")
	}
	switch {
	case len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"':
		in := s[1 : len(s)-1]
		return in, !strings.ContainsAny(in, "\"$`\\")
	case len(s) >= 2 && s[0] == '\'' && s[len(s)-1] == '\'':
		in := s[1 : len(s)-1]
		return in, !strings.Contains(in, "'")
	}
	return s, !strings.ContainsAny(s, " \t\"'$`\\;&|<>(){}")
}
