# one datapath per run, one payload size, 1 s each: the same file, built up in three calls
set -eu
./measure.sh --datapath iptables --sizes 512 --seconds 1
./measure.sh --datapath tc --sizes 512 --seconds 1
./measure.sh --datapath xdp --sizes 512 --seconds 1
