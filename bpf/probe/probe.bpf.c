// SPDX-License-Identifier: GPL-2.0
/*
 * Trivial programs, one per capability `lab doctor` asks about. probe.c loads and
 * attaches each one on its own, so one missing feature never hides another.
 * None of them changes behaviour: they pass everything and return at once.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "probe.h"

char LICENSE[] SEC("license") = "GPL";

/* Created only for the ringbuf attempt (probe.c turns autocreate off otherwise). */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} probe_rb SEC(".maps");

/* No target here: probe.c attaches it to the getpid syscall with attach_ksyscall. */
SEC("kprobe")
int probe_kprobe(struct pt_regs *ctx)
{
	return 0;
}

/* do_unlinkat: in vmlinux BTF on every kernel with fentry, rarely called. */
SEC("fentry/do_unlinkat")
int BPF_PROG(probe_fentry)
{
	return 0;
}

SEC("tp/syscalls/sys_enter_getpid")
int probe_tp(void *ctx)
{
	return 0;
}

SEC("xdp")
int probe_xdp(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("tc")
int probe_tc(struct __sk_buff *skb)
{
	return 0;	/* TC_ACT_OK */
}

SEC("cgroup/connect4")
int probe_connect4(struct bpf_sock_addr *ctx)
{
	return 1;	/* allow */
}

/* A socket filter can be run with BPF_PROG_TEST_RUN, so the ringbuf is tested end to end
 * without attaching anything. */
SEC("socket")
int probe_ringbuf(struct __sk_buff *skb)
{
	struct probe_rb_event e = { .magic = PROBE_RB_MAGIC };

	bpf_ringbuf_output(&probe_rb, &e, sizeof(e), 0);
	return 0;
}
