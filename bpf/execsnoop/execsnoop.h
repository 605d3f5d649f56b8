/* SPDX-License-Identifier: GPL-2.0 */
/* Shared between execsnoop.bpf.c (kernel) and execsnoop.c (loader): one ring buffer record per execve. */
#ifndef EXECSNOOP_H
#define EXECSNOOP_H

#define EXECSNOOP_COMM_LEN 16

struct exec_event {
	unsigned int pid;			/* tgid, what userspace calls the pid */
	char comm[EXECSNOOP_COMM_LEN];		/* the program that called execve */
};

#endif
