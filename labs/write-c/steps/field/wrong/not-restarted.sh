# the source edited and rebuilt, but the execsnoop started before the edit keeps running the old program
set -eu
bash .lab/start.sh execsnoop
sed -i 's|^\tchar comm\[EXECSNOOP_COMM_LEN\];.*|&\n\tunsigned int uid;|' bpf/execsnoop/execsnoop.h
sed -i 's|^\te->pid = bpf_get_current_pid_tgid() >> 32;|&\n\te->uid = (__u32)bpf_get_current_uid_gid();|' bpf/execsnoop/execsnoop.bpf.c
sed -i 's|printf("pid=%u comm=%s\\n", e->pid, e->comm);|printf("pid=%u comm=%s uid=%u\\n", e->pid, e->comm, e->uid);|' bpf/execsnoop/execsnoop.c
make -s -C bpf execsnoop
