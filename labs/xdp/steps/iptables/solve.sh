# Drop gen → UDP 9003 in the raw table's PREROUTING chain, before connection tracking.
set -eu
iptables -t raw -A PREROUTING -s 192.168.10.20 -p udp --dport 9003 -j DROP
