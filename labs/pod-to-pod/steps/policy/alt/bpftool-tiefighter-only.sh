# Only the rule that can be observed (tiefighter → deathstar:80/tcp), written with bpftool map update: key {src u32, dst u32, dport u16, proto 6, pad 0}, value 0 packets.
set -eu
lab-on k8s-w2 bpftool map update pinned /sys/fs/bpf/idpolicy/idp_policy \
  key 0xeb 0x03 0 0  0xed 0x03 0 0  80 0  6 0 value 0 0 0 0 0 0 0 0
