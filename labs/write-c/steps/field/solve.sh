# Add uid to struct exec_event, fill it from bpf_get_current_uid_gid() (the low 32 bits), print
# it, then rebuild and restart execsnoop.
set -eu
sed -i 's|^\tchar comm\[EXECSNOOP_COMM_LEN\];.*|&\n\tunsigned int uid;|' bpf/execsnoop/execsnoop.h
sed -i 's|^\te->pid = bpf_get_current_pid_tgid() >> 32;|&\n\te->uid = (__u32)bpf_get_current_uid_gid();|' bpf/execsnoop/execsnoop.bpf.c
sed -i 's|printf("pid=%u comm=%s\\n", e->pid, e->comm);|printf("pid=%u comm=%s uid=%u\\n", e->pid, e->comm, e->uid);|' bpf/execsnoop/execsnoop.c
grep -q 'e->uid);' bpf/execsnoop/execsnoop.c
bash .lab/start.sh execsnoop
