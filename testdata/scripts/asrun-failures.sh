#!/bin/sh
# Commands iptables refuses, with nothing checking their status. By default
# each is an error; with --as-run each is a warning, the script goes on,
# and the result is what a real run leaves: the refused command changed
# nothing, though a table it named may now exist.

iptables -N WEB
iptables -A INPUT -p tcp --dport 80 -j WEB
iptables -A WEB -s 192.0.2.1 -j ACCEPT

# -D of a rule that is not there
iptables -D INPUT -p tcp --dport 443 -j WEB
# -D of two rules at once (one per address) when one is missing: neither goes
iptables -D WEB -s 192.0.2.1,192.0.2.2 -j ACCEPT
# -A to a chain nobody created, in a table not used before
iptables -t mangle -A WEBMARK -j MARK --set-mark 1
# a bad option, then a bad target
iptables -A INPUT -p tcp --destination-prot 22 -j ACCEPT
iptables -A INPUT -p udp --dport 53 -j ACCPET
# -X of a chain still in use, and of one that still holds rules
iptables -X WEB
iptables -F INPUT
iptables -X WEB
iptables -X NOSUCH

# iptables-restore commits each table at its COMMIT: filter is loaded, nat
# is refused at its bad line and stays as it was, raw is never read
iptables-restore --noflush <<'RULES'
*filter
-A INPUT -i lo -j ACCEPT
COMMIT
*nat
:POSTROUTING ACCEPT [0:0]
-A POSTROUTING -o eth0 -j MASQUERADE
-A POSTROUTING -o eth1 -j MASQUERAD
COMMIT
*raw
-A PREROUTING -p udp --dport 123 -j NOTRACK
COMMIT
RULES

ip6tables -A INPUT -p icmpv6 --icmpv6-type echo-request -j ACCEPT
ip6tables -A INPUT -p tcp --dport 22 -j ACCEPT --reject-with tcp-reset
iptables -A WEB -j RETURN
