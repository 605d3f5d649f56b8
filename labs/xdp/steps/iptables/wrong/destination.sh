# -d 192.168.10.20 instead of -s: matches packets going to gen, not the flood coming from it
set -eu
iptables -t raw -A PREROUTING -d 192.168.10.20 -p udp --dport 9003 -j DROP
