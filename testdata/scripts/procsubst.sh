#!/bin/bash
# Process substitution: bash feeds a command's output through a pipe it
# names. ruleshift runs the list like a command substitution: cat of a file
# beside the script answers, ip is not run and gives nothing.

mapfile -t ADDRS < <(ip -4 -o addr show dev wan0 2>/dev/null | awk '{print $4}')
for a in "${ADDRS[@]}"; do
	iptables -A INPUT -d "$a" -p tcp --dport 22 -j ACCEPT
done

while read -r net reason; do
	case "$net" in
	'#'* | '') continue ;;
	esac
	iptables -A INPUT -s "$net" -m comment --comment "$reason" -j DROP
done < <(cat networks.txt)

while read -r n; do
	iptables -A INPUT -p tcp --dport "$((8080 + n))" -j ACCEPT
done < <(seq 0 2)

iptables-restore --noflush < <(cat <<'RULES'
*filter
-A OUTPUT -o lo -j ACCEPT
COMMIT
RULES
)
