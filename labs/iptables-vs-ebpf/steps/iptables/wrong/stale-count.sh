# Stale count: builds 1000 services (a number from an earlier run or the measure step) instead of .lab/target-n.
set -eu
./kube-rules.py --n 1000 > rules.txt
iptables-nft-restore < rules.txt
