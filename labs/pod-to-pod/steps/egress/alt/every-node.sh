# Like a DaemonSet: every node masquerades its own pods' traffic leaving the cluster CIDR, and the evidence comes from conntrack -L style filtering with awk.
set -eu
for n in k8s-s:172.16.0.0/24 k8s-w1:172.16.1.0/24 k8s-w2:172.16.2.0/24; do lab-on "${n%%:*}" iptables -t nat -A POSTROUTING -s "${n#*:}" ! -d 172.16.0.0/16 -o eth0 -j MASQUERADE; done
lab-on netpod sh -c 'curl -s --max-time 5 http://203.0.113.10/ > outside.txt'
lab-on k8s-s sh -c 'awk "/dst=203\\.0\\.113\\.10 /" /proc/net/nf_conntrack > conntrack.txt'
