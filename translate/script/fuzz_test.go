package script_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ruleshift/ruleshift/translate/ir"
	"github.com/ruleshift/ruleshift/translate/script"
)

// FuzzScript feeds arbitrary text to the script frontend: no input may
// panic, hang past the limits, or yield a rule without a position.
// Seeds are the test scripts and the hostile snippets.
func FuzzScript(f *testing.F) {
	list, _ := filepath.Glob(filepath.Join(scriptsDir, "*.sh"))
	for _, p := range list {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(string(data))
		}
	}
	for _, h := range hostile {
		f.Add(fmt.Sprintf(h.src, "/nonexistent"))
	}
	f.Add("iptables -A INPUT -p tcp --dport 22 -j ACCEPT\n")
	f.Add("sh -c 'iptables -I INPUT 1 -j DROP' && iptables -D INPUT 1\n")
	f.Add("iptables-restore <<EOF\n*filter\n-A INPUT -j ACCEPT\nCOMMIT\nEOF\n")
	f.Add("eval \"$(echo iptables -N X)\"; iptables -E X Y; iptables -X Y\n")
	f.Add("while read -r n; do iptables -A INPUT -s \"$n\" -j DROP; done < <(cat <(seq 1 2) >(sh))\nmapfile -t A < <(ip a)\n")
	dir := f.TempDir()
	resolve := hostsResolver(f).Resolve
	f.Fuzz(func(t *testing.T, src string) {
		rs := &ir.Ruleset{}
		// Both modes: the length's parity picks one.
		d := script.Load(rs, []byte(src), script.Options{Name: "fuzz.sh", Dir: dir, Resolve: resolve,
			MaxSteps: 20000, Timeout: 2 * time.Second, MaxMemory: 64 << 20, AsRun: len(src)%2 == 1})
		for _, x := range d.Items {
			if x.Pos.File == "" || strings.Contains(x.Pos.File, "\x00") {
				t.Errorf("diagnostic without a proper file: %v", x)
			}
		}
		for _, tb := range rs.Tables {
			for _, c := range tb.Chains {
				for _, r := range c.Rules {
					if r.Src.File == "" || strings.Contains(r.Src.File, "\x00") {
						t.Errorf("rule without a proper position in chain %s: %+v", c.Name, r.Src)
					}
				}
			}
		}
	})
}
