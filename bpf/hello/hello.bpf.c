// SPDX-License-Identifier: GPL-2.0
/*
 * Hello World on execve, two ways: a kprobe on the execve syscall and the
 * syscalls/sys_enter_execve tracepoint. The loader (hello.c) loads one of them.
 * Both print "Hello World!" to trace_pipe, count execs per uid in exec_count,
 * and send one struct hello_event per exec through the events ring buffer.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_tracing.h>
#include "hello.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, __u32);	/* uid */
	__type(value, __u64);	/* execs seen */
} exec_count SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

static __always_inline void count_exec(__u32 uid)
{
	__u64 one = 1, *count;

	count = bpf_map_lookup_elem(&exec_count, &uid);
	if (count) {
		__sync_fetch_and_add(count, 1);
		return;
	}
	/* Two CPUs may race to create the entry: the loser adds to the winner's. */
	if (bpf_map_update_elem(&exec_count, &uid, &one, BPF_NOEXIST)) {
		count = bpf_map_lookup_elem(&exec_count, &uid);
		if (count)
			__sync_fetch_and_add(count, 1);
	}
}

static __always_inline int handle_exec(const char *filename)
{
	struct hello_event *e;
	__u32 uid = (__u32)bpf_get_current_uid_gid();

	bpf_printk("Hello World!");
	count_exec(uid);

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;	/* ring full: userspace is behind, drop the event */
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->uid = uid;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	if (bpf_probe_read_user_str(e->filename, sizeof(e->filename), filename) < 0)
		e->filename[0] = '\0';
	bpf_ringbuf_submit(e, 0);
	return 0;
}

/* libbpf resolves the arch symbol (__x64_sys_execve on x86_64) and unwraps the args. */
SEC("ksyscall/execve")
int BPF_KSYSCALL(hello_kprobe, const char *filename)
{
	return handle_exec(filename);
}

SEC("tp/syscalls/sys_enter_execve")
int hello_tp(struct trace_event_raw_sys_enter *ctx)
{
	return handle_exec((const char *)ctx->args[0]);
}
