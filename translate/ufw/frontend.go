package ufw

import (
	"path/filepath"

	"github.com/ruleshift/ruleshift/translate"
	"github.com/ruleshift/ruleshift/translate/diag"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// The ufw frontend registers itself with package translate, as the script
// frontend does: a program reads ufw machines by importing this package.
func init() { translate.Register(frontend{}) }

type frontend struct{}

func (frontend) Name() string { return string(translate.UFW) }

// Detect claims a directory that holds a ufw configuration: only ufw
// reads one, so the claim is certain.
func (frontend) Detect(in translate.Input) (translate.Confidence, string) {
	if !in.IsDir {
		return translate.No, ""
	}
	if isDir(filepath.Join(in.Name, "etc", "ufw")) {
		return translate.Certain, "it holds etc/ufw"
	}
	if LooksLikeEtc(in.Name) {
		return translate.Certain, "it holds ufw's files, as /etc/ufw does"
	}
	return translate.No, ""
}

// Load reads the directory in.Name (see Locate). The ruleset has both
// families whatever o.Family says: the output chooses what it prints.
func (frontend) Load(rs *ir.Ruleset, in translate.Input, o translate.Options) *diag.List {
	if !in.IsDir {
		d := &diag.List{}
		d.Errorf(ir.Pos{File: in.Name}, "the ufw input is a directory: / (this machine), /etc/ufw or a copy of it, or a root directory holding etc/ufw and etc/default/ufw; %s is a file", in.Name)
		return d
	}
	src, err := Locate(in.Name)
	if err != nil {
		d := &diag.List{}
		d.Errorf(ir.Pos{File: in.Name}, "%v", err)
		return d
	}
	return Load(rs, src, Options{Resolve: o.Resolve})
}
