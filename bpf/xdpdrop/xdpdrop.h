/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared between xdpdrop.bpf.c (kernel) and xdpdrop.c (loader): one drop rule set per hook.
 * XDP and tc each have their own rule map and counters, so both can be attached at once and
 * each guards its own rules (the lab gives each hook its own port to compare them side by side).
 */
#ifndef XDPDROP_H
#define XDPDROP_H

/* Where the loader pins the maps, inside the bpffs of the node it runs on. */
#define XDPDROP_PIN_DIR "/sys/fs/bpf/xdpdrop"

/* A rule: drop packets from this IPv4 source to this destination port and protocol. */
struct xd_rule {
	unsigned char saddr[4];		/* bytes as on the wire: bpftool prints [192,168,10,20] */
	unsigned short dport;		/* host byte order */
	unsigned char proto;		/* IPPROTO_UDP 17, IPPROTO_TCP 6 */
	unsigned char pad;		/* always 0: hash keys compare every byte */
};

/* Per-CPU counters: each CPU adds to its own copy (no atomics); readers sum them. */
struct xd_counters {
	unsigned long long dropped;
	unsigned long long passed;
};

#endif
