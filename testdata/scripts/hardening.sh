#!/bin/sh
# Hardening snippets collected from several guides: ssh brute-force limits,
# connection limits, invalid packets, MSS clamping, marks and notrack, in
# the raw, mangle and filter tables.

# SSH: at most 4 new connections a minute per address
iptables -A INPUT -p tcp --dport 22 -m conntrack --ctstate NEW -m recent --set --name SSH --rsource
iptables -A INPUT -p tcp --dport 22 -m conntrack --ctstate NEW -m recent --update --seconds 60 --hitcount 4 --name SSH --rsource -j DROP

# No more than 20 parallel http connections per /24
iptables -A INPUT -p tcp --syn --dport 80 -m connlimit --connlimit-above 20 --connlimit-mask 24 -j REJECT --reject-with tcp-reset

# Drop what makes no sense
iptables -A INPUT -m conntrack --ctstate INVALID -j DROP
iptables -A INPUT -p tcp --tcp-flags ALL NONE -j DROP
iptables -A INPUT -p tcp --tcp-flags ALL ALL -j DROP
iptables -A INPUT -p tcp ! --syn -m conntrack --ctstate NEW -j DROP
iptables -A INPUT -f -j DROP
iptables -A INPUT -m pkttype --pkt-type broadcast -j DROP
iptables -A INPUT -p icmp --icmp-type echo-request -m limit --limit 1/s --limit-burst 4 -j ACCEPT
iptables -A INPUT -p icmp --icmp-type echo-request -j DROP

# Mangle: clamp MSS for the tunnel, mark VoIP for the shaper
iptables -t mangle -A FORWARD -o wg0 -p tcp --tcp-flags SYN,RST SYN -j TCPMSS --clamp-mss-to-pmtu
iptables -t mangle -A PREROUTING -p udp --dport 5060:5061 -j MARK --set-mark 0x10
iptables -t mangle -A PREROUTING -p udp -m multiport --sports 10000:20000 -j DSCP --set-dscp-class EF

# Raw: DNS served locally needs no connection tracking
iptables -t raw -A PREROUTING -p udp --dport 53 -j CT --notrack
iptables -t raw -A OUTPUT -p udp --sport 53 -j CT --notrack

# Address ranges and time windows
iptables -A INPUT -m iprange --src-range 10.0.0.100-10.0.0.150 -p tcp --dport 3389 -j ACCEPT
iptables -A FORWARD -s 192.168.50.0/24 -m time --timestart 22:00 --timestop 06:00 --weekdays Mon,Tue,Wed,Thu,Fri -j REJECT
