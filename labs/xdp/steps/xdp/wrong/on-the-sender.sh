# xdp_drop attached on gen's eth0 (the sender's own interface) instead of lab's, where the flood arrives
set -eu
make -s -C bpf xdpdrop
lab-on gen ./bpf/.output/xdpdrop attach xdp eth0
lab-on gen ./bpf/.output/xdpdrop block xdp 192.168.10.20 9001
