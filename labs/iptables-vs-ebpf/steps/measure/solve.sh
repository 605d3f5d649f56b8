# Both datapaths at two small sizes (the lesson's full run is --n 100,1000,5000).
set -eu
./measure.sh --datapath iptables --backend nft --n 20,100 --samples 40 --repeat 1
./measure.sh --datapath ebpf --n 20,100 --samples 40 --repeat 1
