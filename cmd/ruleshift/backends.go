package main

import (
	"errors"
	"strings"

	"github.com/alecthomas/kong"

	"github.com/ruleshift/ruleshift/backends"

	// The backends register themselves with package backends; --to,
	// --backend, persist, verify and the rollback watcher find them
	// there. A new backend is one more import line here.
	_ "github.com/ruleshift/ruleshift/backends/iptables"
	_ "github.com/ruleshift/ruleshift/backends/nftables"
	_ "github.com/ruleshift/ruleshift/backends/policy"
	_ "github.com/ruleshift/ruleshift/backends/ufw"
)

// backendVars fills the backend enums and help texts of the flags from
// the registry: ${backends} is every registered backend, as an enum takes
// them, and ${backends_text} the same as prose ("a, b or c");
// ${loaders} and ${loaders_text} leave out the backends that only print
// (backends.Printer), for the commands that load rules.
func backendVars() kong.Vars {
	names := backends.Names()
	load := backends.Loadable()
	return kong.Vars{"backends": strings.Join(names, ","), "backends_text": prose(names),
		"loaders": strings.Join(load, ","), "loaders_text": prose(load)}
}

// prose joins names as "a, b or c".
func prose(names []string) string {
	if n := len(names); n > 1 {
		return strings.Join(names[:n-1], ", ") + " or " + names[n-1]
	}
	return strings.Join(names, "")
}

// backend finds a registered backend; kong's enum has already refused any
// other name, so a miss is a build without that backend.
func backend(name string) (backends.Backend, error) {
	b, err := backends.Get(name)
	if err != nil {
		return nil, fail(exitUsage, "%v", err)
	}
	return b, nil
}

// systemError gives kernel and tool refusals exit code 4 and render
// errors exit code 1.
func systemError(err error) error {
	if errors.Is(err, backends.ErrRender) {
		return fail(exitRules, "%v", err)
	}
	return fail(exitSystem, "%v", err)
}
