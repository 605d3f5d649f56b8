# The right rule on the wrong node: k8s-w1 masquerades its own pods, but netpod's traffic leaves through k8s-s untouched.
set -eu
lab-on k8s-w1 iptables -t nat -A POSTROUTING -s 172.16.1.0/24 ! -d 172.16.0.0/16 -o eth0 -j MASQUERADE
lab-on netpod sh -c 'curl -s --max-time 3 http://203.0.113.10/ > outside.txt' || true
lab-on k8s-s sh -c 'grep 203.0.113.10 /proc/net/nf_conntrack > conntrack.txt' || true
