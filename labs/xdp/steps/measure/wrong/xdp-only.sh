# measures XDP only, so there is nothing to compare it with
set -eu
./measure.sh --datapath xdp --sizes 64 --seconds 1
