# On k8s-s: masquerade what netpod's node sends out of the cluster CIDR (not pod-to-pod), reach
# the outside host from netpod, and keep the conntrack entry that maps the reply back.
set -eu
lab-on k8s-s iptables -t nat -A POSTROUTING -s 172.16.0.0/24 ! -d 172.16.0.0/16 -o eth0 -j MASQUERADE
lab-on netpod sh -c 'curl -s --max-time 5 http://203.0.113.10/ > outside.txt'
lab-on k8s-s sh -c 'grep 203.0.113.10 /proc/net/nf_conntrack > conntrack.txt'
cat outside.txt conntrack.txt
