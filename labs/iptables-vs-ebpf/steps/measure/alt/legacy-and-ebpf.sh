# The legacy iptables backend instead of nft, at other sizes, against the eBPF datapath.
set -eu
./measure.sh --datapath iptables --backend legacy --n 30,60 --samples 40 --repeat 1
./measure.sh --datapath ebpf --n 30,60 --samples 40 --repeat 1
