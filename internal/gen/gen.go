// Package gen writes large synthetic rulesets of mixed rules (addresses,
// ports, multiport, comments, limit, LOG, user chains) for benchmarks.
package gen

import (
	"bufio"
	"fmt"
	"io"
)

// Rules writes n rules as an iptables-save file, or with script set as a
// shell script of iptables commands.
func Rules(out io.Writer, n int, script bool) error {
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
		switch i % 8 {
		case 0:
			rule = fmt.Sprintf("-s 10.%d.%d.0/24 -p tcp -m tcp --dport %d -j ACCEPT", a, b, 1+i%65000)
		case 1:
			rule = fmt.Sprintf("-d 192.168.%d.%d/32 -p udp -m udp --sport 53 -j ACCEPT", a, b)
		case 2:
			rule = fmt.Sprintf("-p tcp -m multiport --dports 80,443,%d:%d -j ACCEPT", 8000+i%1000, 9000+i%1000)
		case 3:
			rule = fmt.Sprintf("-s 172.16.%d.%d/32 -m comment --comment \"host %d\" -j DROP", a, b, i)
		case 4:
			rule = "-m limit --limit 5/min --limit-burst 10 -j LOG --log-prefix \"drop: \" --log-level 4"
		case 5:
			if c == "logdrop" {
				rule = "-j DROP"
			} else {
				rule = fmt.Sprintf("-i eth%d -p tcp -m tcp --dport 22 -j ssh_in", i%4)
			}
		case 6:
			rule = fmt.Sprintf("! -s 10.0.0.0/8 -p icmp -m icmp --icmp-type 8 -j ACCEPT")
		case 7:
			rule = fmt.Sprintf("-o eth1 -d 203.0.%d.0/24 -p tcp -m tcp --sport 1024:65535 -j REJECT --reject-with tcp-reset", b)
		}
		if c == "ssh_in" && i%8 == 5 {
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
