package script_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/translate/ir"
	"github.com/ruleshift/ruleshift/translate/script"
)

// TestProcSubstCreatesNothing runs process substitutions with TMPDIR, where
// the interpreter would make its named pipes, pointing at an empty
// directory: it must stay empty, and the substituted lists must still feed
// the commands that read them.
func TestProcSubstCreatesNothing(t *testing.T) {
	dir := t.TempDir()
	tmp := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "nets.txt"), []byte("10.0.0.0/8\n192.0.2.0/24\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TMPDIR", tmp)
	src := `mapfile -t IFACES < <(ip -o link show | awk '{print $2}')
for i in "${IFACES[@]}"; do iptables -A INPUT -i "$i" -j ACCEPT; done
while read -r net; do
	iptables -A INPUT -s "$net" -j DROP
done < <(cat nets.txt)
iptables-restore --noflush < <(printf '*filter\n-A OUTPUT -j ACCEPT\nCOMMIT\n')
echo done > >(logger)
`
	rs := &ir.Ruleset{}
	d := script.Load(rs, []byte(src), script.Options{Name: "t.sh", Dir: dir})
	d.Sort()
	var got []string
	for _, x := range d.Items {
		got = append(got, x.String())
	}
	want := []string{
		`t.sh:1:23: warning: "ip" is not run: only iptables commands are translated; its output is taken as empty [script]`,
		`t.sh:1:41: warning: "awk" is not run: only iptables commands are translated; its output is taken as empty [script]`,
		`t.sh:7:13: warning: process substitution >(…) is not run: what is written to it is discarded [script]`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("diagnostics:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if n := rs.RuleCount(); n != 3 {
		t.Errorf("%d rules, want 3 (two networks and the restored one; no interface):\n%s", n, ir.Dump(rs))
	}
	left, err := os.ReadDir(tmp)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) > 0 {
		t.Errorf("files created in TMPDIR: %v", left)
	}
}
