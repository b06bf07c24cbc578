#!/bin/sh
# Pasted from a web page: typographic quotes; as run, they stay in the words
iptables -A INPUT -p tcp --dport 22 -m comment --comment “ssh from anywhere” -j ACCEPT
iptables -A INPUT -p tcp --dport 80 -m comment --comment "it’s fine inside plain quotes" -j ACCEPT
iptables -A INPUT -m comment --comment ‘web’ -p tcp --dport 443 -j ACCEPT
