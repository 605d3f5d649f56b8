# the same drop through the legacy iptables backend (x_tables) instead of nf_tables
set -eu
iptables-legacy -t raw -A PREROUTING -s 192.168.10.20 -p udp --dport 9003 -j DROP
