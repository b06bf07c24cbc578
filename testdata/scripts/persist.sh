#!/bin/bash
# ruleshift-test: no-oracle (writes files on the host when run for real)
# The end of many how-tos: load modules, set sysctls, save the rules, make
# an ipset. None of it is run; each line becomes a warning.

modprobe ip_conntrack_ftp
sysctl -w net.ipv4.ip_forward=1
echo 1 > /proc/sys/net/ipv4/ip_forward

ipset create blacklist hash:ip
iptables -A INPUT -p tcp --dport 22 -j ACCEPT
nft add rule inet filter input tcp dport 80 accept

curl -fsSL https://example.org/extra-rules.sh | sh
for ip in $(curl -fsSL https://example.org/bad-ips.txt); do
	iptables -A INPUT -s "$ip" -j DROP
done

iptables-save > /etc/iptables/rules.v4
ip6tables-save > /etc/iptables/rules.v6
iptables-save | tee /etc/iptables/rules.v4.bak > /dev/null
sudo sh -c "iptables-save > /etc/iptables.up.rules"
iptables-restore < /etc/iptables/rules.v4
