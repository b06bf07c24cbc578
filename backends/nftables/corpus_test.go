package nftables_test

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/backends/nftables"
	"github.com/ruleshift/ruleshift/internal/corpus"
	"github.com/ruleshift/ruleshift/internal/testenv"
	"github.com/ruleshift/ruleshift/translate"
	"github.com/ruleshift/ruleshift/translate/diag"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// TestCorpusNftLoads is the proof for the nftables output: for every
// corpus dump the kernel accepts, ruleshift's script loads with nft -f and
// every chain holds as many rules as the source chain; or the dump is
// refused, and then only with errors that name a construct nftables cannot
// express.
func TestCorpusNftLoads(t *testing.T) {
	testenv.RequireBinary(t, "nft", "iptables-legacy-restore", "ip6tables-legacy-restore")
	loaded, refused := 0, 0
	for _, dump := range corpus.SaveDumps(t) {
		name := filepath.Base(dump)
		fam, restore := ir.IPv4, "iptables-legacy-restore"
		if strings.HasSuffix(dump, ".v6") {
			fam, restore = ir.IPv6, "ip6tables-legacy-restore"
		}
		data, err := os.ReadFile(dump)
		if err != nil {
			t.Fatal(err)
		}
		probe := testenv.NewNetns(t, "rs-nl")
		if _, err := probe.Run(data, restore); err != nil {
			continue // the kernel refuses the dump: TestCorpusRoundTrip covers it
		}
		rs, diags := translate.Load([]translate.Input{{Name: name, Data: data}}, translate.Options{From: translate.Save, Family: fam})
		if diags.HasErrors() {
			t.Errorf("%s: parse: %v", name, diags.Err())
			continue
		}
		text, rd := nftables.Render(rs, nftables.Options{})
		if rd.HasErrors() {
			refused++
			for _, d := range rd.Errors() {
				if !strings.Contains(d.Msg, "cannot be translated to nftables") {
					t.Errorf("%s: unexpected render error: %s", name, d)
				}
			}
			t.Logf("%s: refused: %s", name, summarize(rd))
			continue
		}
		ns := testenv.NewNetns(t, "rs-nl")
		if _, err := ns.Run([]byte(text), "nft", "-f", "-"); err != nil {
			t.Errorf("%s: nft -f refuses our output: %v", name, err)
			continue
		}
		// Loading twice must work too: the script replaces its tables.
		if _, err := ns.Run([]byte(text), "nft", "-f", "-"); err != nil {
			t.Errorf("%s: a second load fails: %v", name, err)
			continue
		}
		listing, _ := ns.Run(nil, "nft", "list", "ruleset")
		if msg := compareCounts(rs, listing); msg != "" {
			t.Errorf("%s: %s", name, msg)
			continue
		}
		loaded++
	}
	t.Logf("nftables: %d dumps load with every rule, %d refused with named constructs", loaded, refused)
}

func summarize(d *diag.List) string {
	seen := map[string]bool{}
	var out []string
	for _, e := range d.Errors() {
		what, _, _ := strings.Cut(e.Msg, " cannot be translated")
		if !seen[what] {
			seen[what] = true
			out = append(out, fmt.Sprintf("%s (%s)", what, e.Pos))
		}
	}
	return strings.Join(out, "; ")
}

var chainLine = regexp.MustCompile(`^\s*chain (\S+) \{$`)

// compareCounts checks that each chain of the listing holds as many rules
// as the model's chain.
func compareCounts(rs *ir.Ruleset, listing string) string {
	got := map[string]int{}
	table, chain := "", ""
	for _, l := range strings.Split(listing, "\n") {
		s := strings.TrimSpace(l)
		switch {
		case strings.HasPrefix(s, "table "):
			table = strings.TrimSuffix(strings.TrimPrefix(s, "table "), " {")
		case chainLine.MatchString(l):
			chain = chainLine.FindStringSubmatch(l)[1]
			got[table+" "+chain] += 0
		case s == "}" || s == "" || strings.HasPrefix(s, "type ") || strings.HasPrefix(s, "comment "):
		default:
			got[table+" "+chain]++
		}
	}
	for _, t := range rs.Tables {
		names := nftables.ChainNames(t, nil)
		for _, c := range t.Chains {
			k := fmt.Sprintf("%s %s %s", t.Family, nftables.TableName(t.Name), names[c.Name])
			n, ok := got[k]
			if !ok {
				return fmt.Sprintf("chain %s is missing from the loaded ruleset", k)
			}
			if n != len(c.Rules) {
				return fmt.Sprintf("chain %s holds %d rules, the source %d", k, n, len(c.Rules))
			}
		}
	}
	return ""
}
