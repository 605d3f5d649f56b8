# the rule names the client's address (192.168.10.30) instead of gen's, so the flood still passes and the client is cut off
set -eu
make -s -C bpf xdpdrop
./bpf/.output/xdpdrop attach xdp eth0
./bpf/.output/xdpdrop block xdp 192.168.10.30 9001
