package nftables_test

import (
	"bufio"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"mvdan.cc/sh/v3/shell"

	"github.com/ruleshift/ruleshift/backends/nftables"
	"github.com/ruleshift/ruleshift/internal/testenv"
	ipt "github.com/ruleshift/ruleshift/translate/iptables"
	"github.com/ruleshift/ruleshift/translate/ir"
)

var txlateRun = flag.String("txlate.run", "", "only run txlate cases whose file:line matches this regexp")

const corpusDir = "../../../shared/corpus"

// txCase is one iptables-translate vector of the iptables project.
type txCase struct {
	id       string // file:line
	family   ir.Family
	args     []string
	expected []string // nft commands without the "nft " prefix and quotes
}

func readTxlate(t *testing.T) []txCase {
	dir := filepath.Join(corpusDir, "txlate")
	files, _ := filepath.Glob(filepath.Join(dir, "*.txlate"))
	if len(files) == 0 {
		testenv.Missing(t, "corpus %s not found", dir)
	}
	var out []txCase
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(fh)
		var lines []string
		for sc.Scan() {
			lines = append(lines, sc.Text())
		}
		fh.Close()
		for i := 0; i < len(lines); i++ {
			l := lines[i]
			var fam ir.Family
			switch {
			case strings.HasPrefix(l, "iptables-translate "):
				fam = ir.IPv4
			case strings.HasPrefix(l, "ip6tables-translate "):
				fam = ir.IPv6
			default:
				continue
			}
			words, err := shell.Fields(l, nil)
			if err != nil {
				t.Fatalf("%s:%d: %v", f, i+1, err)
			}
			c := txCase{id: fmt.Sprintf("%s:%d", filepath.Base(f), i+1), family: fam, args: words[1:]}
			for j := i + 1; j < len(lines) && strings.HasPrefix(lines[j], "nft"); j++ {
				e := strings.TrimSpace(strings.TrimPrefix(lines[j], "nft"))
				e = strings.TrimSuffix(strings.TrimPrefix(e, "'"), "'")
				c.expected = append(c.expected, e)
			}
			out = append(out, c)
		}
	}
	return out
}

// knownDifferences reads testdata/txlate/differences.txt: "file:line reason".
func knownDifferences(t *testing.T) map[string]string {
	m := map[string]string{}
	data, err := os.ReadFile("../../testdata/txlate/differences.txt")
	if err != nil {
		return m
	}
	for _, l := range strings.Split(string(data), "\n") {
		if l == "" || l[0] == '#' {
			continue
		}
		id, why, _ := strings.Cut(l, " ")
		m[id] = strings.TrimSpace(why)
	}
	return m
}

var (
	ruleCmd  = regexp.MustCompile(`^(add|insert) rule (ip|ip6) (\S+) (\S+) (.*)$`)
	jumpTo   = regexp.MustCompile(`\b(?:jump|goto) (\S+)`)
	flushCmd = regexp.MustCompile(`^flush table (ip|ip6) (\S+)$`)
	setCmd   = regexp.MustCompile(`^add set (ip|ip6) (\S+) `)
)

// translateCase renders the case with ruleshift, returning nft commands.
func translateCase(c txCase) ([]string, error) {
	cmd, diags := ipt.ParseCommand(ipt.Tokens(c.args, ir.Pos{File: c.id}), ipt.ParseOptions{Family: c.family, Lenient: true})
	if diags.HasErrors() {
		return nil, diags.Err()
	}
	table := cmd.Table
	if table == "" {
		table = "filter"
	}
	verb := "add"
	switch cmd.Op {
	case ipt.OpAppend:
	case ipt.OpInsert:
		verb = "insert"
	case ipt.OpFlush:
		return []string{fmt.Sprintf("flush table %s %s", c.family, table)}, nil
	default:
		return nil, fmt.Errorf("command %s is not a rule", cmd.Op)
	}
	var out []string
	decls := &nftables.Decls{}
	for _, r := range cmd.Rules {
		text, d := nftables.RuleText(r, nftables.RuleContext{Family: c.family, Table: table, Chain: cmd.Chain, Base: ipt.BaseOf(table, cmd.Chain), Decls: decls})
		if d.HasErrors() {
			return nil, d.Err()
		}
		out = append(out, fmt.Sprintf("%s rule %s %s %s %s", verb, c.family, table, cmd.Chain, text))
	}
	// Sets the rules use (connlimit) are declared first, as
	// iptables-translate prints them.
	return append(decls.Commands(c.family, table), out...), nil
}

// load runs the commands in a clean namespace and returns the listing.
func load(ns *testenv.Netns, cmds []string) (string, error) {
	ns.Run(nil, "nft", "flush", "ruleset")
	var b strings.Builder
	made := map[string]bool{}
	for _, c := range cmds {
		if m := ruleCmd.FindStringSubmatch(c); m != nil {
			tk := m[2] + " " + m[3]
			if !made[tk] {
				fmt.Fprintf(&b, "add table %s\n", tk)
				made[tk] = true
			}
			if !made[tk+" "+m[4]] {
				fmt.Fprintf(&b, "add chain %s %s\n", tk, m[4])
				made[tk+" "+m[4]] = true
			}
			// Replay mode runs each case alone: chains it jumps to exist.
			for _, j := range jumpTo.FindAllStringSubmatch(m[5], -1) {
				if !made[tk+" "+j[1]] {
					fmt.Fprintf(&b, "add chain %s %s\n", tk, j[1])
					made[tk+" "+j[1]] = true
				}
			}
		}
		if m := flushCmd.FindStringSubmatch(c); m != nil {
			fmt.Fprintf(&b, "add table %s %s\n", m[1], m[2])
		}
		if m := setCmd.FindStringSubmatch(c); m != nil && !made[m[1]+" "+m[2]] {
			fmt.Fprintf(&b, "add table %s %s\n", m[1], m[2])
			made[m[1]+" "+m[2]] = true
		}
		b.WriteString(c)
		b.WriteByte('\n')
	}
	if _, err := ns.Run([]byte(b.String()), "nft", "-f", "-"); err != nil {
		return "", err
	}
	return ns.Run(nil, "nft", "list", "ruleset")
}

// TestTxlate checks ruleshift against the iptables project's own
// translation vectors: the expected nft rule and ours are loaded into a
// scratch namespace in turn and the kernel's listings compared.
func TestTxlate(t *testing.T) {
	cases := readTxlate(t)
	testenv.RequireBinary(t, "nft")
	ns := testenv.NewNetns(t, "rs-txlate")
	known := knownDifferences(t)
	var re *regexp.Regexp
	if *txlateRun != "" {
		re = regexp.MustCompile(*txlateRun)
	}
	counts := map[string]int{}
	wrongExpected := 0 // documented cases where the vector's nft line is wrong
	var report []string
	total := 0
	for _, c := range cases {
		if re != nil && !re.MatchString(c.id) {
			continue
		}
		total++
		ours, terr := translateCase(c)
		var outcome, detail string
		switch {
		case len(c.expected) == 0:
			outcome = "no-expectation"
		case terr != nil:
			outcome, detail = "reported-error", terr.Error()
		default:
			want, werr := load(ns, c.expected)
			got, gerr := load(ns, ours)
			switch {
			case werr != nil:
				outcome, detail = "expected-does-not-load", werr.Error()
			case gerr != nil:
				outcome, detail = "ours-does-not-load", fmt.Sprintf("%v\n    ours: %s", gerr, strings.Join(ours, "; "))
			case want == got:
				outcome = "equal"
			default:
				outcome, detail = "different", fmt.Sprintf("\n    want: %s\n    ours: %s", strings.Join(c.expected, "; "), strings.Join(ours, "; "))
			}
		}
		counts[outcome]++
		if outcome != "equal" {
			why, ok := known[c.id]
			line := fmt.Sprintf("%s %s: %s %s", c.id, outcome, strings.Join(c.args, " "), detail)
			if ok {
				line += "\n    documented: " + why
				if outcome == "different" {
					wrongExpected++
				}
			}
			report = append(report, line)
			if !ok && outcome != "expected-does-not-load" {
				t.Errorf("%s", line)
			}
		}
	}
	sort.Strings(report)
	for _, l := range report {
		t.Log(l)
	}
	var keys []string
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var sum []string
	for _, k := range keys {
		sum = append(sum, fmt.Sprintf("%s=%d", k, counts[k]))
	}
	t.Logf("txlate: %d cases: %s", total, strings.Join(sum, " "))
	// The bar: of the cases whose expected line loads on nft 1.0.6 (the
	// corpus is newer) and is not documented as a wrong expectation, 95%
	// must be equal; every other case must be documented in
	// testdata/txlate/differences.txt (checked above).
	if re == nil {
		comparable := total - counts["expected-does-not-load"] - counts["no-expectation"] - wrongExpected
		if min := (comparable*95 + 99) / 100; counts["equal"] < min {
			t.Errorf("only %d of %d comparable txlate cases are equal; at least %d (95%%) must be", counts["equal"], comparable, min)
		}
		t.Logf("txlate: %d of %d cases equal (%d%%); %d of %d comparable (%d%%)", counts["equal"], total, counts["equal"]*100/total, counts["equal"], comparable, counts["equal"]*100/max(comparable, 1))
	}
}
