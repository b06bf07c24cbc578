package ufw

import (
	"context"
	"fmt"
	"os/exec"
	"path"
	"strings"

	"github.com/ruleshift/ruleshift/backends"
	"github.com/ruleshift/ruleshift/internal/ufwenv"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// applyScratch loads rs into a throwaway network namespace the way ufw
// loads it at boot: ufw-init start, on private copies of the host's
// /etc/ufw and /etc/default/ufw with the rendered files written over
// them, mounted in a private mount namespace (internal/ufwenv). Nothing
// of the host changes. verify loads a ufw side this way, and apply
// --dry-run the new side it compares.
func (b ufwBackend) applyScratch(rs *ir.Ruleset, o backends.ApplyOptions, res *backends.ApplyResult) (*backends.ApplyResult, error) {
	if why := ufwenv.Available(); why != "" {
		return res, fmt.Errorf("%s", why)
	}
	host := system{root: "/"}
	ws, _, d, err := b.plan(rs, host, o.Params)
	res.Diags = d
	if err != nil {
		return res, err
	}
	cfg := ufwenv.Config{Etc: map[string]string{}, Defaults: map[string]string{}, LogLevel: host.logLevel()}
	for _, w := range ws {
		if w.path == defaultFile {
			for _, k := range defaultKeys {
				if hasKey(string(w.data), k) {
					cfg.Defaults[k] = strings.Trim(getKey(string(w.data), k), `"`)
				}
			}
			continue
		}
		cfg.Etc[path.Base(w.path)] = string(w.data)
	}
	if _, err := ufwenv.Start(o.NetNS, cfg); err != nil {
		return res, err
	}
	res.Summary = append(res.Summary, fmt.Sprintf("loaded %d rules with ufw-init start on private copies of /etc/ufw in %s", res.Rules, o.NetNS))
	return res, nil
}

// List prints, per family, the tables ufw's load touches as the save tool
// of `iptables` (the one ufw runs) prints them: filter, and the other
// tables of rs, whose rules after.init hooks in.
func (b ufwBackend) List(ctx context.Context, rs *ir.Ruleset, o backends.ApplyOptions) ([]backends.Listing, error) {
	var out []backends.Listing
	for _, f := range []ir.Family{ir.IPv4, ir.IPv6} {
		tables := []string{"filter"}
		for _, t := range rs.Tables {
			if t.Family == f && t.Name != "filter" {
				tables = append(tables, t.Name)
			}
		}
		tool, key := "iptables-save", "ipv4"
		if f == ir.IPv6 {
			tool, key = "ip6tables-save", "ipv6"
		}
		var text strings.Builder
		for _, t := range tables {
			args := []string{tool, "-t", t}
			if o.NetNS != "" {
				args = append([]string{"nsenter", "--net=" + nsPath(o.NetNS)}, args...)
			}
			listing, err := exec.CommandContext(ctx, args[0], args[1:]...).Output()
			if err != nil {
				return nil, fmt.Errorf("%s -t %s: %v", tool, t, err)
			}
			text.Write(listing)
		}
		out = append(out, backends.Listing{Format: backends.SaveFormat, Key: key, Text: text.String()})
	}
	return out, nil
}
