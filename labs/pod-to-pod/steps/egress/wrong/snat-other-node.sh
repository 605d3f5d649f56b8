# SNAT on k8s-s, but to k8s-w1's address: the outside host answers k8s-w1, which has no conntrack entry to map it back.
set -eu
lab-on k8s-s iptables -t nat -A POSTROUTING -s 172.16.0.0/24 ! -d 172.16.0.0/16 -o eth0 -j SNAT --to-source 192.168.10.101
lab-on netpod sh -c 'curl -s --max-time 3 http://203.0.113.10/ > outside.txt' || true
lab-on k8s-s sh -c 'grep 203.0.113.10 /proc/net/nf_conntrack > conntrack.txt' || true
