#!/bin/sh
# Home router: NAT from the LAN to the WAN, a few port forwards, a small
# input policy. Variables at the top, a function per forward.
set -e

WAN=eth0
LAN=eth1
LAN_NET=192.168.10.0/24
ROUTER_IP=192.168.10.1
IPT=iptables

modprobe nf_conntrack_ftp
echo 1 > /proc/sys/net/ipv4/ip_forward

# Start from a clean slate
$IPT -F
$IPT -X
$IPT -t nat -F
$IPT -t nat -X

$IPT -P INPUT DROP
$IPT -P FORWARD DROP
$IPT -P OUTPUT ACCEPT

$IPT -A INPUT -i lo -j ACCEPT
$IPT -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
$IPT -A INPUT -i $LAN -s $LAN_NET -j ACCEPT

# Services the router itself offers to the LAN
for port in 53 67 123; do
	$IPT -A INPUT -i $LAN -p udp --dport $port -j ACCEPT
done
for port in 22 53; do
	$IPT -A INPUT -i $LAN -p tcp --dport $port -j ACCEPT
done

# Rate-limited logging of what is dropped
$IPT -N LOGDROP
$IPT -A LOGDROP -m limit --limit 5/min --limit-burst 10 -j LOG --log-prefix "router drop: " --log-level 4
$IPT -A LOGDROP -j DROP

$IPT -A FORWARD -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
$IPT -A FORWARD -i $LAN -o $WAN -s $LAN_NET -j ACCEPT

# forward PROTO PORT HOST [HOSTPORT]: publish a LAN service on the WAN
forward() {
	proto=$1
	port=$2
	host=$3
	hostport=${4:-$2}
	$IPT -t nat -A PREROUTING -i $WAN -p "$proto" --dport "$port" -j DNAT --to-destination "$host:$hostport"
	$IPT -A FORWARD -i $WAN -o $LAN -p "$proto" -d "$host" --dport "$hostport" -m conntrack --ctstate NEW -j ACCEPT
}

forward tcp 80 192.168.10.20
forward tcp 443 192.168.10.20
forward tcp 2222 192.168.10.30 22
forward udp 51820 192.168.10.40

# Hairpin: LAN clients reaching the public address
$IPT -t nat -A POSTROUTING -o $LAN -s $LAN_NET -d 192.168.10.20 -p tcp -m multiport --dports 80,443 -j SNAT --to-source $ROUTER_IP
$IPT -t nat -A POSTROUTING -o $WAN -j MASQUERADE

$IPT -A INPUT -j LOGDROP
$IPT -A FORWARD -j LOGDROP
