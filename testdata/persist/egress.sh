#!/bin/sh
# The how-to's egress firewall: deny outgoing traffic except what the
# machine needs. The how-to ended with iptables-save > /etc/iptables.rules
# and a pre-up line; `ruleshift persist` replaces those two steps.
IPT=iptables
IP6T=ip6tables

for ipt in $IPT $IP6T; do
	$ipt -F
	$ipt -X
	$ipt -P INPUT ACCEPT
	$ipt -P FORWARD DROP
	$ipt -P OUTPUT DROP
done

$IPT -N EGRESS-LOG
$IPT -A OUTPUT -o lo -j ACCEPT
$IPT -A OUTPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
$IPT -A OUTPUT -p udp --dport 53 -j ACCEPT
$IPT -A OUTPUT -p tcp --dport 53 -j ACCEPT
$IPT -A OUTPUT -p udp --dport 123 -j ACCEPT
$IPT -A OUTPUT -p tcp -m multiport --dports 80,443 -m comment --comment "web and package mirrors" -j ACCEPT
$IPT -A OUTPUT -p tcp -d 10.0.0.0/8 --dport 22 -j ACCEPT
$IPT -A OUTPUT -j EGRESS-LOG
$IPT -A EGRESS-LOG -m limit --limit 5/min -j LOG --log-prefix "egress-drop: "
$IPT -A EGRESS-LOG -j DROP

$IP6T -A OUTPUT -o lo -j ACCEPT
$IP6T -A OUTPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
$IP6T -A OUTPUT -p ipv6-icmp -j ACCEPT
$IP6T -A OUTPUT -p udp --dport 53 -j ACCEPT
$IP6T -A OUTPUT -p tcp -m multiport --dports 80,443 -j ACCEPT
