#!/bin/sh
### BEGIN INIT INFO
# Provides:          firewall
# Required-Start:    $network
# Default-Start:     2 3 4 5
# Short-Description: old-style firewall init script
### END INIT INFO
#
# A sysv-init firewall of the 2000s: functions per part, configuration in
# variables, a while loop over a here-string of "port/proto" pairs, and a
# cleanup that resets every table first.

PATH=/sbin:/usr/sbin:/bin:/usr/bin
EXT_IF="eth0"
SERVICES="22/tcp 25/tcp 53/udp 53/tcp 80/tcp 443/tcp"

log() { echo "firewall: $*"; }

reset_all() {
	for table in filter nat mangle raw; do
		iptables -t $table -F
		iptables -t $table -X
		iptables -t $table -Z
	done
	for chain in INPUT FORWARD OUTPUT; do
		iptables -P $chain ACCEPT
	done
}

open_services() {
	while IFS=/ read -r port proto; do
		[ -n "$port" ] || continue
		iptables -A INPUT -i $EXT_IF -p "$proto" --dport "$port" -j ACCEPT
	done <<EOF
$(for s in $SERVICES; do echo "$s"; done)
EOF
}

basic_policy() {
	iptables -P INPUT DROP
	iptables -P FORWARD DROP
	iptables -A INPUT -i lo -j ACCEPT
	iptables -A INPUT -m state --state ESTABLISHED,RELATED -j ACCEPT
	i=0
	while [ $i -lt 3 ]; do
		iptables -A INPUT -i $EXT_IF -p tcp --dport $((6881 + i)) -j ACCEPT
		i=$((i + 1))
	done
}

case "$1" in
stop)
	log "stopping"
	reset_all
	;;
*)
	log "starting"
	reset_all
	basic_policy
	open_services
	iptables -A INPUT -i $EXT_IF -j LOG --log-prefix "fw-in: " --log-level info
	;;
esac
exit 0
