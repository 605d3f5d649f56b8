// SPDX-License-Identifier: GPL-2.0
/*
 * Loads execcount.bpf.c, attaches it to syscalls/sys_enter_execve and keeps it running until
 * Ctrl-C. The counts live in the exec_by_uid map: bpftool map dump name exec_by_uid
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "execcount.h"
#include "execcount.skel.h"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

int main(void)
{
	struct execcount_bpf *skel;
	int err;

	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	skel = execcount_bpf__open_and_load();
	if (!skel) {
		fprintf(stderr, "execcount: the kernel refused the program (%s); \"Build & load\" in the editor marks the line the verifier rejects\n",
			strerror(errno));
		return 1;
	}
	err = execcount_bpf__attach(skel);
	if (err) {
		fprintf(stderr, "execcount: attaching failed: %s\n", strerror(-err));
		execcount_bpf__destroy(skel);
		return 1;
	}
	fprintf(stderr, "execcount: counting execs per uid; bpftool map dump name exec_by_uid\n");
	while (!stop)
		pause();
	execcount_bpf__destroy(skel);
	return 0;
}
