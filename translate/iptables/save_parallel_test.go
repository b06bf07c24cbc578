package iptables

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/ruleshift/ruleshift/internal/gen"
	"github.com/ruleshift/ruleshift/translate/ir"
)

// TestParallelParseSame checks that parsing a large file on all CPUs gives
// the same model and the same diagnostics, in the same order, as parsing
// it line by line, errors and table changes included.
func TestParallelParseSame(t *testing.T) {
	var buf bytes.Buffer
	gen.Rules(&buf, 6000, false)
	data := buf.Bytes()
	// Errors at several places, a second table, and a rule after COMMIT.
	data = bytes.Replace(data, []byte("-A INPUT -m limit"), []byte("-A INPUT -m limmit"), 3)
	data = append(data, []byte("*nat\n:POSTROUTING ACCEPT [0:0]\n-A POSTROUTING -o eth0 -j MASQUERADE\n-A POSTROUTING --bogus\nCOMMIT\n-A INPUT -j ACCEPT\n")...)
	parse := func(min int) (string, string) {
		old := parallelMin
		parallelMin = min
		defer func() { parallelMin = old }()
		rs := &ir.Ruleset{}
		d := ParseSave(rs, "big", data, SaveOptions{Family: ir.IPv4})
		return ir.Dump(rs), fmt.Sprint(d.Items)
	}
	seqDump, seqDiags := parse(1 << 30)
	parDump, parDiags := parse(1)
	if seqDump != parDump {
		t.Error("parallel and sequential parses give different models")
	}
	if seqDiags != parDiags {
		t.Errorf("diagnostics differ:\nsequential: %.500s\nparallel:   %.500s", seqDiags, parDiags)
	}
	if seqDiags == "[]" {
		t.Error("the test input should produce diagnostics")
	}
}
