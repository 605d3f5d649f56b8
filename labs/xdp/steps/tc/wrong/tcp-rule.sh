# the rule written for TCP port 9002 (9002/tcp), but the flood is UDP
set -eu
make -s -C bpf xdpdrop
./bpf/.output/xdpdrop attach tc eth0
./bpf/.output/xdpdrop block tc 192.168.10.20 9002/tcp
