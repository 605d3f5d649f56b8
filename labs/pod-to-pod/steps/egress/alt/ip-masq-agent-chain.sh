# ip-masq-agent's shape: a chain that RETURNs for the non-masquerade CIDR (the cluster) and masquerades the rest, jumped to for non-local destinations.
set -eu
lab-on k8s-s sh -c 'iptables -t nat -N IP-MASQ && iptables -t nat -A IP-MASQ -d 172.16.0.0/16 -j RETURN && iptables -t nat -A IP-MASQ -j MASQUERADE && iptables -t nat -A POSTROUTING -m addrtype ! --dst-type LOCAL -j IP-MASQ'
lab-on netpod sh -c 'curl -s --max-time 5 http://203.0.113.10/ > outside.txt'
lab-on k8s-s sh -c 'grep 203.0.113.10 /proc/net/nf_conntrack > conntrack.txt'
