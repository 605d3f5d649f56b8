// SPDX-License-Identifier: GPL-2.0
/*
 * Loads execsnoop.bpf.c, attaches it to syscalls/sys_enter_execve and prints one line per exec
 * ("pid=123 comm=bash") until Ctrl-C. Run it in the background with its output in a file:
 *   ./bpf/.output/execsnoop > events.log &
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "execsnoop.h"
#include "execsnoop.skel.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int on_event(void *ctx, void *data, size_t size)
{
	const struct exec_event *e = data;

	(void)ctx;
	if (size < sizeof(*e))
		return 0;	/* an event from an older build of the program: skip it */
	printf("pid=%u comm=%s\n", e->pid, e->comm);
	fflush(stdout);
	return 0;
}

int main(void)
{
	struct execsnoop_bpf *skel;
	struct ring_buffer *rb = NULL;
	int err;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	skel = execsnoop_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "execsnoop: loading failed (%s); \"Build & load\" in the editor shows the verifier's reason\n", strerror(errno));
		return 1;
	}
	err = execsnoop_bpf__attach(skel);
	if (!err) {
		rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_event, NULL, NULL);
		if (!rb)
			err = -errno;
	}
	if (err) {
		fprintf(stderr, "execsnoop: attaching failed: %s\n", strerror(-err));
		execsnoop_bpf__destroy(skel);
		return 1;
	}
	fprintf(stderr, "execsnoop: tracing execve, Ctrl-C to stop\n");
	while (!stop) {
		err = ring_buffer__poll(rb, 200);
		if (err < 0 && err != -EINTR) {
			fprintf(stderr, "execsnoop: reading the ring buffer: %s\n", strerror(-err));
			break;
		}
	}
	ring_buffer__free(rb);
	execsnoop_bpf__destroy(skel);
	return 0;
}
