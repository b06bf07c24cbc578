package nftables

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/ruleshift/ruleshift/translate/ir"
)

// nftErrLine finds the script line of an nft error ("/dev/stdin:12:5-20:
// Error: …").
var nftErrLine = regexp.MustCompile(`(?m)^[^:\s]+:(\d+):[0-9-]+: Error: (.*)$`)

// scriptError turns a failed nft -f of the rendered script into an error
// naming the rule of the first line nft complained about. skip is the
// number of lines before the rendered script.
func scriptError(rs *ir.Ruleset, fams []ir.Family, script string, skip int, out string, err error) error {
	m := nftErrLine.FindStringSubmatch(out)
	if m == nil {
		return fmt.Errorf("nft -f: %v: %s", err, strings.TrimSpace(out))
	}
	line, _ := strconv.Atoi(m[1])
	loc := scriptLines(rs, fams)
	if i := line - 1 - skip; i >= 0 && i < len(loc) && loc[i].table != "" {
		o := loc[i]
		re := &RuleError{Table: o.table, Chain: o.chain, Index: o.index, Err: fmt.Errorf("nft: %s", m[2])}
		if o.rule != nil {
			re.Pos = o.rule.Src
		}
		return re
	}
	return fmt.Errorf("nft -f: line %d: %s", line, m[2])
}

// scriptLines gives, for each line of what Render writes, the table, chain
// and rule it belongs to, following renderTable's layout: the three table
// lines, declarations, then per chain its opening line, the hook and
// comment lines, one line per rule, and the closing brace.
func scriptLines(rs *ir.Ruleset, fams []ir.Family) []origin {
	loc := []origin{{}, {}} // the two header comment lines
	meters := planMeters(rs)
	for _, f := range rs.Families() {
		if !hasFamily(fams, f) {
			continue
		}
		for _, t := range rs.Tables {
			if t.Family != f {
				continue
			}
			tn := f.String() + " " + TableName(t.Name)
			names := ChainNames(t, nil)
			decls := &Decls{}
			meters.declare(decls, t)
			for _, c := range t.Chains {
				for _, r := range c.Rules {
					// Only the declarations' count is needed here.
					RuleText(r, RuleContext{Family: f, Table: t.Name, Chain: c.Name, Base: c.Base, ChainNames: names, Decls: decls, meters: meters})
				}
			}
			for i := 0; i < 3+decls.Len(); i++ {
				loc = append(loc, origin{table: tn})
			}
			for _, c := range t.Chains {
				co := origin{table: tn, chain: names[c.Name]}
				loc = append(loc, co)
				if c.IsBase() {
					loc = append(loc, co)
				}
				if names[c.Name] != c.Name {
					loc = append(loc, co)
				}
				for i, r := range c.Rules {
					loc = append(loc, origin{table: tn, chain: names[c.Name], rule: r, index: i + 1})
				}
				loc = append(loc, co)
			}
			for i := mirrorLines(t, names, decls); i > 0; i-- {
				loc = append(loc, origin{table: tn})
			}
			loc = append(loc, origin{table: tn})
		}
	}
	return loc
}
