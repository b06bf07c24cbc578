package main

import (
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	noSSH()
	testscript.Main(m, map[string]func(){
		"ruleshift": func() {
			os.Exit(run(os.Args[1:], &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr}))
		},
		// ruleshift whose migrate verification finds a difference
		// (migrate_mismatch_test.go).
		"ruleshift-verify-differs": func() {
			verifySides = acceptInput
			os.Exit(run(os.Args[1:], &env{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr}))
		},
	})
}

// TestCLI runs the testscript files in testdata/cli: exit codes, what goes
// to stdout and stderr, and what is (not) written to -o.
func TestCLI(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:           "../../testdata/cli",
		UpdateScripts: *update,
	})
}

// noSSH keeps the machine's own ssh session and sshd out of the lock-out
// check: the tests load into namespaces, where nobody is locked out.
func noSSH() {
	os.Unsetenv("SSH_CONNECTION")
	os.Setenv("RULESHIFT_SSHD_CONFIG", "/nonexistent")
}
