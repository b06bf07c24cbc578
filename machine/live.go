package machine

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"strings"

	"github.com/ruleshift/ruleshift/translate/iptables"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// Runner runs a listing tool and returns its standard output and error.
// An error wrapping exec.ErrNotFound means the tool is not installed.
type Runner func(ctx context.Context, name string, args ...string) (stdout, stderr []byte, err error)

// Local runs tools on this machine, inside the named network namespace
// (ip netns exec) when netns is not "".
func Local(netns string) Runner {
	return func(ctx context.Context, name string, args ...string) ([]byte, []byte, error) {
		if _, err := exec.LookPath(name); err != nil {
			return nil, nil, err
		}
		if netns != "" {
			args = append([]string{"netns", "exec", netns, name}, args...)
			name = "ip"
		}
		cmd := exec.CommandContext(ctx, name, args...)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		return out.Bytes(), errb.Bytes(), err
	}
}

// saveTools are the listing tools of the iptables variants, per family.
var saveTools = []struct {
	src  Source
	fam  ir.Family
	tool string
}{
	{Legacy, ir.IPv4, "iptables-legacy-save"},
	{Legacy, ir.IPv6, "ip6tables-legacy-save"},
	{NFTCompat, ir.IPv4, "iptables-nft-save"},
	{NFTCompat, ir.IPv6, "ip6tables-nft-save"},
}

// ReadLive reads what the kernel runs: the legacy tables, iptables-nft's
// tables and the native nftables tables (every nft table that is not
// iptables-nft's own), both families. A missing tool is a note (that
// part is not read); a tool that fails is an error.
func ReadLive(ctx context.Context, run Runner, o Options) *State {
	s := newState()
	// The nft tables that iptables-nft-save lists as its own: nft's JSON
	// holds them too, in the form iptables-nft wrote, which the save text
	// reads better (xt matches are listed without their options).
	compat := map[string]bool{}
	for _, st := range saveTools {
		out, errb, err := run(ctx, st.tool)
		if err != nil {
			if errors.Is(err, exec.ErrNotFound) {
				s.notef("%s is not installed: its tables are not read", st.tool)
				continue
			}
			s.Diags.Errorf(ir.Pos{File: st.tool}, "%s failed: %v: %s", st.tool, err, strings.TrimSpace(string(errb)))
			continue
		}
		if st.src == NFTCompat {
			markCompat(compat, st.fam, out, errb)
		}
		rs := &ir.Ruleset{}
		s.Diags.Add(iptables.ParseSave(rs, st.tool, out, iptables.SaveOptions{Family: st.fam}))
		s.add(rs, st.src, st.tool, o)
	}
	out, errb, err := run(ctx, "nft", "-j", "list", "ruleset")
	switch {
	case errors.Is(err, exec.ErrNotFound):
		s.notef("nft is not installed: native nftables tables are not read")
	case err != nil:
		s.Diags.Errorf(ir.Pos{File: "nft"}, "nft -j list ruleset failed: %v: %s", err, strings.TrimSpace(string(errb)))
	default:
		s.readNftJSON("nft", out, "", compat, o)
	}
	return s
}

// markCompat records the tables iptables-nft-save lists as its own. A
// table it calls incompatible ("# Table `nat' is incompatible, use 'nft'
// tool.", or "contains incompatible base-chains", after which 1.8.9 still
// prints the table with empty built-in chains) was made with nft and is
// read from nft's JSON.
func markCompat(compat map[string]bool, fam ir.Family, out, errb []byte) {
	for _, l := range strings.Split(string(out), "\n") {
		if strings.HasPrefix(l, "*") {
			compat[fam.String()+" "+strings.TrimSpace(l[1:])] = true
		}
	}
	for _, l := range strings.Split(string(out)+"\n"+string(errb), "\n") {
		if rest, ok := strings.CutPrefix(l, "# Table `"); ok && strings.Contains(l, "incompatible") {
			if name, _, ok := strings.Cut(rest, "'"); ok {
				compat[fam.String()+" "+name] = false
			}
		}
	}
}

// AttachBoot names, on each entry of live, what loads a table of the same
// family and name at boot according to boot (a root's State).
func AttachBoot(live, boot *State) {
	for _, e := range live.Entries {
		var on, off []string
		for _, b := range boot.Entries {
			if b.Key() != e.Key() {
				continue
			}
			how := b.Boot + " from " + b.From
			if b.Source != e.Source && !(b.Source == UFW && e.Source != Native) {
				how += " as " + string(b.Source)
			}
			if b.AtBoot {
				on = append(on, how)
			} else {
				off = append(off, how)
			}
		}
		switch {
		case len(on) > 0:
			e.Boot = strings.Join(on, "; ")
			e.AtBoot = true
		case len(off) > 0:
			e.Boot = "not loaded at boot (" + strings.Join(off, "; ") + ")"
		default:
			e.Boot = "not loaded at boot"
		}
	}
}
