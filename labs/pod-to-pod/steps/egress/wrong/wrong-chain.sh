# Source NAT in the nat table's INPUT chain: it only sees packets for k8s-s itself, never the ones it forwards for netpod.
set -eu
lab-on k8s-s iptables -t nat -A INPUT -s 172.16.0.0/24 ! -d 172.16.0.0/16 -j SNAT --to-source 192.168.10.10
lab-on netpod sh -c 'curl -s --max-time 3 http://203.0.113.10/ > outside.txt' || true
lab-on k8s-s sh -c 'grep 203.0.113.10 /proc/net/nf_conntrack > conntrack.txt' || true
