# Attach tc_drop at tc clsact ingress of lab's eth0 and drop gen → UDP 9002 there.
set -eu
make -s -C bpf xdpdrop
./bpf/.output/xdpdrop attach tc eth0
./bpf/.output/xdpdrop block tc 192.168.10.20 9002
