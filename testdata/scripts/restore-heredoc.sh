#!/bin/sh
# Rules kept in the script as iptables-restore input, with shell variables
# expanded inside the here-documents.

ADMIN_NET=10.20.0.0/16
SSH_PORT=22

iptables-restore <<EOF
*filter
:INPUT DROP [0:0]
:FORWARD DROP [0:0]
:OUTPUT ACCEPT [0:0]
:ADMIN - [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A INPUT -s $ADMIN_NET -j ADMIN
-A ADMIN -p tcp --dport $SSH_PORT -j ACCEPT
-A ADMIN -p icmp -j ACCEPT
COMMIT
*raw
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
-A PREROUTING -p udp --dport 123 -j CT --notrack
COMMIT
EOF

# A quoted delimiter keeps $ literal; --noflush adds to what is there.
ip6tables-restore --noflush <<'EOF'
*filter
:INPUT ACCEPT [0:0]
-A INPUT -i lo -j ACCEPT
-A INPUT -p ipv6-icmp -j ACCEPT
-A INPUT -m comment --comment "costs $0" -j DROP
COMMIT
EOF

# Added to the restored rules afterwards
iptables -A INPUT -p tcp --dport 443 -j ACCEPT

# A second restore with --noflush keeps the filter table and adds to it
cat <<EOF | iptables-restore -n
*filter
-A INPUT -p tcp --dport 80 -j ACCEPT
COMMIT
EOF
