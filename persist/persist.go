package persist

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/ruleshift/ruleshift/distros"
	"github.com/ruleshift/ruleshift/hostsets"
	"github.com/ruleshift/ruleshift/translate/diag"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// Options is one persist or unpersist request.
type Options struct {
	// Policy is what --warn and --error make of the render's diagnostics.
	Policy diag.Policy
	// Root is the directory to install under; "/" is the running system,
	// where services change through systemctl.
	Root string
	// Distro is auto ("" too) or ID[:VERSION]; Method and Backend are auto
	// or a value from distros.
	Distro, Method, Backend string
	Force, DryRun           bool
	// Enable: the ufw method enables ufw too (ENABLED=yes, ufw.service).
	Enable bool
	// Probe runs programs on the live system for detection; nil offline.
	Probe distros.Probe
	// Systemctl replaces the real systemctl on a live system (tests).
	Systemctl func(args ...string) error
	Out       io.Writer
	// HostSets are the host-name sets of the rules, for nftables: their
	// state, cache and refresh timer are installed with them.
	HostSets *hostsets.State
	// Report, when set, receives what persist or unpersist changed, or
	// in a dry run would change.
	Report *Report
	// Retire turns off the boot path of the rules being replaced
	// (migrate): its changes join the plan, so the manifest records them
	// and unpersist reverses them with the rest.
	Retire *Retirement
}

// Live reports whether Root is the running system.
func (o *Options) Live() bool {
	r, err := filepath.Abs(o.Root)
	return err == nil && r == "/"
}

func (o *Options) system() *System {
	return &System{Root: o.Root, Live: o.Live(), Systemctl: o.Systemctl, Out: o.Out, Report: o.Report}
}

// Decision is the detection and choice behind a persist, for the CLI to
// report.
type Decision struct {
	Facts   *distros.Facts
	Profile *distros.Profile
	How     string // how the profile was found
	Choice  *distros.Choice
}

// Decide detects the root and chooses the method and backend.
func Decide(o Options) (*Decision, error) {
	root := os.DirFS(o.Root)
	var probe distros.Probe
	if o.Live() {
		probe = o.Probe
	}
	d := &Decision{Facts: distros.Detect(root, probe)}
	var err error
	if o.Distro == "" || o.Distro == "auto" {
		if d.Facts.OSErr != nil {
			return d, &distros.ChoiceError{Kind: distros.KindSystem, Msg: fmt.Sprintf("cannot tell the distribution under %s: %v; give it with --distro: %v", o.Root, d.Facts.OSErr, distros.DistroValues())}
		}
		d.Profile, d.How, err = distros.Lookup(d.Facts.OS)
	} else {
		d.Profile, _, err = distros.ParseDistro(o.Distro)
		d.How = "--distro " + o.Distro
	}
	if err != nil {
		return d, err
	}
	d.Choice, err = distros.Choose(d.Profile, d.Facts, distros.Request{Method: o.Method, Backend: o.Backend, Force: o.Force, UFWRetired: o.Retire.turnsOff("ufw.service")})
	return d, err
}

// Persist decides, renders rs for the chosen backend, plans the method and
// carries the plan out (or shows it, in a dry run). Render problems come
// back in diags; when diags has errors nothing was written.
func Persist(rs *ir.Ruleset, o Options) (d *Decision, p *Plan, diags *diag.List, err error) {
	d, err = Decide(o)
	if err != nil {
		return d, nil, nil, err
	}
	var params map[string]string
	if d.Choice.Method == distros.MethodUFW {
		params = ufwParams(os.DirFS(o.Root))
	}
	rules, diags := RenderWith(rs, d.Choice.Backend, params)
	// Rules with errors are not in the rendered files: the policy says
	// whether that is acceptable (--warn unsupported) or an error.
	o.Policy.Apply(diags)
	if diags.HasErrors() {
		return d, nil, diags, nil
	}
	hs := o.HostSets
	if d.Choice.Backend != "nftables" {
		hs = nil
	}
	if hs != nil {
		rules = withCacheInclude(rules)
	}
	p, err = Build(&Env{Root: os.DirFS(o.Root), Facts: d.Facts, Choice: d.Choice, Rules: rules, Enable: o.Enable})
	if err != nil {
		return d, nil, diags, err
	}
	if hs != nil {
		planHostSets(p, hs)
	}
	o.Retire.join(p)
	fmt.Fprintf(o.Out, "distribution: %s (%s)\nmethod: %s: %s\nbackend: %s: %s\n",
		d.Profile.Name, d.How, p.Method, d.Choice.MethodWhy, p.Backend, d.Choice.BackendWhy)
	res, err := o.system().Apply(p, o.DryRun)
	if err != nil {
		return d, p, diags, err
	}
	if res.Changed && !o.DryRun && o.Live() {
		p.notef("the rules load at the next boot; persist does not load them now (start the service, or use ruleshift apply)")
	}
	for _, n := range p.Notes {
		fmt.Fprintf(o.Out, "note: %s\n", n)
	}
	return d, p, diags, nil
}

// Unpersist removes what persist installed under o.Root.
func Unpersist(o Options) error {
	return o.system().Undo(o.DryRun)
}
