#!/bin/sh
# Years of edits made in place: rules inserted at a position, deleted by
# number and by specification, replaced, a chain renamed, policies set.

iptables -A INPUT -i lo -j ACCEPT
iptables -A INPUT -p tcp --dport 22 -j ACCEPT
iptables -A INPUT -p tcp --dport 80 -j ACCEPT
iptables -A INPUT -p tcp --dport 8080 -j ACCEPT
iptables -A INPUT -p tcp --dport 443 -j ACCEPT

# 2019: the test port goes away, by number
iptables -D INPUT 4
# ssh moves behind the VPN: replace rule 2
iptables -R INPUT 2 -i wg0 -p tcp --dport 22 -j ACCEPT
# established traffic first
iptables -I INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
# monitoring, inserted before http (now rule 4)
iptables -I INPUT 4 -s 10.9.0.0/16 -p tcp --dport 9100 -j ACCEPT
iptables -I INPUT 4 -s 10.9.0.0/16 -p tcp --dport 9090 -j ACCEPT
# and the 9090 one was a mistake, deleted by specification
iptables -D INPUT -s 10.9.0.0/16 -p tcp --dport 9090 -j ACCEPT

# A chain created, used, renamed
iptables -N WEB
iptables -A WEB -p tcp --dport 80 -j ACCEPT
iptables -A WEB -p tcp --dport 443 -j ACCEPT
iptables -E WEB HTTP
iptables -A INPUT -j HTTP

# An old chain that is emptied and removed
iptables -N OLD
iptables -A OLD -j RETURN
iptables -F OLD
iptables -X OLD

# Counters reset, then the policy closes
iptables -Z
iptables -P INPUT DROP
iptables -P FORWARD DROP
iptables -A INPUT -j REJECT
# ping allowed just before the final reject (rule 8 of 8)
iptables -I INPUT 8 -p icmp -j ACCEPT
# insert at the very end: position = number of rules + 1
iptables -I INPUT 10 -p udp --dport 33434:33534 -j REJECT
