# The same table through the legacy backend (x_tables) instead of nftables.
set -eu
./kube-rules.py --n "$(cat .lab/target-n)" | iptables-legacy-restore
