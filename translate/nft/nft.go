// Package nft reads nftables rulesets into the model: the JSON that
// `nft -j list ruleset` prints (libnftables-json(5)), and nftables files,
// which it loads into a scratch network namespace of their own with
// `nft -f` and lists as JSON there. The host's ruleset is never touched.
//
// What it reads is what ruleshift's nftables backend writes, plus what
// iptables-nft and a hand-written nftables.conf use (ct state, iif/oif,
// port and address matches with anonymous or named sets, icmp types,
// counters, policies, jumps, log, limit, reject, nat). Anything else is an
// error naming the table, chain and rule handle: a rule is never dropped.
//
// Positions: the model's Pos of a rule (and of a chain, a table) is the
// input file with the object's kernel handle as its line,
// "x.json:handle:12"; the messages name table, chain and handle in words
// as well.
package nft

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"time"

	"github.com/ruleshift/ruleshift/translate"
	"github.com/ruleshift/ruleshift/translate/diag"
	"github.com/ruleshift/ruleshift/translate/ir"
)

func init() { translate.SetNFTLoader(Load) }

// IsJSON reports whether data looks like nft's JSON output.
func IsJSON(data []byte) bool {
	data = bytes.TrimSpace(data)
	return bytes.HasPrefix(data, []byte("{")) && bytes.Contains(data[:min(len(data), 64)], []byte(`"nftables"`))
}

// Load reads one input, JSON or an nftables file, into rs.
func Load(rs *ir.Ruleset, in translate.Input, _ translate.Options) *diag.List {
	if IsJSON(in.Data) {
		return ReadJSON(rs, in.Name, in.Data)
	}
	js, err := ListFile(in.Data, in.Dir)
	if err != nil {
		d := &diag.List{}
		d.Errorf(ir.Pos{File: in.Name}, "%v", err)
		return d
	}
	return ReadJSON(rs, in.Name, js)
}

// ListFile loads an nftables file into a new network namespace, which
// exists only for the nft process (unshare -n), and returns the ruleset as
// `nft -j list ruleset` prints it. dir is where include statements are
// resolved from. It needs root (CAP_SYS_ADMIN) and nft.
func ListFile(data []byte, dir string) ([]byte, error) {
	if _, err := exec.LookPath("nft"); err != nil {
		return nil, fmt.Errorf("reading an nftables file needs nft(8), which is not installed (or give nft -j list ruleset output)")
	}
	if _, err := exec.LookPath("unshare"); err != nil {
		return nil, fmt.Errorf("reading an nftables file needs unshare(1) for a scratch network namespace")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// The file arrives on stdin; the listing follows in the same namespace,
	// which the kernel deletes when the shell exits.
	cmd := exec.CommandContext(ctx, "unshare", "--net", "--", "sh", "-c", `nft -f /dev/stdin && nft -j list ruleset`)
	cmd.Stdin = bytes.NewReader(data)
	cmd.Dir = dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		msg := bytes.TrimSpace(errb.Bytes())
		if len(msg) == 0 {
			msg = []byte(err.Error())
		}
		return nil, fmt.Errorf("nft -f refused the file (loaded in a scratch network namespace): %s", msg)
	}
	return out.Bytes(), nil
}
