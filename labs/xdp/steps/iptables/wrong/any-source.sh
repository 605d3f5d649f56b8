# no -s: drops every source's packets to 9003, the client's too
set -eu
iptables -t raw -A PREROUTING -p udp --dport 9003 -j DROP
