# the drop in filter INPUT instead of raw PREROUTING: later (after conntrack and routing), still correct
set -eu
iptables -A INPUT -s 192.168.10.20 -p udp --dport 9003 -j DROP
