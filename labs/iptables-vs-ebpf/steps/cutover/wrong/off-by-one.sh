# Off by one: restores a table for one service fewer, which drops the last service and keeps svc-1 in iptables.
set -eu
./kube-rules.py --n $(( $(cat .lab/target-n) - 1 )) | iptables-nft-restore
