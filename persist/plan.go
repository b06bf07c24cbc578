// Package persist installs rendered rules so that they survive a reboot,
// the way each distribution expects. It sits at the end of the flow:
// translate gives a Ruleset, distros picks the method and backend, a module
// per method (ifupdown.go, netfilterpersistent.go, iptablesservices.go,
// nftables.go, systemd.go, ufw.go) turns them into a pure Plan, and System
// carries a Plan out under a root directory: atomic writes, backups, a
// manifest under /var/lib/ruleshift that unpersist reverses.
package persist

import (
	"fmt"
	"io/fs"

	"github.com/ruleshift/ruleshift/backends"
	"github.com/ruleshift/ruleshift/distros"
)

// File is one file a plan writes, at an absolute path inside the root.
type File struct {
	Path string
	Data []byte
	Mode fs.FileMode
	// Marker is set when the file belongs to the user and ruleshift only
	// added lines to it: every line of ruleshift's holds Marker, so that
	// unpersist can take them out again if the user edited the file since.
	Marker string
	// Volatile: ruleshift itself changes the file later (refresh writes
	// the host-name cache), so unpersist removes it even when changed.
	Volatile bool
	// Remove: the file is moved aside (kept as its backup, which
	// unpersist puts back) instead of written; Data and Mode are unused.
	// migrate removes the rules files of the boot path it turns off.
	Remove bool
	// Retired: the file is part of a Retirement. A later persist keeps
	// it as it is (moved aside, edited) and only unpersist puts it back.
	Retired bool
}

// Action is a change to a service.
type Action string

const (
	Enable  Action = "enable"
	Disable Action = "disable"
	Mask    Action = "mask"
)

// Service is one service change.
type Service struct {
	Unit   string
	Action Action
}

// Plan is everything one method installs. It holds no state of the
// machine beyond what the planner read to make it, so it can be shown
// (dry run), compared (idempotency) and carried out (System).
type Plan struct {
	Method, Backend string
	Files           []File
	Services        []Service
	Notes           []string
	// Retired are the units a Retirement disabled; like Retired files,
	// a later persist leaves them off.
	Retired []string
}

func (p *Plan) file(path string, data string, mode fs.FileMode) {
	p.Files = append(p.Files, File{Path: path, Data: []byte(data), Mode: mode})
}

func (p *Plan) notef(format string, args ...any) {
	p.Notes = append(p.Notes, fmt.Sprintf(format, args...))
}

// Env is what a planner reads: the root (read only), the decided choice,
// the facts behind it and the rendered rules.
type Env struct {
	Root   fs.FS
	Facts  *distros.Facts
	Choice *distros.Choice
	Rules  backends.Files
	// Enable asks the ufw method to enable ufw (ENABLED=yes and
	// ufw.service); other methods enable their service anyway.
	Enable bool
}

// StopError means persist must not go on.
type StopError struct{ Msg string }

func (e *StopError) Error() string { return e.Msg }

// Build returns the plan of the chosen method.
func Build(e *Env) (*Plan, error) {
	var p *Plan
	var err error
	switch e.Choice.Method {
	case distros.MethodIfupdown:
		p, err = planIfupdown(e)
	case distros.MethodNFPersist:
		p, err = planNetfilterPersistent(e)
	case distros.MethodIPTServices:
		p, err = planIPTablesServices(e)
	case distros.MethodNFTables:
		p, err = planNFTables(e)
	case distros.MethodSystemd:
		p, err = planSystemd(e)
	case distros.MethodUFW:
		p, err = planUFW(e)
	default:
		return nil, fmt.Errorf("internal error: no planner for method %q", e.Choice.Method)
	}
	if err != nil {
		return nil, err
	}
	p.Method, p.Backend = e.Choice.Method, e.Choice.Backend
	for _, u := range e.Choice.Mask {
		p.Services = append(p.Services, Service{u, Disable}, Service{u, Mask})
	}
	p.Notes = append(e.Choice.Notes, p.Notes...)
	return p, nil
}

// readRoot reads a file of the root by absolute path; a missing file is
// empty with exists false.
func readRoot(root fs.FS, path string) (data []byte, mode fs.FileMode, exists bool, err error) {
	rel := path[1:]
	fi, err := distros.Stat(root, rel)
	if distros.IsNotExist(err) {
		return nil, 0, false, nil
	}
	if err != nil {
		return nil, 0, false, err
	}
	data, err = distros.ReadFile(root, rel)
	return data, fi.Mode().Perm(), err == nil, err
}
