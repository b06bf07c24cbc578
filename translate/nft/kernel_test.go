package nft_test

import (
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/ruleshift/ruleshift/backends/nftables"
	"github.com/ruleshift/ruleshift/internal/testenv"
	"github.com/ruleshift/ruleshift/internal/testinputs"
	"github.com/ruleshift/ruleshift/translate/ir"
	"github.com/ruleshift/ruleshift/translate/nft"
)

// TestKernelRoundTrip is the proof of the reader on what ruleshift
// writes: for every shared test input (golden cases, scripts, examples,
// corpus dumps) that the nftables backend renders, the script is loaded
// with nft -f, listed as JSON, read back, rendered again and loaded again;
// the two `nft list ruleset` texts must be identical. The kernel's listing
// is the judge rather than ir.Equal: the reader rebuilds some matches in
// another form the backend lowers the same way (a port set of a shared
// multiport declaration comes back as the rule's own list, tcp flags
// keep no "-p tcp" of their own), and what counts is that the kernel
// holds the same ruleset. One thing is left out of the comparison: the
// comment "iptables chain NAME" the backend puts on a chain it renames,
// which nft 1.0.6 does not print in its JSON; the rules, jumps and names
// in the kernel are still compared. And a constant named port set is
// compared by its elements (inlineSets): ruleshift shares a port list used
// by several rules as a set multiport_N, and when the kernel merges its
// ports into one range (22,23 is 22-23) the list read back has one
// element, which the backend writes inline. An input whose listing uses a construct the
// reader does not take must be refused with errors naming the table,
// chain and rule handle; those inputs are counted and named.
func TestKernelRoundTrip(t *testing.T) {
	testenv.RequireRoot(t)
	testenv.RequireBinary(t, "nft", "ip")
	ns := testenv.NewNetns(t, "rs-nftin")
	where := regexp.MustCompile(`^table (ip|ip6|inet) \S+(, chain \S+, rule handle \d+)?: |^table (ip|ip6|inet) \S+: `)
	same, refused, unrendered := 0, 0, 0
	var refusedNames []string
	for _, in := range testinputs.All(t, "../..") {
		text, d := nftables.Render(in.RS, nftables.Options{})
		if d.HasErrors() {
			unrendered++
			continue
		}
		first := load(t, ns, in.Name, text)
		if first == "" {
			continue
		}
		js, err := ns.Run(nil, "nft", "-j", "list", "ruleset")
		if err != nil {
			t.Fatalf("%s: %v", in.Name, err)
		}
		rs := &ir.Ruleset{}
		rd := nft.ReadJSON(rs, in.Name+".json", []byte(js))
		if rd.HasErrors() {
			refused++
			refusedNames = append(refusedNames, in.Name)
			for _, e := range rd.Errors() {
				if !where.MatchString(e.Msg) || e.Pos.Line == 0 {
					t.Errorf("%s: an error that names no table, chain and handle: %s", in.Name, e)
				}
			}
			t.Logf("%s: refused: %s", in.Name, rd.Errors()[0])
			continue
		}
		again, d2 := nftables.Render(rs, nftables.Options{})
		if d2.HasErrors() {
			t.Errorf("%s: what was read back does not render: %v", in.Name, d2.Err())
			continue
		}
		second := load(t, ns, in.Name+" (read back)", again)
		if second != first {
			t.Errorf("%s: the kernel holds another ruleset after the round trip:\n%s", in.Name, firstDiff(first, second))
			continue
		}
		same++
	}
	t.Logf("%d inputs round-trip to an identical kernel listing; %d refused with a named construct (%s); %d not rendered to nftables in the first place", same, refused, strings.Join(refusedNames, ", "), unrendered)
	if same == 0 {
		t.Error("no input round-tripped")
	}
}

var chainComment = regexp.MustCompile(`(?m)^\t\tcomment "iptables chain [^"\n]*"\n`)

// load replaces the namespace's ruleset with text and returns its listing
// ("" after reporting a failure).
func load(t *testing.T, ns *testenv.Netns, name, text string) string {
	t.Helper()
	if _, err := ns.Run(nil, "nft", "flush", "ruleset"); err != nil {
		t.Fatal(err)
	}
	if _, err := ns.Run([]byte(text), "nft", "-f", "-"); err != nil {
		t.Errorf("%s: nft -f: %v", name, err)
		return ""
	}
	out, err := ns.Run(nil, "nft", "list", "ruleset")
	if err != nil {
		t.Fatal(err)
	}
	return inlineSets(chainComment.ReplaceAllString(out, ""))
}

func firstDiff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return fmt.Sprintf("line %d:\n- %s\n+ %s", i+1, x, y)
		}
	}
	return ""
}

var setDecl = regexp.MustCompile(`(?m)^\tset (multiport_\d+) \{\n\t\ttype inet_service\n(?:\t\tflags interval\n)?\t\telements = \{ ([^}\n]*) \}\n\t\}\n\n?`)

// inlineSets replaces each reference to a constant port set of ruleshift's
// (multiport_N) with its elements, as nft prints an anonymous set or a
// single value, and drops the declarations.
func inlineSets(listing string) string {
	elems := map[string]string{}
	for _, m := range setDecl.FindAllStringSubmatch(listing, -1) {
		e := m[2]
		if !strings.Contains(e, ",") {
			elems[m[1]] = e
		} else {
			elems[m[1]] = "{ " + e + " }"
		}
	}
	listing = setDecl.ReplaceAllString(listing, "")
	return regexp.MustCompile(`@multiport_\d+`).ReplaceAllStringFunc(listing, func(ref string) string {
		if e, ok := elems[ref[1:]]; ok {
			return e
		}
		return ref
	})
}
