package lint_test

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	_ "github.com/ruleshift/ruleshift/backends/iptables"
	"github.com/ruleshift/ruleshift/internal/corpus"
	"github.com/ruleshift/ruleshift/internal/testenv"
	"github.com/ruleshift/ruleshift/translate"
	"github.com/ruleshift/ruleshift/translate/ir"
	"github.com/ruleshift/ruleshift/translate/lint"
	"github.com/ruleshift/ruleshift/verify"
)

// loadDump reads a corpus dump, or reports why it cannot.
func loadDump(t testing.TB, path string) (*ir.Ruleset, bool) {
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// The TUM dumps carry anonymised MAC addresses the kernel would
	// refuse; any real one stands for them.
	data = bytes.ReplaceAll(data, []byte("XX:XX:XX:XX:XX:XX"), []byte("02:00:00:00:00:01"))
	rs, d := translate.Load([]translate.Input{{Name: filepath.Base(path), Data: data, Dir: filepath.Dir(path)}}, translate.Options{From: translate.Save})
	if d.HasErrors() {
		return nil, false
	}
	return rs, true
}

// prune removes the rules lint flags as removable (never reached, L5 and
// L9; redundant, L10; impossible, L11); it returns how many.
func prune(rs *ir.Ruleset) int {
	drop := map[*ir.Rule]bool{}
	for _, f := range lint.Run(rs, lint.Options{}) {
		if f.Removable && f.Rule != nil {
			drop[f.Rule] = true
		}
	}
	return ir.Rewrite(rs, func(_ *ir.Table, _ *ir.Chain, r *ir.Rule) ([]*ir.Rule, bool) {
		return nil, drop[r]
	})
}

// TestRemovingFlaggedRulesKeepsBehaviour is the soundness proof of the
// unreachable and redundant checks on real packets: for each corpus dump,
// the ruleset without every rule lint flags as never reached, redundant
// or impossible is loaded beside the whole one (both with
// iptables-legacy, from the same model), and verify's probes, which
// include the edges of every address and port the removed rules name,
// must all meet the same fate (a difference a second run does not
// repeat is a rate limit's timing, logged).
func TestRemovingFlaggedRulesKeepsBehaviour(t *testing.T) {
	testenv.RequireRoot(t)
	testenv.RequireBinary(t, "iptables-legacy-restore", "ip6tables-legacy-restore", "ip")
	n, removedAll := 0, 0
	for _, path := range corpus.SaveDumps(t) {
		full, ok := loadDump(t, path)
		if !ok {
			t.Logf("%s: does not load, skipped", filepath.Base(path))
			continue
		}
		pruned, _ := loadDump(t, path)
		removed := prune(pruned)
		if removed == 0 {
			continue
		}
		n++
		removedAll += removed
		t.Run(filepath.Base(path), func(t *testing.T) {
			old := &verify.Side{Label: "whole", Rules: full, Backend: verify.IPTablesLegacy}
			new := &verify.Side{Label: "pruned", Rules: pruned, Backend: verify.IPTablesLegacy}
			for _, s := range []*verify.Side{old, new} {
				if d := s.Prepare(); d.HasErrors() {
					t.Skipf("%s: %v", s.Label, d.Err())
				}
			}
			res := verifyOnce(t, old, new)
			if len(res.Diffs) > 0 {
				// Rate limits (limit, hashlimit) decide by the time a
				// probe comes: a difference only counts when a second
				// run repeats it for the same probe.
				again := map[int]bool{}
				for _, df := range verifyOnce(t, old, new).Diffs {
					again[df.Probe.ID] = true
				}
				for _, df := range res.Diffs {
					if !again[df.Probe.ID] {
						t.Logf("not repeated, taken as timing: #%d %s: %s / %s", df.Probe.ID, df.Probe, df.Old, df.New)
						continue
					}
					t.Errorf("#%d %s [%s]\n    whole   %s\n    pruned  %s", df.Probe.ID, df.Probe, df.Probe.Why, df.Old, df.New)
				}
			}
			t.Logf("%d rules removed of %d; %d probes", removed, full.RuleCount(), res.Originals+res.Replies)
		})
	}
	t.Logf("%d dumps with removable rules, %d rules removed", n, removedAll)
}

// verifyOnce runs verify in namespaces of its own.
func verifyOnce(t *testing.T, old, new *verify.Side) *verify.Result {
	t.Helper()
	var b [3]byte
	rand.Read(b[:])
	prefix := "rs-lint-" + hex.EncodeToString(b[:])
	t.Cleanup(func() { verify.Cleanup(prefix) })
	res, err := verify.Run(old, new, verify.Options{Probes: 800, Seed: 3, NSPrefix: prefix})
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	return res
}
