// SPDX-License-Identifier: GPL-2.0
/*
 * One event per execve, sent to userspace through a ring buffer. The starting point of the
 * write-c lab: you add a field to struct exec_event (execsnoop.h), fill it here, print it in
 * execsnoop.c, and "Build & load".
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "execsnoop.h"

char LICENSE[] SEC("license") = "GPL";

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} events SEC(".maps");

SEC("tp/syscalls/sys_enter_execve")
int execsnoop(void *ctx)
{
	struct exec_event *e;

	e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e)
		return 0;	/* ring full: userspace is behind, drop the event */
	e->pid = bpf_get_current_pid_tgid() >> 32;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	bpf_ringbuf_submit(e, 0);
	return 0;
}
