#!/bin/bash
# Files the script reads that are not there. By default each is an error;
# as run, only the command reading it fails and bash goes on: the sourced
# settings stay unset, the loop over a missing list runs no time, the
# restore of a missing file loads nothing. (dash would end the script at
# the "." already.)

. ./asrun-missing-file.conf

iptables -A INPUT -i lo -j ACCEPT
iptables -A INPUT -s ${ADMIN:-192.0.2.10} -p tcp --dport 22 -j ACCEPT
# $ADMIN is empty: -s takes "-p" for its host, and iptables refuses.
iptables -A INPUT -s $ADMIN -p tcp --dport 2222 -j ACCEPT

while read -r port; do
	iptables -A INPUT -p tcp --dport "$port" -j ACCEPT
done < ./asrun-missing-file.ports

iptables-restore --noflush ./asrun-missing-file.rules
iptables -A INPUT -m conntrack --ctstate ESTABLISHED,RELATED -j ACCEPT
iptables -P INPUT DROP
