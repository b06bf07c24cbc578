#!/bin/bash
# A server script in the $IPT style: absolute tool paths in variables,
# set -e, the xtables lock flag, and an action chosen with case.
set -euo pipefail

IPT="/sbin/iptables -w"
IPT6=/usr/sbin/ip6tables
TRUSTED="10.0.0.0/8 172.16.0.0/12 192.168.0.0/16"
TCP_PORTS=(25 465 587 993)

if [ "$(id -u)" -ne 0 ]; then
	echo "run this as root" >&2
	exit 1
fi

[ -x /sbin/iptables ] || { echo "iptables is not installed" >&2; exit 1; }

start() {
	$IPT -t filter -N MAIL
	for p in "${TCP_PORTS[@]}"; do
		$IPT -t filter -A MAIL -p tcp --dport "$p" -j ACCEPT
	done
	for net in $TRUSTED; do
		$IPT --wait -A INPUT -s "$net" -p tcp --dport 22 -j ACCEPT
	done
	$IPT -A INPUT -p tcp -m multiport --dports "$(IFS=,; echo "${TCP_PORTS[*]}")" -j MAIL
	$IPT6 -w 5 -A INPUT -p tcp --dport 22 -j ACCEPT
	$IPT -P INPUT DROP
	$IPT6 -P INPUT DROP
}

stop() {
	$IPT -P INPUT ACCEPT
	$IPT -F
	$IPT -X
}

case "${1:-start}" in
start) start ;;
stop) stop ;;
restart)
	stop
	start
	;;
*)
	echo "usage: $0 {start|stop|restart}" >&2
	exit 2
	;;
esac
