#!/bin/sh
# The ways people reach iptables in the wild: sudo with options, sh -c and
# bash -c strings, env, command, exported variables read by a child shell.

sudo iptables -N SSH_IN
sudo -E iptables -A INPUT -p tcp --dport 22 -j SSH_IN
sudo sh -c 'iptables -A SSH_IN -s 10.1.0.0/16 -j ACCEPT'
sudo bash -c "iptables -A SSH_IN -s 10.2.0.0/16 -j ACCEPT; iptables -A SSH_IN -j DROP"

export WEB_PORT=8080
sh -c 'iptables -A INPUT -p tcp --dport "$WEB_PORT" -j ACCEPT'
sh -c 'ip6tables -A INPUT -p tcp --dport "$1" -j ACCEPT' sh 8081

env LC_ALL=C iptables -A INPUT -p udp --dport 161 -s 10.3.0.1 -j ACCEPT
command iptables -A INPUT -p udp --dport 162 -s 10.3.0.1 -j ACCEPT
nice -n 10 ip6tables -A INPUT -p udp --dport 161 -j DROP
sudo -u root -- iptables -A OUTPUT -p tcp --dport 25 -j REJECT --reject-with tcp-reset

IPTABLES=$(command -v iptables)
"$IPTABLES" -A INPUT -p icmp --icmp-type timestamp-request -j DROP
$(which ip6tables) -A INPUT -p ipv6-icmp --icmpv6-type echo-request -j ACCEPT

exec iptables -A INPUT -j REJECT
