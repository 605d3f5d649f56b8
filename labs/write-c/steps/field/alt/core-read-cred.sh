# the uid read with CO-RE from the task's credentials (task->real_cred->uid.val) instead of the helper
set -eu
sed -i 's|^\tchar comm\[EXECSNOOP_COMM_LEN\];.*|&\n\tunsigned int uid;|' bpf/execsnoop/execsnoop.h
sed -i 's|^#include <bpf/bpf_helpers.h>|&\n#include <bpf/bpf_core_read.h>|' bpf/execsnoop/execsnoop.bpf.c
sed -i 's|^\te->pid = bpf_get_current_pid_tgid() >> 32;|&\n\te->uid = BPF_CORE_READ((struct task_struct *)bpf_get_current_task(), real_cred, uid.val);|' bpf/execsnoop/execsnoop.bpf.c
sed -i 's|printf("pid=%u comm=%s\\n", e->pid, e->comm);|printf("pid=%u comm=%s uid=%u\\n", e->pid, e->comm, e->uid);|' bpf/execsnoop/execsnoop.c
bash .lab/start.sh execsnoop
