package nftables

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/google/nftables/expr"
	"github.com/ruleshift/ruleshift/backends/nftables/stmt"
	"github.com/ruleshift/ruleshift/internal/testinputs"
	"github.com/ruleshift/ruleshift/translate/diag"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// censusInput is one ruleset of the test data, the examples or the corpus.
type censusInput struct {
	name string
	rs   *ir.Ruleset
}

// censusInputs loads every input that translates: the txtar cases, the
// scripts, the examples and the iptables-save corpus.
func censusInputs(t *testing.T) []censusInput {
	var out []censusInput
	for _, in := range testinputs.All(t, "../..") {
		out = append(out, censusInput{in.Name, in.RS})
	}
	return out
}

// unencodedRules lists, for every rule of the ruleset that renders but that
// the netlink encoder cannot compile, the reason, including the rules of
// the CT mirror chains.
func unencodedRules(rs *ir.Ruleset) []string {
	var out []string
	diags := &diag.List{}
	meters := planMeters(rs)
	for _, f := range rs.Families() {
		for _, t := range rs.Tables {
			if t.Family != f {
				continue
			}
			names := ChainNames(t, diags)
			mt, names, _ := withCtMirror(t, names)
			decls := &Decls{}
			meters.declare(decls, t)
			if decls.Len() > 0 && !declsEncodable(decls.Items(), f) {
				out = append(out, "named "+censusKey(decls.Lines()[0]))
			}
			ctx := RuleContext{Family: f, Table: t.Name, ChainNames: names, Decls: decls, meters: meters}
			for _, c := range mt.Chains {
				cctx, cdiags, prefix := ctx.forChain(c), diags, ""
				if c.MirrorOf != "" {
					cdiags, prefix = &diag.List{}, "ct mirror: "
				}
				for _, r := range c.Rules {
					nd, nDecls := len(cdiags.Items), decls.Len()
					sr := lowerRule(r, cctx, cdiags)
					if cdiags.HasErrorsSince(nd) {
						continue
					}
					if why := ruleUnencoded(sr, f, decls, nDecls); why != "" {
						out = append(out, prefix+why)
					}
				}
			}
		}
	}
	return out
}

// ruleUnencoded is what keeps one rendered rule from netlink, "" if none.
func ruleUnencoded(sr *stmt.Rule, f ir.Family, decls *Decls, nDecls int) string {
	if decls.Len() > nDecls && !declsEncodable(decls.Items()[nDecls:], f) {
		return "named " + strings.Fields(decls.Lines()[nDecls])[0] + ": " + censusKey(decls.Lines()[nDecls])
	}
	if _, err := encodeRule(sr, f, false); err != nil {
		if testing.Verbose() {
			fmt.Printf("unencodable: %s\n\t%s\n", err, stmt.AppendRule(nil, sr))
		}
		return censusKey(err.Error())
	}
	return ""
}

// declsEncodable is replaced once named declarations are encoded.
var declsEncodable = func(ds []stmt.Decl, _ ir.Family) bool {
	for _, d := range ds {
		if !declEncodable(d) {
			return false
		}
	}
	return true
}

var censusValue = regexp.MustCompile(`\b0x[0-9a-f]+\b|\b\d[\d.:/-]*\b`)

// censusKey strips values from a reason so that reasons group.
func censusKey(s string) string {
	s = strings.TrimSuffix(s, ": "+errUnencodable.Error())
	s = censusValue.ReplaceAllString(s, "V")
	if len(s) > 90 {
		s = s[:90]
	}
	return s
}

// minCensusInputs is the fewest inputs the census must see render: the
// golden cases, scripts, examples and corpus render 53 today, so a
// smaller count means the inputs were not found and the census proved
// nothing.
const minCensusInputs = 40

// TestNetlinkCensus lists the constructs the netlink encoder cannot write,
// with counts, and fails if any input that renders has one: apply has no
// nft -f fallback, so such an input could not be applied.
func TestNetlinkCensus(t *testing.T) {
	reasons := map[string]int{}
	inputs, unencoded := 0, 0
	for _, in := range censusInputs(t) {
		if _, d := Render(in.rs, Options{}); d.HasErrors() {
			t.Logf("does not render: %s", in.name)
			continue
		}
		inputs++
		why := unencodedRules(in.rs)
		if len(why) > 0 {
			unencoded++
			t.Logf("unencodable: %s: %s", in.name, strings.Join(why, " | "))
		}
		for _, w := range why {
			reasons[w]++
		}
	}
	keys := make([]string, 0, len(reasons))
	for k := range reasons {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		return reasons[keys[i]] > reasons[keys[j]] || reasons[keys[i]] == reasons[keys[j]] && keys[i] < keys[j]
	})
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%5d  %s\n", reasons[k], k)
	}
	t.Logf("%d inputs render, %d have rules the encoder cannot write; by construct:\n%s", inputs, unencoded, b.String())
	if inputs < minCensusInputs {
		t.Errorf("only %d inputs render, want at least %d: were the test data found?", inputs, minCensusInputs)
	}
	if unencoded > 0 {
		t.Errorf("%d of %d inputs have rules the netlink encoder cannot write; it must cover them:\n%s", unencoded, inputs, b.String())
	}
}

// TestNetlinkCensusDetects makes sure the census can fail: a statement
// the encoder does not cover is reported, one it covers is not.
func TestNetlinkCensusDetects(t *testing.T) {
	// A value of the wrong length is a statement the encoder refuses.
	bad := &stmt.Rule{Stmts: []stmt.Stmt{&stmt.Cmp{Field: stmt.IPSaddr, Value: []byte{10}}}}
	if why := ruleUnencoded(bad, ir.IPv4, &Decls{}, 0); why == "" {
		t.Error("a one-byte ip saddr is not encoded over netlink, but the census did not report it")
	}
	ssh := &stmt.Rule{Stmts: []stmt.Stmt{
		&stmt.Cmp{Field: stmt.Port(6, true), Value: []byte{0, 22}},
		&stmt.Verdict{Kind: expr.VerdictAccept},
	}}
	if why := ruleUnencoded(ssh, ir.IPv4, &Decls{}, 0); why != "" {
		t.Errorf("tcp dport 22 accept reported as unencodable: %s", why)
	}
}
