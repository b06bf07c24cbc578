// Package ansible is Ansible's binary-module protocol as ruleshift speaks
// it: the JSON arguments file Ansible copies to the managed host in, one
// JSON result object out. The work itself (persist, unpersist) is the
// command's; this package only reads, checks and writes the protocol.
package ansible

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Args are the module's parameters.
type Args struct {
	Src     string
	Root    string // "/" unless given
	Backend string // auto unless given
	Method  string // auto unless given
	Distro  string // auto unless given
	State   string // present or absent
	Hosts   string
	Confirm time.Duration
	// Apply: load into the running kernel too; nil is the default, yes
	// on the running system (root /), no offline.
	Apply        *bool
	Force        bool
	Enable       bool
	AllowLockout bool
	// CheckMode and Diff are Ansible's _ansible_check_mode and
	// _ansible_diff.
	CheckMode, Diff bool
}

// params are the parameters the module takes, each with its kind.
var params = map[string]string{
	"src": "path", "root": "path", "backend": "str", "method": "str", "distro": "str",
	"state": "str", "hosts": "path", "confirm": "duration", "force": "bool", "enable": "bool",
	"allow_lockout": "bool", "apply": "bool",
}

// Choices of the string parameters that take one of a list; the CLI's
// own enums are the reference (cmd/ruleshift/persist.go).
var choices = map[string][]string{
	"state":   {"present", "absent"},
	"method":  {"auto", "ifupdown", "netfilter-persistent", "iptables-services", "nftables", "systemd", "ufw"},
	"backend": {"auto", "iptables", "nftables", "iptables-legacy", "iptables-nft", "ufw", "ufw-commands"},
}

// Parse reads the arguments file. Every error names the parameter; the
// result is failed with it as msg.
func Parse(data []byte) (*Args, error) {
	var raw map[string]any
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.UseNumber()
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("the arguments file is not a JSON object: %v", err)
	}
	a := &Args{Root: "/", Backend: "auto", Method: "auto", Distro: "auto", State: "present"}
	var unknown []string
	for k, v := range raw {
		if strings.HasPrefix(k, "_ansible_") {
			var err error
			switch k {
			case "_ansible_check_mode":
				a.CheckMode, err = asBool(k, v)
			case "_ansible_diff":
				a.Diff, err = asBool(k, v)
			}
			// Ansible passes many more (verbosity, tmpdir, ...): none
			// changes what the module does.
			if err != nil {
				return nil, err
			}
			continue
		}
		kind, ok := params[k]
		if !ok {
			unknown = append(unknown, k)
			continue
		}
		if v == nil {
			continue // null: the default
		}
		if err := a.set(k, kind, v); err != nil {
			return nil, err
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		names := make([]string, 0, len(params))
		for k := range params {
			names = append(names, k)
		}
		sort.Strings(names)
		return nil, fmt.Errorf("unsupported parameters: %s (supported: %s)", strings.Join(unknown, ", "), strings.Join(names, ", "))
	}
	for k, list := range choices {
		if v := a.str(k); !contains(list, v) {
			return nil, fmt.Errorf("value of %s must be one of: %s, got: %s", k, strings.Join(list, ", "), v)
		}
	}
	if a.State == "present" && a.Src == "" {
		return nil, fmt.Errorf("state is present but the required parameter src is missing")
	}
	return a, nil
}

// Live reports whether the run loads rules into the running kernel:
// apply as given, else whether root is the running system.
func (a *Args) Live() bool {
	if a.Apply != nil {
		return *a.Apply
	}
	return filepath.Clean(a.Root) == "/"
}

func (a *Args) str(k string) string {
	switch k {
	case "state":
		return a.State
	case "method":
		return a.Method
	case "backend":
		return a.Backend
	}
	return ""
}

func (a *Args) set(k, kind string, v any) error {
	switch kind {
	case "bool":
		b, err := asBool(k, v)
		if err != nil {
			return err
		}
		switch k {
		case "force":
			a.Force = b
		case "enable":
			a.Enable = b
		case "allow_lockout":
			a.AllowLockout = b
		case "apply":
			a.Apply = &b
		}
		return nil
	case "duration":
		d, err := asDuration(k, v)
		a.Confirm = d
		return err
	}
	s, ok := v.(string)
	if !ok {
		return fmt.Errorf("value of %s must be a string, got: %v", k, v)
	}
	switch k {
	case "src":
		a.Src = s
	case "root":
		a.Root = s
	case "backend":
		a.Backend = s
	case "method":
		a.Method = s
	case "distro":
		a.Distro = s
	case "state":
		a.State = s
	case "hosts":
		a.Hosts = s
	}
	return nil
}

// asBool takes what Ansible's bool type takes: true and false, and the
// strings yes/no, true/false, on/off, 1/0.
func asBool(k string, v any) (bool, error) {
	switch x := v.(type) {
	case bool:
		return x, nil
	case json.Number:
		switch x.String() {
		case "1":
			return true, nil
		case "0":
			return false, nil
		}
	case string:
		switch strings.ToLower(x) {
		case "yes", "true", "on", "1", "y", "t":
			return true, nil
		case "no", "false", "off", "0", "n", "f", "":
			return false, nil
		}
	}
	return false, fmt.Errorf("value of %s must be a boolean, got: %v", k, v)
}

// asDuration takes a Go duration ("90s", "2m") or a number of seconds.
func asDuration(k string, v any) (time.Duration, error) {
	var d time.Duration
	var err error
	switch x := v.(type) {
	case json.Number:
		var f float64
		f, err = strconv.ParseFloat(x.String(), 64)
		d = time.Duration(f * float64(time.Second))
	case string:
		if f, ferr := strconv.ParseFloat(x, 64); ferr == nil {
			d = time.Duration(f * float64(time.Second))
		} else {
			d, err = time.ParseDuration(x)
		}
	default:
		err = fmt.Errorf("not a duration")
	}
	if err != nil || d < 0 {
		return 0, fmt.Errorf("value of %s must be a duration such as 60s or 2m, or a number of seconds, got: %v", k, v)
	}
	return d, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// IsArgs reports whether data is an arguments file of Ansible's: a JSON
// object with at least one of the _ansible_ keys Ansible always adds.
func IsArgs(data []byte) bool {
	var raw map[string]json.RawMessage
	if json.Unmarshal(data, &raw) != nil {
		return false
	}
	for k := range raw {
		if strings.HasPrefix(k, "_ansible_") {
			return true
		}
	}
	return false
}
