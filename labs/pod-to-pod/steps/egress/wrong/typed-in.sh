# Fake evidence: masquerades correctly but types outside.txt and conntrack.txt in by hand (copied from the lesson) instead of saving them.
set -eu
lab-on k8s-s iptables -t nat -A POSTROUTING -s 172.16.0.0/24 ! -d 172.16.0.0/16 -o eth0 -j MASQUERADE
printf 'Hostname: internet\nIP: 203.0.113.10\nRemoteAddr: 192.168.10.10:43210\nGET / HTTP/1.1\nHost: 203.0.113.10\n\n' > outside.txt
echo 'ipv4     2 tcp      6 117 TIME_WAIT src=172.16.0.11 dst=203.0.113.10 sport=43210 dport=80 src=203.0.113.10 dst=192.168.10.10 sport=80 dport=43210 [ASSURED] mark=0 zone=0 use=2' > conntrack.txt
