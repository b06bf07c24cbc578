// Package backends is what the rest of ruleshift knows of an output: one
// Backend interface and a registry that --to, --backend, persist, verify
// and a pending --confirm read. Each backend lives in its own package
// (backends/nftables, backends/iptables, …) and registers itself from an
// init function; the CLI imports them for that side effect, the way it
// imports the script frontend. Adding a backend is its package plus that
// one import line: nothing here or in the callers names a backend.
//
// This package holds no rule logic and imports only the model, so that
// persistence, distribution detection and the rollback state can name a
// backend without depending on a renderer.
package backends

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"

	"github.com/ruleshift/ruleshift/translate/diag"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// Backend renders the model for one firewall and loads it into the
// kernel.
type Backend interface {
	// Name is the backend's name, the value of --to and --backend.
	Name() string
	// Check reports every feature of rs the backend cannot express, at its
	// position, before anything is rendered or loaded.
	Check(rs *ir.Ruleset) *diag.List
	// Render returns the text the backend loads, for the user or for
	// persistence, with the texts that unload it again (RoleStop).
	// Problems come back as diagnostics; a file with errors is not to be
	// written.
	Render(rs *ir.Ruleset, o RenderOptions) (Files, *diag.List)
	// Apply loads rs atomically into the kernel (into o.NetNS when set).
	// It checks first: when Check finds errors nothing is loaded, the
	// diagnostics are in the result and the error wraps ErrRender. A load
	// the kernel or a tool refuses leaves the kernel as it was.
	Apply(ctx context.Context, rs *ir.Ruleset, o ApplyOptions) (*ApplyResult, error)
	// Snapshot saves what applying rs would replace, so that Restore can
	// put it back (apply --confirm, a failed apply).
	Snapshot(ctx context.Context, rs *ir.Ruleset, o ApplyOptions) (*Snapshot, error)
	// Restore puts a snapshot of this backend back.
	Restore(ctx context.Context, s *Snapshot, o ApplyOptions) error
}

// Lister is a Backend that can list what it holds in the kernel in its
// tools' own form, for apply --dry-run (internal/rulediff compares two
// listings).
type Lister interface {
	// List returns the current content of what applying rs replaces.
	List(ctx context.Context, rs *ir.Ruleset, o ApplyOptions) ([]Listing, error)
}

// Listing is one part of a backend's kernel state as its tool prints it.
type Listing struct {
	Format ListFormat
	// Key names the part: the family ("ipv4") of save output, the table
	// ("ip ruleshift_filter") of nft output.
	Key  string
	Text string
}

// ListFormat says which tool printed a listing.
type ListFormat int

const (
	// SaveFormat is iptables-save output (and restore input).
	SaveFormat ListFormat = iota + 1
	// NftFormat is `nft list table` output.
	NftFormat
)

// RenderOptions tune Render.
type RenderOptions struct {
	// Families restricts the output to these families, each rendered even
	// when the ruleset has no table of it; nil renders the families the
	// ruleset holds.
	Families []ir.Family
	// EveryFile, with Families nil, renders every file the backend can
	// write, an empty one for a family the ruleset lacks: a directory
	// output then replaces all of them (rules.v4 and rules.v6).
	EveryFile bool
	// Header adds the backend's comment line naming the tool; Now, when
	// set, puts a time in it. Persistence leaves Now zero so that the same
	// input renders the same bytes.
	Header bool
	Now    time.Time
	// Params holds backend-specific options by their flag name
	// ("ufw-strict": "true"); a backend ignores the keys it does not
	// know, so a caller passes every such flag to whichever backend.
	Params map[string]string
}

// Role says what a rendered file is for.
type Role int

const (
	// RoleRules loads the ruleset.
	RoleRules Role = iota + 1
	// RoleStop removes what RoleRules loaded and nothing else (a unit's
	// ExecStop).
	RoleStop
)

// File is one rendered text.
type File struct {
	Role Role
	// Name is a suggested file name, without a directory: "ruleset.nft",
	// "rules.v4", "stop.v6". Names are unique within one rendering.
	Name string
	// Family is the family the file holds, 0 when it holds every family.
	Family ir.Family
	// Loader is the command that loads the file, its path appended:
	// {"nft", "-f"}, {"iptables-legacy-restore"}.
	Loader []string
	Text   string
	// Banner, when set, asks for the file to be printed with the
	// backend's other banner files to one stream, each after its banner
	// line ("# ==> /etc/ufw/user.rules <=="), where an output to one
	// stream would otherwise take the first rules file alone: the files
	// make sense only together.
	Banner string
}

// Files is a backend's rendering.
type Files []File

// Of returns the files of a role, in the backend's order.
func (fs Files) Of(r Role) Files {
	var out Files
	for _, f := range fs {
		if f.Role == r {
			out = append(out, f)
		}
	}
	return out
}

// Family returns the rules file of a family, nil if there is none.
func (fs Files) Family(fam ir.Family) *File {
	for i := range fs {
		if fs[i].Role == RoleRules && fs[i].Family == fam {
			return &fs[i]
		}
	}
	return nil
}

// ApplyOptions tune Apply, Snapshot, Restore and List.
type ApplyOptions struct {
	// NetNS is the path of a network namespace (/run/netns/NAME, or
	// /proc/PID/fd/N) to work in; "" is the process's own.
	NetNS string
	// Root is the directory holding the configuration files of a backend
	// that loads through them (ufw's /etc/ufw); "" is /. Tests point it
	// at a copy.
	Root string
	// Params holds backend-specific options by their flag name
	// ("enable": "true"), as RenderOptions.Params does; a backend ignores
	// the keys it does not know.
	Params map[string]string
	// Progress, when set, hears how far a large load has come (rules
	// compiled of the total); a backend may stay silent.
	Progress func(stage string, done, total int)
}

// ApplyResult says what Apply did.
type ApplyResult struct {
	// Rules is how many rules were loaded.
	Rules int
	// Diags are the checker's findings: warnings after a load, errors
	// when nothing was loaded.
	Diags *diag.List
	// Notes are things the user should know about how it loaded,
	// printed as "note: …".
	Notes []string
	// Summary says what was loaded and what it replaced, one line each.
	Summary []string
}

// Snapshot is what Restore puts back. It is plain data, so that the
// rollback watcher of apply --confirm, another process, can read it.
type Snapshot struct {
	// Backend names the backend that took it.
	Backend string `json:"backend"`
	// Tables names what was saved, for messages ("ip ruleshift_filter",
	// "ipv4 filter").
	Tables []string `json:"tables"`
	// Data is the backend's own encoding of the saved state.
	Data []byte `json:"data"`
}

// ErrRender is wrapped by Apply's error when the ruleset cannot be
// rendered for the backend: a problem of the rules (exit status 1), not of
// the kernel.
var ErrRender = errors.New("the ruleset cannot be rendered for this backend")

var registry = struct {
	sync.RWMutex
	m map[string]Backend
}{m: map[string]Backend{}}

// Register makes a backend known to Lookup and Names. Backend packages
// call it from an init function; it panics on an empty or a repeated name,
// as two backends of one name are a build mistake.
func Register(b Backend) {
	registry.Lock()
	defer registry.Unlock()
	name := b.Name()
	if name == "" || name == "auto" {
		panic(fmt.Sprintf("backends: backend name %q is reserved", name))
	}
	if _, dup := registry.m[name]; dup {
		panic("backends: backend " + name + " registered twice")
	}
	registry.m[name] = b
}

// Lookup returns the backend of a name, nil if none is registered.
func Lookup(name string) Backend {
	registry.RLock()
	defer registry.RUnlock()
	return registry.m[name]
}

// Names lists the registered backends, sorted.
func Names() []string {
	registry.RLock()
	defer registry.RUnlock()
	out := make([]string, 0, len(registry.m))
	for n := range registry.m {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Get is Lookup with an error naming the registered backends.
func Get(name string) (Backend, error) {
	if b := Lookup(name); b != nil {
		return b, nil
	}
	return nil, fmt.Errorf("unknown backend %q (known: %v)", name, Names())
}

// Printer is a Backend whose rendering is for the user to read and keep
// (a TOML policy), not to load: apply, persist and verify do not offer it
// for --backend, and its Apply, Snapshot and Restore return an error.
type Printer interface {
	Backend
	PrintOnly()
}

// Loadable lists the registered backends that load rules, sorted: every
// backend but the Printers.
func Loadable() []string {
	var out []string
	for _, n := range Names() {
		if _, ok := Lookup(n).(Printer); !ok {
			out = append(out, n)
		}
	}
	return out
}

// Loaders names the programs that load a backend's rendered rules, at
// boot or by hand, in the order of its files: the first word of each
// rules file's Loader for a ruleset of both families.
func Loaders(b Backend) []string {
	files, _ := b.Render(&ir.Ruleset{}, RenderOptions{Families: []ir.Family{ir.IPv4, ir.IPv6}})
	var out []string
	seen := map[string]bool{}
	for _, f := range files.Of(RoleRules) {
		if len(f.Loader) > 0 && !seen[f.Loader[0]] {
			seen[f.Loader[0]] = true
			out = append(out, f.Loader[0])
		}
	}
	return out
}
