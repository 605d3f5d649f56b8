// SPDX-License-Identifier: GPL-2.0
/*
 * Counts execve calls per uid in a hash map. The verifier REJECTS this file as it stands: that
 * is the write-c lab's exercise. "Build & load" it, read the verifier's message at the marked
 * line, fix it, and load it again.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "execcount.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, EXECCOUNT_MAX_UIDS);
	__type(key, __u32);	/* uid */
	__type(value, __u64);	/* execs seen */
} exec_by_uid SEC(".maps");

SEC("tp/syscalls/sys_enter_execve")
int execcount(void *ctx)
{
	__u32 uid = (__u32)bpf_get_current_uid_gid();
	__u64 zero = 0, *count;

	/* The first exec of a uid creates its entry; BPF_NOEXIST leaves an existing one alone. */
	bpf_map_update_elem(&exec_by_uid, &uid, &zero, BPF_NOEXIST);
	count = bpf_map_lookup_elem(&exec_by_uid, &uid);
	__sync_fetch_and_add(count, 1);
	return 0;
}
