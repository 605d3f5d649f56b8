# attached with the tc command (clsact qdisc + bpf filter in direct-action mode); the rule written with bpftool
set -eu
make -s -C bpf xdpdrop
tc qdisc add dev eth0 clsact
tc filter add dev eth0 ingress bpf direct-action obj bpf/.output/xdpdrop.bpf.o sec tc
# iproute2 pins LIBBPF_PIN_BY_NAME maps in /sys/fs/bpf/tc/globals. 9002 = 0x232a, host order.
bpftool map update pinned /sys/fs/bpf/tc/globals/tc_rules key 192 168 10 20 0x2a 0x23 17 0 value 0 0 0 0 0 0 0 0
