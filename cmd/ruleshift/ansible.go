package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ruleshift/ruleshift/internal/ansible"
	"github.com/ruleshift/ruleshift/persist"
)

// ansibleCmd is ruleshift as an Ansible binary module: Ansible copies the
// binary (the collection's module, ansible/) and a JSON arguments file to
// the managed host and runs "ruleshift ARGS_FILE", which moduleArgs turns
// into this command. The result is one JSON object on standard output,
// and the exit status is 0 even when the module failed, as Ansible
// expects: the failure is in the object.
type ansibleCmd struct {
	ArgsFile string `arg:"" help:"The JSON arguments file Ansible passes." placeholder:"ARGS_FILE"`
}

func (c *ansibleCmd) Run(e *env) error {
	if err := runAnsible(e, c.ArgsFile).Write(e.stdout); err != nil {
		return fail(exitIO, "%v", err)
	}
	return nil
}

// runAnsible does what the arguments ask. It never panics out: a result
// that is not JSON would leave Ansible with nothing to show.
func runAnsible(e *env, argsFile string) (res *ansible.Result) {
	defer func() {
		if p := recover(); p != nil {
			res = ansible.Fail(fmt.Sprintf("internal error: %v", p))
		}
	}()
	data, err := os.ReadFile(argsFile)
	if err != nil {
		return ansible.Fail(fmt.Sprintf("read the arguments file: %v", err))
	}
	a, err := ansible.Parse(data)
	if err != nil {
		return ansible.Fail(err.Error())
	}
	for _, p := range []*string{&a.Root, &a.Src, &a.Hosts} {
		if *p != "" {
			*p, _ = filepath.Abs(*p)
		}
	}
	return runModule(e, a)
}

// runModule installs or removes the rules, and loads them on a live run.
func runModule(e *env, a *ansible.Args) (res *ansible.Result) {
	var err error
	liveRun := a.Live()
	if a.Confirm > 0 && (!liveRun || a.State != "present") {
		return ansible.Fail("confirm: goes with a live load (state present, apply true, the default when root is /): only a load into the running kernel can be rolled back")
	}
	res = &ansible.Result{}
	var notes []string
	if liveRun {
		var confirmed bool
		confirmed, err = confirmPending(a)
		if err != nil {
			return ansible.Fail(err.Error())
		}
		if confirmed {
			res.Changed = true
			notes = append(notes, "confirmed the apply an earlier run left waiting: its rules stay")
		}
	}
	var l *live
	var d *persist.Decision
	if a.State == "present" {
		// A failed decision fails persist below, with its message.
		if d, err = persist.Decide(decideOptions(a)); err != nil {
			d = nil
		} else {
			res.Method, res.Backend = d.Choice.Method, d.Choice.Backend
		}
	}
	if liveRun && d != nil {
		// Warnings are persist's too, which reports them below.
		var stderr bytes.Buffer
		if l, err = prepareLive(&env{stdin: strings.NewReader(""), stdout: &bytes.Buffer{}, stderr: &stderr, policy: e.policy}, a, d.Choice.Backend); err != nil {
			res.Failed, res.Msg = true, errorLines(res, stderr.String(), err)
			return res
		}
	}
	var stdout, stderr bytes.Buffer
	inner := &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, policy: e.policy}
	// A load with confirm writes no file: a rollback would leave the
	// new rules to load at the next boot. The run that confirms writes
	// them (it runs persist as any run does).
	confirming := a.Confirm > 0 && l != nil
	rep := &persist.Report{}
	err = persistStep(inner, a, rep, a.CheckMode || confirming)
	needLoad := l != nil && (l.differs || (!l.listed && rep.Changed))
	if err == nil && confirming && !needLoad && !a.CheckMode {
		// Nothing to load, so nothing to confirm: write the files now.
		stdout.Reset()
		stderr.Reset()
		rep = &persist.Report{}
		err = persistStep(inner, a, rep, false)
	}
	deferred := confirming && needLoad && !a.CheckMode
	res.Changed = res.Changed || rep.Changed
	if a.Diff {
		res.Diff = fileDiffs(a.Root, rep)
	}
	if err != nil {
		res.SetStdout(stdout.String())
		res.Failed, res.Msg = true, errorLines(res, stderr.String(), err)
		return res
	}
	res.AddDiagnostics(stderr.String())
	if needLoad {
		res.Changed = true
		if a.Diff && l.listed {
			res.Diff = append(res.Diff, l.rulesDiff())
		}
		if !a.CheckMode {
			// What load prints on stderr is a summary, not an error.
			if err := l.load(&env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stdout, policy: e.policy}, a); err != nil {
				res.SetStdout(stdout.String())
				res.Failed, res.Msg = true, errorLines(res, "", err)
				return res
			}
		}
	}
	res.SetStdout(stdout.String())
	res.Msg = strings.Join(append(notes, summary(a, rep, needLoad, deferred)), "; ")
	return res
}

// persistStep runs persist (state present) or unpersist (absent).
func persistStep(e *env, a *ansible.Args, rep *persist.Report, dryRun bool) error {
	if a.State == "absent" {
		return (&unpersistCmd{rootFlag: rootFlag{Root: a.Root}, DryRun: dryRun, report: rep}).Run(e)
	}
	pc := &persistCmd{
		inputFlags:  inputFlags{From: "auto", Family: "auto", Files: []string{a.Src}, Hosts: a.Hosts},
		policyFlags: policyFlags{AllowLockout: a.AllowLockout},
		rootFlag:    rootFlag{Root: a.Root},
		Distro:      a.Distro, Method: a.Method, Backend: a.Backend,
		DryRun: dryRun, Force: a.Force, Enable: a.Enable, report: rep,
	}
	return pc.Run(e)
}

func decideOptions(a *ansible.Args) persist.Options {
	return persist.Options{Root: a.Root, Distro: a.Distro, Method: a.Method, Backend: a.Backend, Force: a.Force, Probe: liveProbe}
}

// summary is the msg of a run that worked.
func summary(a *ansible.Args, rep *persist.Report, loaded, deferred bool) string {
	what := "persist"
	if a.State == "absent" {
		what = "unpersist"
	}
	var msg string
	switch {
	case !rep.Changed:
		msg = what + ": nothing to change under " + a.Root
	case deferred:
		msg = fmt.Sprintf("%s: %d file(s) under %s change when the load is confirmed (the next run)", what, len(rep.Files), a.Root)
	case a.CheckMode:
		msg = fmt.Sprintf("%s would change %d file(s) under %s", what, len(rep.Files), a.Root)
	default:
		msg = fmt.Sprintf("%s changed %d file(s) under %s", what, len(rep.Files), a.Root)
	}
	switch {
	case loaded && a.CheckMode:
		msg += "; the loaded rules differ and would be replaced"
	case loaded && a.Confirm > 0:
		msg += fmt.Sprintf("; loaded: they roll back in %s unless the next run of this module (or ruleshift confirm) confirms them", a.Confirm)
	case loaded:
		msg += "; loaded"
	case a.Live() && a.State == "present":
		msg += "; the loaded rules are already these"
	}
	if a.CheckMode {
		msg += " (check mode: nothing changed)"
	}
	return msg
}

// fileDiffs turns the report into Ansible's diff list, one entry per file,
// headed by the file's path on the host and its mode.
func fileDiffs(root string, rep *persist.Report) []ansible.Diff {
	var out []ansible.Diff
	for _, f := range rep.Files {
		p := filepath.Join(root, filepath.FromSlash(f.Path))
		out = append(out, ansible.Diff{
			Before: string(f.Before), After: string(f.After),
			BeforeHeader: header(p, f.BeforeExists, f.BeforeMode),
			AfterHeader:  header(p, f.AfterExists, f.AfterMode),
		})
	}
	return out
}

func header(p string, exists bool, mode os.FileMode) string {
	if !exists {
		return p + " (absent)"
	}
	return fmt.Sprintf("%s (%04o)", p, mode.Perm())
}

// moduleArgs makes "ruleshift ARGS_FILE", the way Ansible runs a binary
// module, mean "ruleshift ansible ARGS_FILE": the one argument is a JSON
// arguments file with Ansible's own _ansible_ keys, which no other
// command takes as its only argument.
func moduleArgs(args []string) []string {
	if len(args) != 1 || strings.HasPrefix(args[0], "-") {
		return args
	}
	st, err := os.Stat(args[0])
	if err != nil || !st.Mode().IsRegular() || st.Size() > 1<<20 {
		return args
	}
	if data, err := os.ReadFile(args[0]); err == nil && ansible.IsArgs(data) {
		return []string{"ansible", args[0]}
	}
	return args
}
