#!/bin/sh
# A script written to be run again and again: it checks before it adds and
# hides the errors of cleanups that fail on a fresh machine.

# Clean-ups that fail the first time, and say so on stderr
iptables -D INPUT -j FW_INPUT 2>/dev/null
iptables -F FW_INPUT 2>/dev/null
iptables -X FW_INPUT 2>/dev/null || true

# Create the chain, or empty it when it is already there
iptables -N FW_INPUT 2>/dev/null || iptables -F FW_INPUT
iptables -N FW_INPUT 2>/dev/null || iptables -F FW_INPUT

add() {
	iptables -C "$@" 2>/dev/null || iptables -A "$@"
}

add FW_INPUT -p tcp --dport 22 -j ACCEPT
add FW_INPUT -p tcp --dport 80 -j ACCEPT
add FW_INPUT -p tcp --dport 22 -j ACCEPT
add INPUT -j FW_INPUT
add INPUT -j FW_INPUT

if ! iptables -C INPUT -p icmp -j ACCEPT 2>/dev/null; then
	iptables -I INPUT 1 -p icmp -j ACCEPT
fi
if iptables -C INPUT -p icmp -j ACCEPT; then
	echo "icmp rule present"
fi

while ! iptables -C FW_INPUT -p udp --dport 53 -j ACCEPT 2>/dev/null; do
	iptables -A FW_INPUT -p udp --dport 53 -j ACCEPT
done
