/* SPDX-License-Identifier: GPL-2.0 */
/* Shared between probe.bpf.c and probe.c: the record the ringbuf round trip sends. */
#ifndef PROBE_H
#define PROBE_H

#define PROBE_RB_MAGIC 0xeb9f1ab5u

struct probe_rb_event {
	unsigned int magic;
};

#endif
