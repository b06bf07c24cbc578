#!/bin/bash
# One policy for both families: the common rules in a loop over the two
# tools, the ICMP rules per family.

for ipt in iptables ip6tables; do
	$ipt -P INPUT DROP
	$ipt -P FORWARD DROP
	$ipt -A INPUT -i lo -j ACCEPT
	$ipt -A INPUT -m conntrack --ctstate INVALID -j DROP
	$ipt -A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
	for port in 22 80 443; do
		$ipt -A INPUT -p tcp --dport $port -m conntrack --ctstate NEW -j ACCEPT
	done
	$ipt -N SERVICES
	$ipt -A INPUT -j SERVICES
	$ipt -A SERVICES -p udp --dport 123 -j ACCEPT
done

iptables -A INPUT -p icmp --icmp-type echo-request -m limit --limit 10/second -j ACCEPT
ip6tables -A INPUT -p ipv6-icmp --icmpv6-type echo-request -j ACCEPT
for t in neighbour-solicitation neighbour-advertisement router-advertisement; do
	ip6tables -A INPUT -p ipv6-icmp --icmpv6-type $t -m hl --hl-eq 255 -j ACCEPT
done
ip6tables -A INPUT -s fe80::/10 -p udp --dport 546 -j ACCEPT

# Backups come from one host, on both families
iptables -A SERVICES -s backup.example.net -p tcp --dport 873 -j ACCEPT
ip6tables -A SERVICES -s backup.example.net -p tcp --dport 873 -j ACCEPT

for ipt in iptables ip6tables; do
	$ipt -A INPUT -p tcp -j REJECT --reject-with tcp-reset
done
iptables -A INPUT -j REJECT --reject-with icmp-port-unreachable
ip6tables -A INPUT -j REJECT --reject-with icmp6-port-unreachable
