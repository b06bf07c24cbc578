package ansible

import (
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	a, err := Parse([]byte(`{"src": "p.toml", "confirm": 90, "force": "yes", "apply": false, "method": null,
		"_ansible_check_mode": true, "_ansible_diff": "True", "_ansible_verbosity": 3, "_ansible_tmpdir": "/tmp/x"}`))
	if err != nil {
		t.Fatal(err)
	}
	if a.Src != "p.toml" || a.Confirm != 90*time.Second || !a.Force || a.Apply == nil || *a.Apply || a.Method != "auto" ||
		!a.CheckMode || !a.Diff || a.Root != "/" || a.State != "present" || a.Live() {
		t.Errorf("parsed %+v", a)
	}
	a, err = Parse([]byte(`{"state": "absent", "confirm": "2m", "root": "/srv/img"}`))
	if err != nil || a.Confirm != 2*time.Minute || a.Live() {
		t.Errorf("parsed %+v, %v", a, err)
	}
	if a, _ := Parse([]byte(`{"state": "absent"}`)); !a.Live() {
		t.Error("root / is not live by default")
	}
	for in, want := range map[string]string{
		`[]`:                                "not a JSON object",
		`{"src": "x", "srcs": 1}`:           "unsupported parameters: srcs",
		`{"src": 1}`:                        "value of src must be a string",
		`{"src": "x", "confirm": "soon"}`:   "value of confirm must be a duration",
		`{"src": "x", "confirm": -1}`:       "value of confirm must be a duration",
		`{"src": "x", "apply": "maybe"}`:    "value of apply must be a boolean",
		`{"src": "x", "backend": "pf"}`:     "value of backend must be one of",
		`{"state": "present"}`:              "required parameter src is missing",
		`{"src": "x", "_ansible_diff": []}`: "value of _ansible_diff must be a boolean",
	} {
		if _, err := Parse([]byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%s) = %v, want %q", in, err, want)
		}
	}
}

func TestIsArgs(t *testing.T) {
	if !IsArgs([]byte(`{"_ansible_check_mode": false}`)) || IsArgs([]byte(`{"src": "x"}`)) || IsArgs([]byte(`*filter`)) {
		t.Error("IsArgs")
	}
}

func TestAddDiagnostics(t *testing.T) {
	r := &Result{}
	errs := r.AddDiagnostics("a.v4:3:5: warning: x [hostname]\nnote: y\na.v4:4:1: bad\n")
	if len(r.Warnings) != 2 || len(errs) != 1 || errs[0] != "a.v4:4:1: bad" {
		t.Errorf("warnings %q errors %q", r.Warnings, errs)
	}
}

// FuzzParse: no arguments file makes Parse panic.
func FuzzParse(f *testing.F) {
	for _, s := range []string{`{}`, `{"src": "x", "confirm": 1e400}`, `{"confirm": "9999999999h"}`, `null`, `{"force": 2}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		Parse(data)
		IsArgs(data)
	})
}
