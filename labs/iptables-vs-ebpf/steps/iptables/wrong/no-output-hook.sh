# Missing hook: jumps to KUBE-SERVICES from PREROUTING only, which connections made on the node itself never pass.
set -eu
./kube-rules.py --n "$(cat .lab/target-n)" | grep -v '^-A OUTPUT ' > rules.txt
iptables-nft-restore < rules.txt
