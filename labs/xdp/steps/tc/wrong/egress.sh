# tc_drop attached at clsact egress of eth0, which sees what lab sends, not the flood coming in
set -eu
make -s -C bpf xdpdrop
tc qdisc add dev eth0 clsact
tc filter add dev eth0 egress bpf direct-action obj bpf/.output/xdpdrop.bpf.o sec tc
bpftool map update pinned /sys/fs/bpf/tc/globals/tc_rules key 192 168 10 20 0x2a 0x23 17 0 value 0 0 0 0 0 0 0 0
