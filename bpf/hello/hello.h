/* SPDX-License-Identifier: GPL-2.0 */
/* Shared between hello.bpf.c (kernel) and hello.c (loader): one ring buffer record per execve. */
#ifndef HELLO_H
#define HELLO_H

#define HELLO_COMM_LEN 16
#define HELLO_FILENAME_LEN 256

struct hello_event {
	unsigned int pid;	/* tgid, what userspace calls the pid */
	unsigned int uid;
	char comm[HELLO_COMM_LEN];
	char filename[HELLO_FILENAME_LEN];
};

#endif
