#!/bin/bash
# Block lists kept in files beside the script, read with cat and with a
# while loop; ports from arrays, ranges from seq and brace expansion.

BLOCKLIST=blocklist.txt

iptables -N BLOCKED
iptables -A BLOCKED -m limit --limit 1/s -j LOG --log-prefix "blocked: "
iptables -A BLOCKED -j DROP

for ip in $(cat "$BLOCKLIST"); do
	iptables -A INPUT -s "$ip" -m comment --comment "blocklist: $ip" -j BLOCKED
done

while read -r net reason; do
	case "$net" in
	'#'* | '') continue ;;
	esac
	iptables -A INPUT -s "$net" -m comment --comment "$reason" -j DROP
done < networks.txt

GAME_PORTS=(27015 27016)
for p in "${GAME_PORTS[@]}"; do
	iptables -A INPUT -p udp --dport "$p" -j ACCEPT
done

for i in $(seq 1 3); do
	iptables -A INPUT -s "10.50.$i.0/24" -p tcp --dport 5432 -j ACCEPT
done

for port in {8000..8002}; do
	iptables -A INPUT -p tcp --dport "$port" -s 10.60.0.0/16 -j ACCEPT
done

iptables -A INPUT -p tcp -m multiport --dports 6000:6007,7000 -j REJECT
