// Package gen writes large synthetic rulesets of mixed rules (addresses,
// ports, multiport, comments, limit, LOG, user chains) for benchmarks.
package gen

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// Mode picks the mix of rules.
type Mode int

const (
	// Mixed has a multiport rule every eighth rule, with 125 distinct
	// port lists.
	Mixed Mode = iota
	// Multiport makes every fourth rule multiport, drawing its port list
	// from 300 distinct lists of 2 to 9 ports and ranges: a ruleset where
	// the cost of sets dominates loading.
	Multiport
)

// Rules writes n rules of the Mixed mode as an iptables-save file, or with
// script set as a shell script of iptables commands.
func Rules(out io.Writer, n int, script bool) error { return RulesMode(out, n, script, Mixed) }

// portList is the k-th of the Multiport mode's distinct port lists:
// ascending ports and ranges, at most 15 ports as multiport allows.
func portList(k int) string {
	var b strings.Builder
	p := 20 + k*7%900
	for j := 0; j < 2+k%8; j++ {
		if j > 0 {
			b.WriteByte(',')
		}
		if (k+j)%5 == 0 {
			fmt.Fprintf(&b, "%d:%d", p, p+10+j)
			p += 11 + j
		} else {
			fmt.Fprintf(&b, "%d", p)
		}
		p += 1 + (k*31+j*17)%97
	}
	return b.String()
}

// RulesMode writes n rules of a mode.
func RulesMode(out io.Writer, n int, script bool, mode Mode) error {
	w := bufio.NewWriterSize(out, 1<<20)
	chains := []string{"INPUT", "FORWARD", "OUTPUT", "web", "ssh_in", "logdrop"}
	if script {
		fmt.Fprintln(w, "#!/bin/sh\nset -e\nIPT=iptables")
		for _, c := range chains[3:] {
			fmt.Fprintf(w, "$IPT -N %s\n", c)
		}
	} else {
		fmt.Fprintln(w, "*filter\n:INPUT DROP [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]")
		for _, c := range chains[3:] {
			fmt.Fprintf(w, ":%s - [0:0]\n", c)
		}
	}
	for i := 0; i < n; i++ {
		c := chains[i%len(chains)]
		a, b := byte(i>>8), byte(i)
		var rule string
		if mode == Multiport && i%4 == 1 {
			proto := "tcp"
			if i%3 == 0 {
				proto = "udp"
			}
			dir := "dports"
			if i%7 == 0 {
				dir = "sports"
			}
			rule = fmt.Sprintf("-p %s -m multiport --%s %s -j ACCEPT", proto, dir, portList((i/4*7919)%300))
		}
		switch {
		case rule != "":
		case i%8 == 2 && mode == Multiport:
			rule = fmt.Sprintf("-p tcp -m tcp --dport %d -j ACCEPT", 1+i%65000)
		case i%8 == 0:
			rule = fmt.Sprintf("-s 10.%d.%d.0/24 -p tcp -m tcp --dport %d -j ACCEPT", a, b, 1+i%65000)
		case i%8 == 1:
			rule = fmt.Sprintf("-d 192.168.%d.%d/32 -p udp -m udp --sport 53 -j ACCEPT", a, b)
		case i%8 == 2:
			rule = fmt.Sprintf("-p tcp -m multiport --dports 80,443,%d:%d -j ACCEPT", 8000+i%1000, 9000+i%1000)
		case i%8 == 3:
			rule = fmt.Sprintf("-s 172.16.%d.%d/32 -m comment --comment \"host %d\" -j DROP", a, b, i)
		case i%8 == 4:
			rule = "-m limit --limit 5/min --limit-burst 10 -j LOG --log-prefix \"drop: \" --log-level 4"
		case i%8 == 5:
			if c == "logdrop" {
				rule = "-j DROP"
			} else {
				rule = fmt.Sprintf("-i eth%d -p tcp -m tcp --dport 22 -j ssh_in", i%4)
			}
		case i%8 == 6:
			rule = fmt.Sprintf("! -s 10.0.0.0/8 -p icmp -m icmp --icmp-type 8 -j ACCEPT")
		case i%8 == 7:
			rule = fmt.Sprintf("-o eth1 -d 203.0.%d.0/24 -p tcp -m tcp --sport 1024:65535 -j REJECT --reject-with tcp-reset", b)
		}
		if c == "ssh_in" && i%8 == 5 && !strings.Contains(rule, "multiport --") {
			rule = "-j ACCEPT"
		}
		if script {
			fmt.Fprintf(w, "$IPT -A %s %s\n", c, rule)
		} else {
			fmt.Fprintf(w, "-A %s %s\n", c, rule)
		}
	}
	if !script {
		fmt.Fprintln(w, "COMMIT")
	}
	return w.Flush()
}
