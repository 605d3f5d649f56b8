# the rule written by hand with bpftool, port bytes in network order: the key says port 10531, not 9001
set -eu
make -s -C bpf xdpdrop
./bpf/.output/xdpdrop attach xdp eth0
# struct xd_rule: saddr[4], dport (host order, little-endian here), proto, pad
bpftool map update pinned /sys/fs/bpf/xdpdrop/xdp_rules key 192 168 10 20 0x23 0x29 17 0 value 0 0 0 0 0 0 0 0
