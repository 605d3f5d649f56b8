# Masquerades correctly, but saves the evidence from node k8s-s's own curl: that carries the node's address without any NAT, and its conntrack entry is not netpod's.
set -eu
lab-on k8s-s iptables -t nat -A POSTROUTING -s 172.16.0.0/24 ! -d 172.16.0.0/16 -o eth0 -j MASQUERADE
lab-on k8s-s sh -c 'curl -s --max-time 5 http://203.0.113.10/ > outside.txt'
lab-on k8s-s sh -c 'grep 203.0.113.10 /proc/net/nf_conntrack > conntrack.txt'
