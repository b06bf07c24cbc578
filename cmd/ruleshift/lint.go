package main

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/ruleshift/ruleshift/translate/ir"
	"github.com/ruleshift/ruleshift/translate/lint"
)

// exitFindings is lint's exit code when it finds a warning or worse.
const exitFindings = 7

type lintCmd struct {
	inputFlags
	JSON    bool     `name:"json" help:"Print the findings as JSON (an object with a version and the findings)."`
	SSHPort uint16   `name:"ssh-port" help:"The ssh port that must stay open (default: the live session's SSH_CONNECTION, else the Port of sshd_config)." placeholder:"N"`
	Disable []string `help:"Skip checks, by code or name (L5 or after-catch-all). Repeatable, comma-separated." placeholder:"CODE"`
	// SSHDConfig is where the ssh port is read from; tests point it away
	// from the host's.
	SSHDConfig string `name:"sshd-config" hidden:"" default:"/etc/ssh/sshd_config"`
}

// lintJSONVersion is the version of the JSON output; it changes only
// when a field changes meaning or goes away.
const lintJSONVersion = 1

type jsonPos struct {
	File string `json:"file"`
	Line int    `json:"line,omitempty"`
	Col  int    `json:"col,omitempty"`
}

type jsonFinding struct {
	Code     string    `json:"code"`
	Name     string    `json:"name"`
	Severity string    `json:"severity"`
	Pos      jsonPos   `json:"pos"`
	Related  []jsonPos `json:"related"`
	Message  string    `json:"message"`
	Fix      string    `json:"fix"`
	// Removable: the rule can go, together with every other rule
	// flagged removable, without changing any packet's fate.
	Removable bool `json:"removable"`
}

func toJSONPos(p ir.Pos) jsonPos { return jsonPos{File: p.File, Line: p.Line, Col: p.Col} }

func (c *lintCmd) Run(e *env) error {
	o := lint.Options{Disable: map[string]bool{}}
	for _, d := range c.Disable {
		for _, s := range strings.Split(d, ",") {
			if s = strings.TrimSpace(s); s == "" {
				continue
			}
			ch, ok := lint.Lookup(s)
			if !ok {
				return fail(exitUsage, "--disable: unknown check %q (checks are L1 to L%d, or their names)", s, len(lint.Checks))
			}
			o.Disable[ch.Code] = true
		}
	}
	o.SSH = c.sshPort()
	rs, err := c.load(e)
	if err != nil {
		return err
	}
	fs := lint.Run(rs, o)
	if c.JSON {
		out := struct {
			Version  int           `json:"version"`
			Findings []jsonFinding `json:"findings"`
		}{Version: lintJSONVersion, Findings: []jsonFinding{}}
		for _, f := range fs {
			j := jsonFinding{Code: f.Code, Name: f.Name, Severity: f.Severity.String(), Pos: toJSONPos(f.Pos), Related: []jsonPos{}, Message: f.Msg, Fix: f.Fix, Removable: f.Removable}
			for _, p := range f.Related {
				j.Related = append(j.Related, toJSONPos(p))
			}
			out.Findings = append(out.Findings, j)
		}
		b, _ := json.MarshalIndent(out, "", "  ")
		fmt.Fprintf(e.stdout, "%s\n", b)
	} else {
		for _, f := range fs {
			fmt.Fprint(e.stdout, f.String())
		}
	}
	if w, ok := lint.Worst(fs); ok && w >= lint.Warning {
		return fail(exitFindings, "%s", plural(len(fs), "finding"))
	}
	return nil
}

// sshPort finds the port the lock-out check keeps open: --ssh-port, the
// live session, or sshd's configuration; none turns the check off.
func (c *lintCmd) sshPort() lint.SSH {
	if c.SSHPort != 0 {
		return lint.SSH{Port: c.SSHPort, From: "--ssh-port"}
	}
	if s, ok := lint.ParseSSHConnection(os.Getenv("SSH_CONNECTION")); ok {
		return s
	}
	if data, err := os.ReadFile(c.SSHDConfig); err == nil {
		return lint.SSH{Port: lint.SSHDPort(data), From: c.SSHDConfig}
	}
	return lint.SSH{}
}
