package script_test

import (
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/translate/ir"
	"github.com/ruleshift/ruleshift/translate/script"
)

// TestSaveLinesInScript checks that the lines of an iptables-save file met
// as commands are errors at their lines, the first naming why the file is
// a script, while the same lines in a here-document are read.
func TestSaveLinesInScript(t *testing.T) {
	src := "iptables -F\n*filter\n:INPUT ACCEPT [0:0]\n[0:0] -A INPUT -j ACCEPT\n-A INPUT -j DROP\nCOMMIT\n"
	d := script.Load(&ir.Ruleset{}, []byte(src), script.Options{Name: "t.sh", Dir: t.TempDir(),
		FormatWhy: `line 1 ("iptables -F") is a shell command`})
	d.Sort()
	want := []string{
		`t.sh:2:1: "*filter" is a line of an iptables-save file, not a command (t.sh is read as a script because line 1 ("iptables -F") is a shell command): feed such lines to iptables-restore with a here-document, or give them to ruleshift as a save file`,
		`t.sh:3:1: ":INPUT" is a line of an iptables-save file, not a command: feed`,
		`t.sh:4:1: "[0:0]" is a line`,
		`t.sh:5:1: "-A" is a line`,
		`t.sh:6:1: "COMMIT" is a line`,
	}
	if len(d.Items) != len(want) {
		t.Fatalf("got %v", d.Items)
	}
	for i, w := range want {
		if got := d.Items[i].String(); !strings.HasPrefix(got, w) || !d.HasErrors() {
			t.Errorf("got %q, want %q…", got, w)
		}
	}

	rs := &ir.Ruleset{}
	hdoc := "iptables-restore <<EOF\n*filter\n:INPUT ACCEPT [0:0]\n-A INPUT -j ACCEPT\nCOMMIT\nEOF\n"
	if d := script.Load(rs, []byte(hdoc), script.Options{Name: "t.sh", Dir: t.TempDir()}); len(d.Items) != 0 || rs.RuleCount() != 1 {
		t.Errorf("here-document: %v\n%s", d.Items, ir.Dump(rs))
	}
}
