# the DROP rule in filter OUTPUT, which only sees packets lab itself sends
set -eu
iptables -A OUTPUT -s 192.168.10.20 -p udp --dport 9003 -j DROP
