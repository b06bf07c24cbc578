// Package translate is the front door of the translate stage: it reads the
// user's inputs (iptables-save files, shell scripts), detects what each one
// is, and parses them all into one ir.Ruleset with their diagnostics,
// through the frontends registered with it (frontend.go).
package translate

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/ruleshift/ruleshift/translate/diag"
	"github.com/ruleshift/ruleshift/translate/iptables"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// Format is the kind of an input.
type Format string

const (
	Auto   Format = "auto"
	Save   Format = "save"
	Script Format = "script"
	// NFT is an nftables file (nft -f input) or nft's JSON listing, read
	// by translate/nft; verify loads an nftables file as written.
	NFT Format = "nft"
	// UFW is a ufw machine: a directory holding /etc/ufw's files
	// (translate/ufw registers its reader).
	UFW Format = "ufw"
	// Policy is ruleshift's TOML policy (translate/policy registers its
	// reader).
	Policy Format = "policy"
)

// Input is one input file: its name as the user gave it and its contents.
type Input struct {
	Name string
	Data []byte
	// Dir is the directory relative reads of a script resolve against.
	Dir string
	// IsDir says the input is a directory, Name its path, Data empty:
	// only a frontend that reads a tree of files (ufw) takes it.
	IsDir bool
}

// Options tune Load.
type Options struct {
	From    Format
	Family  ir.Family // 0: detect per file
	Resolve iptables.Resolver
	// AsRun asks scripts for what running them leaves: a command iptables
	// would refuse, where the script does not check its status, is a
	// warning instead of an error. Save files are not affected.
	AsRun bool
	// Inputs names every explicit input file; Load fills it in. A script
	// may read these besides the files of its own directory.
	Inputs []string
	// FormatWhy is set by Load for the frontend: why the input is read in
	// its format ("line 1 (…) is a shell command", "--from script says
	// so"), for the script frontend's error at a save-file line met in it.
	FormatWhy string
	// AllowLockout lets a policy (translate/policy) drop input without
	// accepting ssh; without it that is an error.
	AllowLockout bool
	// HostSets asks the policy frontend to keep host names in named sets
	// (for nftables, where `ruleshift refresh` keeps them current)
	// instead of pinning their addresses in the rules.
	HostSets bool
}

// DetectFormat is the format Detect finds.
func DetectFormat(in Input) Format {
	f, _ := Detect(in)
	return f
}

// Load parses every input into one ruleset.
func Load(inputs []Input, o Options) (*ir.Ruleset, *diag.List) {
	rs := &ir.Ruleset{}
	diags := &diag.List{}
	owner := map[string]string{}
	o.Inputs = nil
	for _, in := range inputs {
		if in.Name != "<stdin>" {
			o.Inputs = append(o.Inputs, in.Name)
		}
	}
	for _, in := range inputs {
		one := &ir.Ruleset{}
		f := o.From
		o.FormatWhy = "--from " + string(f) + " says so"
		if f == "" || f == Auto {
			f, o.FormatWhy = Detect(in)
		}
		if f != NFT && isNFT(in) {
			// --from save or script on an nftables file would only report
			// every line of it: the nft recogniser's certainty overrides
			// the flag.
			diags.Errorf(ir.Pos{File: in.Name, Line: 1, Col: 1}, "%s is an nftables file, which --from %s cannot read (--from nft reads it)", in.Name, f)
			continue
		}
		switch fe := Lookup(string(f)); {
		case in.IsDir && f != UFW:
			diags.Errorf(ir.Pos{File: in.Name}, "a directory, and only a ufw configuration is read from one (/etc/ufw or a copy of it, or a root directory holding etc/ufw)")
		case f == "":
			diags.Errorf(ir.Pos{File: in.Name}, "no input format of this build reads %s (it reads %s)", in.Name, strings.Join(Names(), ", "))
		case fe == nil:
			diags.Errorf(ir.Pos{File: in.Name}, "unknown input format %q", f)
		default:
			diags.Add(fe.Load(one, in, o))
		}
		// Two inputs holding the same table would replace each other; say
		// so instead of keeping only the last.
		for _, t := range one.Tables {
			k := fmt.Sprintf("%s %s", t.Family, t.Name)
			if prev, dup := owner[k]; dup {
				diags.Errorf(t.Src, "table %s (%s) is also defined in %s; give each table once", t.Name, t.Family, prev)
				continue
			}
			owner[k] = in.Name
			rs.Tables = append(rs.Tables, t)
		}
	}
	return rs, diags
}

// isNFTJSON recognises the output of nft -j list ruleset.
func isNFTJSON(data []byte) bool {
	data = bytes.TrimSpace(data)
	return bytes.HasPrefix(data, []byte("{")) && bytes.Contains(data[:min(len(data), 64)], []byte(`"nftables"`))
}

// isNFT recognises an nftables file: an nft shebang, a .nft name, or a
// first statement that only nft takes (table, flush ruleset, include,
// define, add/create/delete of a table).
func isNFT(in Input) bool {
	if strings.HasSuffix(in.Name, ".nft") {
		return true
	}
	data := in.Data
	if bytes.HasPrefix(data, []byte("#!")) {
		line, _, _ := bytes.Cut(data, []byte("\n"))
		return bytes.Contains(line, []byte("nft"))
	}
	for _, line := range meaningfulLines(data) {
		w := strings.Fields(string(line))
		switch w[0] {
		case "table", "include", "define", "flush":
			return len(w) > 1 && (w[0] != "flush" || w[1] == "ruleset" || w[1] == "table")
		case "add", "create", "delete":
			return len(w) > 1 && (w[1] == "table" || w[1] == "chain" || w[1] == "rule")
		}
		return false
	}
	return false
}
