# Build xdpdrop, attach xdp_drop at XDP of lab's eth0, and drop gen → UDP 9001.
set -eu
make -s -C bpf xdpdrop
./bpf/.output/xdpdrop attach xdp eth0
./bpf/.output/xdpdrop block xdp 192.168.10.20 9001
