package persist

import (
	"io/fs"
	"path"
	"strings"

	"github.com/ruleshift/ruleshift/backends"
	"github.com/ruleshift/ruleshift/internal/ufwenv"
)

// The ufw method installs the ufw backend's files where ufw reads them:
// before.rules, user.rules, after.rules (and their 6 twins) and, for
// other tables, after.init in /etc/ufw; ufw.defaults is merged into
// /etc/default/ufw key by key. ufw.service loads them at boot with
// ufw-init start when ENABLED=yes in /etc/ufw/ufw.conf. Every file
// replaced is backed up and listed in the manifest, so unpersist puts
// ufw's previous files back.

const (
	ufwDir         = "/etc/ufw"
	ufwDefaultFile = "/etc/default/ufw"
	ufwConf        = ufwDir + "/ufw.conf"
)

// planUFW plans the ufw method. ufw.service and ENABLED change only with
// --enable: where ufw is inactive the files wait for `ufw enable`.
func planUFW(e *Env) (*Plan, error) {
	p := &Plan{}
	for _, f := range e.Rules.Of(backends.RoleRules) {
		if f.Name != "ufw.defaults" {
			mode := fs.FileMode(0o640)
			if f.Name == "after.init" {
				mode = 0o750 // ufw-init runs it only when executable
			}
			p.file(path.Join(ufwDir, f.Name), f.Text, mode)
			continue
		}
		data, mode, exists, err := readRoot(e.Root, ufwDefaultFile)
		if err != nil {
			return nil, err
		}
		if !exists {
			mode = 0o644
		}
		s := string(data)
		for _, l := range strings.Split(f.Text, "\n") {
			if k, v, ok := strings.Cut(strings.TrimSpace(l), "="); ok && !strings.HasPrefix(l, "#") {
				s = ufwenv.SetKey(s, k, v)
			}
		}
		p.file(ufwDefaultFile, s, mode)
	}
	conf, mode, _, err := readRoot(e.Root, ufwConf)
	if err != nil {
		return nil, err
	}
	enabled := strings.Contains("\n"+string(conf), "\nENABLED=yes")
	switch {
	case e.Enable:
		p.file(ufwConf, ufwenv.SetKey(string(conf), "ENABLED", "yes"), mode)
		p.Services = append(p.Services, Service{"ufw.service", Enable})
	case !enabled:
		p.notef("ufw is not enabled (ENABLED=no in %s): the files load once it is (`ufw enable`, or persist --enable)", ufwConf)
	}
	p.notef("Debian keeps before.rules, before6.rules, after.rules and after6.rules under ucf: a ufw upgrade offers its own version (at a prompt, or as .ucf-dist) instead of replacing ruleshift's")
	p.notef("ufw commands (ufw allow, ufw delete, ufw logging) rewrite user.rules from its tuples, which keep ruleshift's ufw rules; the rules in before.rules and after.rules stay until the next persist or unpersist")
	if e.Facts != nil && e.Facts.UFWActive {
		p.notef("ufw loads the new files at its next reload: `ufw reload`, or `ruleshift apply --backend ufw` now")
	}
	return p, nil
}

// ufwParams are the ufw backend's render options for the root: user.rules
// written for ufw.conf's LOGLEVEL, which ufw rewrites it for at every
// enable and reload.
func ufwParams(root fs.FS) map[string]string {
	data, _, _, _ := readRoot(root, ufwConf)
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(l), "LOGLEVEL="); ok {
			switch v = strings.Trim(v, `"'`); v {
			case "off", "low", "medium", "high", "full":
				return map[string]string{"ufw-loglevel": v}
			}
		}
	}
	return nil
}
