# attached in generic XDP mode (ip link … xdpgeneric): runs later, on the sk_buff, but drops and counts the same
set -eu
make -s -C bpf xdpdrop
ip link set dev eth0 xdpgeneric obj bpf/.output/xdpdrop.bpf.o sec xdp
# iproute2 pins LIBBPF_PIN_BY_NAME maps in /sys/fs/bpf/tc/globals. Key: saddr[4], dport (host order), proto, pad.
bpftool map update pinned /sys/fs/bpf/tc/globals/xdp_rules key 192 168 10 20 0x29 0x23 17 0 value 0 0 0 0 0 0 0 0
