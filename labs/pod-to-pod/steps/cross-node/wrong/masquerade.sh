# Overlay habit: masquerades pod traffic leaving k8s-s, so the webpods see the node's address instead of netpod's.
set -eu
lab-on k8s-s iptables -t nat -A POSTROUTING -s 172.16.0.0/24 ! -d 172.16.0.0/24 -j MASQUERADE
lab-on netpod sh -c 'curl -s --max-time 5 http://172.16.1.11/ > webpod1.txt'
lab-on netpod sh -c 'curl -s --max-time 5 http://172.16.2.11/ > webpod2.txt'
