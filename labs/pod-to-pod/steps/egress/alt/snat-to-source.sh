# SNAT to k8s-s's own address instead of MASQUERADE: the same translation with the address written out (what a node with a fixed IP may use).
set -eu
lab-on k8s-s iptables -t nat -A POSTROUTING -s 172.16.0.0/24 ! -d 172.16.0.0/16 -o eth0 -j SNAT --to-source 192.168.10.10
lab-on netpod sh -c 'curl -s --max-time 5 http://203.0.113.10/ > outside.txt'
lab-on k8s-s sh -c 'grep 203.0.113.10 /proc/net/nf_conntrack > conntrack.txt'
