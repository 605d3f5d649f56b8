# kube-proxy's way: generate the whole nat table and hand it to iptables-restore in one go.
set -eu
./kube-rules.py --n "$(cat .lab/target-n)" > rules.txt
iptables-nft-restore < rules.txt
