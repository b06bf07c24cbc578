package main

import (
	"errors"
	"io"
	"os/exec"

	"github.com/ruleshift/ruleshift/backends/nftables"
	"github.com/ruleshift/ruleshift/distros"
	"github.com/ruleshift/ruleshift/hostsets"
	"github.com/ruleshift/ruleshift/persist"
)

// rootFlag is shared by detect, persist and unpersist.
type rootFlag struct {
	Root string `help:"Work on the system installed under DIR (offline: files only) instead of the running one." default:"/" type:"path" placeholder:"DIR"`
}

type persistCmd struct {
	inputFlags
	policyFlags
	optimizeFlags
	rootFlag
	Distro  string `help:"Distribution: auto (from DIR/etc/os-release) or ID[:VERSION], such as ubuntu:24.04, debian:12, rhel:9 or fedora." default:"auto"`
	Method  string `help:"How the rules load at boot: auto, ifupdown, netfilter-persistent, iptables-services, nftables, systemd or ufw (ufw's own files; auto where ufw is active)." enum:"auto,ifupdown,netfilter-persistent,iptables-services,nftables,systemd,ufw" default:"auto"`
	Backend string `help:"What loads them: auto, iptables (the variant iptables runs there), ${loaders_text}." enum:"auto,iptables,${loaders}" default:"auto"`
	DryRun  bool   `help:"Print the plan (a diff per file, each service change) and write nothing."`
	Force   bool   `help:"Go on beside an active ufw, or disable and mask a conflicting firewalld."`
	Enable  bool   `help:"--method ufw: also enable ufw (ENABLED=yes in /etc/ufw/ufw.conf, ufw.service enabled); without it they stay as they are."`
	JSON    bool   `name:"json" help:"Print what was (with --dry-run: would be) changed as one JSON object (schema/persist.v1.json) instead of text."`
	// report receives what changed, for the Ansible module.
	report *persist.Report
}

type unpersistCmd struct {
	rootFlag
	DryRun bool `help:"Print what would be removed and restored, and change nothing."`
	report *persist.Report
}

func (c *persistCmd) Run(e *env) error {
	c.policyFlags.apply(&c.inputFlags)
	c.lint = lintBlocking
	if err := c.optimizeFlags.apply(&c.inputFlags); err != nil {
		return err
	}
	o := persist.Options{
		Root: c.Root, Distro: c.Distro, Method: c.Method, Backend: c.Backend,
		Force: c.Force, DryRun: c.DryRun, Enable: c.Enable, Probe: liveProbe, Out: e.stdout, Policy: e.policy,
		Report: c.report,
	}
	// The backend decides whether a policy's host names become sets
	// that the refresh timer keeps current (nftables) or are pinned.
	if d, err := persist.Decide(o); err == nil && d.Choice.Backend == "nftables" {
		c.hostSets = true
		cachedResolver(e, c.Root, &c.inputFlags)
	}
	rs, err := c.load(e)
	if err != nil {
		return err
	}
	if c.hostSets {
		o.HostSets = hostsets.FromRuleset(rs, nftables.TableName)
	}
	if c.JSON {
		o.Out = io.Discard
		if o.Report == nil {
			o.Report = &persist.Report{}
		}
	}
	d, p, diags, err := persist.Persist(rs, o)
	if diags != nil {
		if rerr := report(e, diags); rerr != nil {
			return rerr
		}
	}
	if err == nil && c.JSON && p != nil {
		return writeJSON(e.stdout, persistToJSON(o, d, p, o.Report))
	}
	return persistError(err)
}

func (c *unpersistCmd) Run(e *env) error {
	return persistError(persist.Unpersist(persist.Options{Root: c.Root, DryRun: c.DryRun, Out: e.stdout, Report: c.report}))
}

// persistError maps errors to exit codes: a request that cannot work here
// is a usage error, a missing package or a conflict on the machine a
// system error, anything else (a file that cannot be written) I/O.
func persistError(err error) error {
	if err == nil {
		return nil
	}
	var ce *distros.ChoiceError
	var ue *distros.UnknownError
	var se *persist.StopError
	switch {
	case errors.As(err, &ce) && ce.Kind == distros.KindUsage:
		return fail(exitUsage, "%v", err)
	case errors.As(err, &ue) && ue.Flag:
		return fail(exitUsage, "%v", err)
	case errors.As(err, &ce), errors.As(err, &ue), errors.As(err, &se):
		return fail(exitSystem, "%v", err)
	}
	return fail(exitIO, "%v", err)
}

// liveProbe runs a program on the running system for detect, persist and
// apply --backend auto.
func liveProbe(name string, args ...string) (string, error) {
	out, err := exec.Command(name, args...).Output()
	return string(out), err
}
