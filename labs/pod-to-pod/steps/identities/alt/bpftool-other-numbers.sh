# Other numbers (300…304), written with bpftool map update instead of the loader; identities are host-order u32.
set -eu
put() { lab-on k8s-w2 bpftool map update pinned /sys/fs/bpf/idpolicy/idp_ipcache key ${1//./ } value $(( $2 & 255 )) $(( $2 >> 8 )) 0 0; }
put 172.16.0.11 300; put 172.16.1.11 301; put 172.16.2.11 301
put 172.16.0.12 302; put 172.16.1.12 303; put 172.16.2.12 304
