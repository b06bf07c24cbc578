#!/bin/bash
# In the style of a classic how-to, as found in public repositories: 0/0
# for "any", lower-case flag names, ranges from variables. The two
# --tcp-flags rules compare a flag that lies outside their mask, so they
# never match; a translation that masks the compared value would drop
# every packet without FIN instead.
WAN="eth0"
LAN_NET="192.168.10.0/24"
HIGH="1024:65535"

iptables -F
iptables -t nat -F
iptables -P INPUT DROP
iptables -P FORWARD DROP

iptables -A INPUT -i lo -j ACCEPT
iptables -A INPUT -s 0/0 -m state --state RELATED,ESTABLISHED -j ACCEPT
iptables -A INPUT -p tcp --tcp-flags fin urg -i $WAN -s 0/0 -d $LAN_NET -j DROP
iptables -A INPUT -p tcp --tcp-flags syn,rst ack -i $WAN -j DROP
iptables -A INPUT -s 0/0 -p tcp --dport 22 --syn -j ACCEPT
iptables -A INPUT -p tcp --sport 80 -s 0/0 --dport $HIGH -d $LAN_NET -j ACCEPT
iptables -A INPUT -p udp --sport 53 -s 8.8.8.8,8.8.4.4 --dport $HIGH -d $LAN_NET -j ACCEPT
iptables -A FORWARD -i $WAN -m state --state INVALID -j DROP
iptables -A FORWARD -p tcp --sport $HIGH -s $LAN_NET --dport 80 -d 0/0 -j ACCEPT
iptables -t nat -A POSTROUTING -o $WAN -j MASQUERADE
