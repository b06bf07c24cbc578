// Command gensave writes a large synthetic iptables-save file (or, with
// -script, a shell script of iptables commands) for the benchmark scripts.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/ruleshift/ruleshift/internal/gen"
)

func main() {
	n := flag.Int("rules", 100000, "number of rules")
	script := flag.Bool("script", false, "write a shell script of iptables -A commands")
	multiport := flag.Bool("multiport", false, "make every fourth rule multiport, with 300 distinct port lists")
	flag.Parse()
	mode := gen.Mixed
	if *multiport {
		mode = gen.Multiport
	}
	if err := gen.RulesMode(os.Stdout, *n, *script, mode); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
