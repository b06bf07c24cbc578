package applytest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/internal/testenv"
)

// TestApplyAutoDryRun: --backend auto takes the backend that holds rules,
// else the distribution's default (a RHEL 9 root here, so that the answer
// does not depend on the host), and --dry-run shows the rule that changes.
func TestApplyAutoDryRun(t *testing.T) {
	need(t)
	g, o := writeFile(t, "good.v4", good), writeFile(t, "other.v4", other)
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "etc"), 0o755)
	os.WriteFile(filepath.Join(root, "etc/os-release"), []byte("ID=\"rhel\"\nVERSION_ID=\"9.5\"\n"), 0o644)
	for _, c := range []struct {
		name  string
		setup []string // a ruleshift apply, or a command
		want  string   // the backend line
		diff  bool     // the dry run shows the --dport change
	}{
		{"nothing loaded", nil, "backend: nftables (no firewall rules are loaded; rhel:9.5 uses nftables by default (profile rhel-9", false},
		{"own tables", []string{"apply", "--backend", "nftables", g}, "backend: nftables (ruleshift's nftables tables are loaded (ip ruleshift_filter))", true},
		{"legacy rules", []string{"apply", "--backend", "iptables-legacy", g}, "backend: iptables-legacy (iptables-legacy tables hold rules)", true},
		{"iptables-nft rules", []string{"apply", "--backend", "iptables-nft", g}, "backend: iptables-nft (iptables-nft tables hold rules (ip filter))", true},
		{"empty iptables-nft table", []string{"iptables-nft", "-t", "filter", "-L"}, "backend: nftables (no firewall rules are loaded; rhel:9.5", false},
		{"other nft table", []string{"nft", "add", "table", "inet", "other"}, "backend: nftables (nftables tables are in use (inet other))", false},
	} {
		ns := testenv.NewNetns(t, "hAa")
		if len(c.setup) > 0 && c.setup[0] == "apply" {
			if r := rs(ns, nil, c.setup...); r.code != 0 {
				t.Fatalf("%s: %s", c.name, r.stderr)
			}
		} else if len(c.setup) > 0 {
			if _, err := ns.Run(nil, c.setup[0], c.setup[1:]...); err != nil {
				t.Fatalf("%s: %v", c.name, err)
			}
		}
		r := rs(ns, nil, "apply", "--backend", "auto", "--root", root, "--dry-run", o)
		if r.code != 0 || !strings.Contains(r.stderr, c.want) || !strings.Contains(r.stderr, "dry run: nothing was changed") {
			t.Errorf("%s: exit %d, stderr:\n%s\nwant %q", c.name, r.code, r.stderr, c.want)
		}
		removed, added := "--dport 22 ", "--dport 2222 "
		if strings.Contains(c.want, "nftables") {
			removed, added = "tcp dport 22 ", "tcp dport 2222 "
		}
		if c.diff && (!strings.Contains(r.stdout, "-\t") || !strings.Contains(r.stdout, removed) ||
			!strings.Contains(r.stdout, "+\t") || !strings.Contains(r.stdout, added) ||
			!strings.Contains(r.stdout, "# 1 rules added, 1 removed,")) {
			t.Errorf("%s: the dry run does not show the changed rule:\n%s", c.name, r.stdout)
		}
		if !c.diff && !strings.Contains(r.stdout, "# 5 rules added, 0 removed,") {
			t.Errorf("%s: the dry run does not add the 5 rules:\n%s", c.name, r.stdout)
		}
	}
}
