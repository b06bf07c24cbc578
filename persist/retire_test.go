package persist_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/ruleshift/ruleshift/persist"
)

// TestRetirement: a retirement's file moved aside and unit disabled stay
// so through a later persist with other rules, and unpersist brings the
// seeded root back byte for byte; a second persist's replacement of
// ruleshift's own file keeps no backup of it.
func TestRetirement(t *testing.T) {
	root := t.TempDir()
	writeTree(t, root, seedText(t, seeds("debian-12", debBase, "ifupdown", "nfp", "nfp-enabled")))
	before := dumpTree(t, root)
	rules := filepath.Join(root, "etc/iptables/rules.v4")
	link := filepath.Join(root, "etc/systemd/system/multi-user.target.wants/netfilter-persistent.service")
	ret := &persist.Retirement{
		Files:    []persist.File{{Path: "/etc/iptables/rules.v4", Remove: true}},
		Services: []persist.Service{{Unit: "netfilter-persistent.service", Action: persist.Disable}},
	}
	o := persist.Options{Backend: "nftables", Retire: ret}
	if _, _, err := run(t, root, loadInputs(t, nil), o); err != nil {
		t.Fatal(err)
	}
	gone := func(when string) {
		for _, p := range []string{rules, link} {
			if _, err := os.Lstat(p); err == nil {
				t.Errorf("%s: %s is there", when, p)
			}
		}
	}
	gone("after the retirement")
	if _, _, err := run(t, root, loadInputs(t, []string{"egress.v6"}), persist.Options{Backend: "nftables"}); err != nil {
		t.Fatal(err)
	}
	gone("after a later persist")
	if err := persist.Unpersist(persist.Options{Root: root, Out: &bytes.Buffer{}}); err != nil {
		t.Fatal(err)
	}
	if got := dumpTree(t, root); got != before {
		t.Errorf("unpersist did not restore the seeded root:\n%s", lineDiff(before, got))
	}
}
