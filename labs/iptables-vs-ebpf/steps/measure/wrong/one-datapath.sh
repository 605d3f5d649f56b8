# Half the comparison: measures iptables only and never the eBPF datapath.
set -eu
./measure.sh --datapath iptables --backend nft --n 20,100 --samples 40 --repeat 1
