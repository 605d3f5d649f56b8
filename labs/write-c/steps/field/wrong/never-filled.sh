# uid added to the struct and printed, but never set in the BPF program: userspace prints whatever the ring buffer slot held
set -eu
sed -i 's|^\tchar comm\[EXECSNOOP_COMM_LEN\];.*|&\n\tunsigned int uid;|' bpf/execsnoop/execsnoop.h
sed -i 's|printf("pid=%u comm=%s\\n", e->pid, e->comm);|printf("pid=%u comm=%s uid=%u\\n", e->pid, e->comm, e->uid);|' bpf/execsnoop/execsnoop.c
bash .lab/start.sh execsnoop
