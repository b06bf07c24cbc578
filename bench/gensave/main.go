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
	flag.Parse()
	if err := gen.Rules(os.Stdout, *n, *script); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
