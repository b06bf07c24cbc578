#!/bin/sh
# set -e ends the script at the first command that fails unchecked; as
# run, nothing after it happens. Failures the script checks do not stop it.
set -e

iptables -F
iptables -X SSH 2>/dev/null || true
iptables -N SSH
iptables -A SSH -s 198.51.100.0/24 -j ACCEPT
iptables -A SSH -j DROP
if ! iptables -C INPUT -p tcp --dport 22 -j SSH 2>/dev/null; then
	iptables -A INPUT -p tcp --dport 22 -j SSH
fi
iptables -D INPUT -p tcp --dport 23 -j DROP && echo "telnet rule removed"

# The typo stops the script here when it runs: no policy change below.
iptables -A INPUT -m state --state ESTABLISHED,RELATED -j ACEPT
iptables -A INPUT -i lo -j ACCEPT
iptables -P INPUT DROP
