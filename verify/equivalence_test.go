package verify

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/tools/txtar"

	"github.com/ruleshift/ruleshift/internal/corpus"
	"github.com/ruleshift/ruleshift/translate"
	"github.com/ruleshift/ruleshift/translate/diag"
	"github.com/ruleshift/ruleshift/translate/hosts"
	"github.com/ruleshift/ruleshift/translate/ir"
	// The script frontend, for the test scripts and examples.
	_ "github.com/ruleshift/ruleshift/translate/script"
)

// The equivalence suite: every testdata input, every example and every
// corpus dump the kernel accepts is loaded as written with
// iptables-legacy-restore (the baseline a user has) and verified against
// ruleshift's nftables, iptables-nft and iptables-legacy renderings of it.
// Any disagreement that reproduces when its probe is sent again alone
// fails. VERIFY_PROBES sets the probes per run (default 1000) to trade
// depth for time.

type suiteInput struct {
	name string
	data []byte
	dir  string
}

func repoRoot(t *testing.T) string {
	wd, _ := os.Getwd()
	for d := wd; d != "/"; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return d
		}
	}
	t.Fatal("go.mod not found")
	return ""
}

func suiteInputs(t *testing.T) []suiteInput {
	root := repoRoot(t)
	var out []suiteInput
	arch, _ := filepath.Glob(filepath.Join(root, "testdata", "translate", "*.txtar"))
	for _, a := range arch {
		ar, err := txtar.ParseFile(a)
		if err != nil {
			t.Fatal(err)
		}
		if hasSection(ar, "setup") {
			// Its rules need objects made outside the ruleset (nfacct),
			// which the verify namespaces do not have; TestGoldenLoads
			// loads them.
			t.Logf("%s: left out: it needs a setup", filepath.Base(a))
			continue
		}
		for _, f := range ar.Files {
			if strings.HasPrefix(f.Name, "in/") {
				out = append(out, suiteInput{strings.TrimSuffix(filepath.Base(a), ".txtar") + "/" + f.Name, f.Data, root})
			}
		}
	}
	ex, _ := filepath.Glob(filepath.Join(root, "examples", "*"))
	for _, e := range ex {
		if strings.HasSuffix(e, ".rules") || strings.HasSuffix(e, ".sh") {
			data, _ := os.ReadFile(e)
			out = append(out, suiteInput{"examples/" + filepath.Base(e), data, filepath.Dir(e)})
		}
	}
	for _, d := range corpus.SaveDumps(t) {
		data, _ := os.ReadFile(d)
		out = append(out, suiteInput{"corpus/" + filepath.Base(d), data, filepath.Dir(d)})
	}
	return out
}

func suiteLoad(t *testing.T, in suiteInput) (*ir.Ruleset, bool, *diag.List) {
	root := repoRoot(t)
	hf, _ := os.ReadFile(filepath.Join(root, "examples", "hosts"))
	hfile, _ := hosts.Parse("hosts", hf)
	o := translate.Options{Resolve: hfile.Resolver()}
	if strings.HasSuffix(in.name, ".v6") {
		o.Family = ir.IPv6
	}
	ti := translate.Input{Name: in.name, Data: in.data, Dir: in.dir}
	rs, d := translate.Load([]translate.Input{ti}, o)
	return rs, translate.DetectFormat(ti) == translate.Save, d
}

func TestEquivalence(t *testing.T) {
	needKernel(t)
	probes := 1000
	if v, err := strconv.Atoi(os.Getenv("VERIFY_PROBES")); err == nil {
		probes = v
	}
	var runs, sent, agreed atomic.Int64
	start := time.Now()
	t.Cleanup(func() {
		t.Logf("equivalence suite: %d verify runs, %d probes, %d runs agreed, %s", runs.Load(), sent.Load(), agreed.Load(), time.Since(start).Round(time.Millisecond))
	})
	for _, in := range suiteInputs(t) {
		t.Run(in.name, func(t *testing.T) {
			t.Parallel()
			rs, isSave, d := suiteLoad(t, in)
			if d.HasErrors() {
				t.Skipf("the input has errors, nothing to verify: %v", firstLines(d.Err().Error(), 2))
			}
			old := &Side{Label: in.name, Rules: rs, Backend: IPTablesLegacy}
			if fams := rs.Families(); isSave && len(fams) == 1 {
				old.Raw, old.RawFamily = in.data, fams[0]
			}
			if d := old.Prepare(); d.HasErrors() {
				t.Skipf("iptables-legacy cannot render it: %v", firstLines(d.Err().Error(), 2))
			}
			for _, b := range Backends {
				new := &Side{Label: in.name, Rules: rs, Backend: b}
				if d := new.Prepare(); d.HasErrors() {
					t.Logf("%s: refused by the renderer: %v", b, firstLines(d.Err().Error(), 1))
					continue
				}
				res, err := Run(old, new, Options{Probes: probes, Seed: 1, NSPrefix: prefix(t)})
				if le, ok := err.(*loadError); ok && le.side == "old" {
					t.Skipf("the kernel refuses the original: %v", err)
				}
				if err != nil {
					t.Errorf("%s: %v", b, err)
					continue
				}
				runs.Add(1)
				sent.Add(int64(res.Originals + res.Replies))
				var w strings.Builder
				res.Write(&w)
				if res.Stable() > 0 {
					t.Errorf("%s disagrees with the original:\n%s", b, firstLines(w.String(), 60))
					continue
				}
				if len(res.Diffs) > 0 {
					// Sent again alone, the sides agreed: NAT picked ports at
					// random, or some state differed. Shown, not failed.
					t.Logf("%s: differences that did not reproduce:\n%s", b, firstLines(w.String(), 30))
				}
				agreed.Add(1)
				t.Logf("%s: %d probes agree (%.0f/s, setup %s)", b, res.Originals+res.Replies, res.Rate(), res.Setup.Round(time.Millisecond))
			}
		})
	}
}

func hasSection(a *txtar.Archive, name string) bool {
	for _, f := range a.Files {
		if f.Name == name {
			return true
		}
	}
	return false
}
