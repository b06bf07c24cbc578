// Command optload optimises an iptables-save file as --optimize does and
// loads the result over netlink into a network namespace, timing the
// two apart: bench/optimize-load.sh compares the load with
// iptables-nft-restore of the original file. Prints
// "RULES_BEFORE RULES_AFTER OPTIMIZE_SECONDS LOAD_SECONDS".
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/ruleshift/ruleshift/backends/nftables"
	"github.com/ruleshift/ruleshift/translate"
	"github.com/ruleshift/ruleshift/translate/ir"
	"github.com/ruleshift/ruleshift/translate/passes/optimize"
)

func main() {
	in := flag.String("in", "", "iptables-save file (IPv4)")
	netns := flag.String("netns", "", "network namespace path (/run/netns/NAME)")
	flag.Parse()
	data, err := os.ReadFile(*in)
	if err != nil {
		fail(err)
	}
	rs, d := translate.Load([]translate.Input{{Name: *in, Data: data}}, translate.Options{From: translate.Save, Family: ir.IPv4})
	if d.HasErrors() {
		fail(d.Err())
	}
	start := time.Now()
	opt, rep := optimize.Ruleset(rs)
	optTime := time.Since(start)
	start = time.Now()
	if _, err := nftables.Apply(opt, nftables.ApplyOptions{NetNS: *netns}); err != nil {
		fail(err)
	}
	fmt.Printf("%d %d %.2f %.2f\n", rep.Before, rep.After, optTime.Seconds(), time.Since(start).Seconds())
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "optload:", err)
	os.Exit(1)
}
