# copies the xdp step's rule: tc blocks gen → 9001, but the tc step's port is 9002
set -eu
make -s -C bpf xdpdrop
./bpf/.output/xdpdrop attach tc eth0
./bpf/.output/xdpdrop block tc 192.168.10.20 9001
