# the uid filled from bpf_get_current_pid_tgid() instead of bpf_get_current_uid_gid(): it prints a thread id
set -eu
sed -i 's|^\tchar comm\[EXECSNOOP_COMM_LEN\];.*|&\n\tunsigned int uid;|' bpf/execsnoop/execsnoop.h
sed -i 's|^\te->pid = bpf_get_current_pid_tgid() >> 32;|&\n\te->uid = (__u32)bpf_get_current_pid_tgid();|' bpf/execsnoop/execsnoop.bpf.c
sed -i 's|printf("pid=%u comm=%s\\n", e->pid, e->comm);|printf("pid=%u comm=%s uid=%u\\n", e->pid, e->comm, e->uid);|' bpf/execsnoop/execsnoop.c
bash .lab/start.sh execsnoop
