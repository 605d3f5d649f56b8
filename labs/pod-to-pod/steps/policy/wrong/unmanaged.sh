# Gives up on default-deny: deletes deathstar's identity, so the program lets everything through.
set -eu
lab-on k8s-w2 bpftool map delete pinned /sys/fs/bpf/idpolicy/idp_ipcache key 172 16 2 12
