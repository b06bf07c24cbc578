#!/bin/bash
# Restrict outgoing traffic to what an Ubuntu server needs, in the style of
# the classic "how do I block all outgoing traffic except..." answer:
# paste these lines one by one, then save them with iptables-persistent.
#
# Note: iptables resolves the host names below once, when each rule is
# added. If the mirror moves, the rules keep the old addresses.

sudo apt-get install -y iptables-persistent

# Loopback and replies to connections we opened
sudo iptables -A OUTPUT -o lo -p all -j ACCEPT
sudo iptables -A OUTPUT -m state --state RELATED,ESTABLISHED -j ACCEPT

# Package mirrors (http only)
sudo iptables -A OUTPUT -p tcp --dport 80 -d archive.ubuntu.com -j ACCEPT
sudo iptables -A OUTPUT -p tcp --dport 80 -d security.ubuntu.com -j ACCEPT
sudo iptables -A OUTPUT -p tcp --dport 443 -d mirror.example.org -j ACCEPT

# Ping
sudo iptables -A OUTPUT -p icmp --icmp echo-request -j ACCEPT

# DNS, on udp and on tcp for large answers
sudo iptables -A OUTPUT -p udp --dport 53 -j ACCEPT
sudo iptables -A OUTPUT -p tcp --dport 53 -j ACCEPT

# Only root may open ssh connections to other hosts
sudo iptables -A OUTPUT -p tcp --dport 22 -m owner --uid-owner root -j ACCEPT

# Everything else is refused at once rather than timing out
sudo iptables -A OUTPUT -j REJECT

sudo netfilter-persistent save
