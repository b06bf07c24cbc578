package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/ruleshift/ruleshift/internal/ansible"
	"github.com/ruleshift/ruleshift/persist"
)

// ansibleCmd is ruleshift as an Ansible binary module: Ansible copies the
// binary and a JSON arguments file to the managed host and runs
// "ruleshift ARGS_FILE"; the collection's wrapper (ansible/) adds the
// command word. The result is one JSON object on standard output, and the
// exit status is 0 even when the module failed, as Ansible expects: the
// failure is in the object.
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
	if a.Confirm > 0 {
		return ansible.Fail("confirm: the module does not load rules into the running kernel (it persists them; they load at the next boot): use ruleshift apply --confirm for a live load")
	}
	var stdout, stderr bytes.Buffer
	inner := &env{stdin: strings.NewReader(""), stdout: &stdout, stderr: &stderr, policy: e.policy}
	rep := &persist.Report{}
	res = &ansible.Result{}
	switch a.State {
	case "present":
		pc := &persistCmd{
			inputFlags:  inputFlags{From: "auto", Family: "auto", Files: []string{a.Src}, Hosts: a.Hosts},
			policyFlags: policyFlags{AllowLockout: a.AllowLockout},
			rootFlag:    rootFlag{Root: a.Root},
			Distro:      a.Distro, Method: a.Method, Backend: a.Backend,
			DryRun: a.CheckMode, Force: a.Force, Enable: a.Enable, report: rep,
		}
		if d, derr := persist.Decide(persist.Options{Root: a.Root, Distro: a.Distro, Method: a.Method, Backend: a.Backend, Force: a.Force, Probe: liveProbe}); derr == nil {
			res.Method, res.Backend = d.Choice.Method, d.Choice.Backend
		}
		err = pc.Run(inner)
	case "absent":
		err = (&unpersistCmd{rootFlag: rootFlag{Root: a.Root}, DryRun: a.CheckMode, report: rep}).Run(inner)
	}
	res.SetStdout(stdout.String())
	res.Changed = rep.Changed
	errLines := res.AddDiagnostics(stderr.String())
	if a.Diff {
		res.Diff = fileDiffs(a.Root, rep)
	}
	if err != nil {
		res.Failed = true
		var ee *exitError
		if errors.As(err, &ee) {
			errLines = append(errLines, ee.msg)
		} else {
			errLines = append(errLines, err.Error())
		}
		res.Msg = strings.Join(errLines, "\n")
		return res
	}
	res.Msg = summary(a, rep)
	return res
}

// summary is the msg of a run that worked.
func summary(a *ansible.Args, rep *persist.Report) string {
	what := "persist"
	if a.State == "absent" {
		what = "unpersist"
	}
	switch {
	case !rep.Changed:
		return what + ": nothing to change under " + a.Root
	case a.CheckMode:
		return fmt.Sprintf("%s would change %d file(s) under %s (check mode: nothing written)", what, len(rep.Files), a.Root)
	}
	return fmt.Sprintf("%s changed %d file(s) under %s", what, len(rep.Files), a.Root)
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
