# Masquerades everything netpod's node sends, pod-to-pod included: the other nodes' pods now see 192.168.10.10 instead of netpod.
set -eu
lab-on k8s-s iptables -t nat -A POSTROUTING -s 172.16.0.0/24 -o eth0 -j MASQUERADE
lab-on netpod sh -c 'curl -s --max-time 5 http://203.0.113.10/ > outside.txt'
lab-on k8s-s sh -c 'grep 203.0.113.10 /proc/net/nf_conntrack > conntrack.txt'
