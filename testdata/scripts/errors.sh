#!/bin/sh
# iptables fails on these lines, by design: --as-run makes them warnings
# Every edit here fails in the real tool; each must fail at its position.

iptables -N USED
iptables -A INPUT -j USED
iptables -A INPUT -p tcp --dprot 22 -j ACCEPT
iptables -D INPUT -p tcp --dport 8080 -j ACCEPT
iptables -X USED
iptables -A MISSING -j ACCEPT
iptables -D INPUT 7
iptables -I INPUT 5 -j ACCEPT
iptables -P USED DROP
iptables -t nat -A POSTROUTING -j DROPP
ip6tables -A INPUT -p icmp --icmp-type echo-request -j ACCEPT
iptables -A INPUT -s 10.0.0.1 -d unknown.invalid -j ACCEPT
iptables -A INPUT -p tcp --dport 22 -j ACCEPT -j DROP
iptables
