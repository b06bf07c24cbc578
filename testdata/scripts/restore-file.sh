#!/bin/sh
# Restore the saved files kept beside the script, then adjust them.
cd "$(dirname "$0")"
iptables-restore < restore-file.rules.v4
ip6tables-restore restore-file.rules.v6
iptables -I INPUT 2 -p tcp --dport 8443 -j ACCEPT
ip6tables -A INPUT -p tcp --dport 8443 -j ACCEPT
