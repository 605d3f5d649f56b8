/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared between svclb.bpf.c (kernel) and svclb.c (loader): the services map.
 * Addresses and ports are kept in network byte order, exactly as struct
 * bpf_sock_addr holds them, so the kernel side never converts anything and a
 * raw map dump reads left to right as a.b.c.d and a big-endian port.
 */
#ifndef SVCLB_H
#define SVCLB_H

#define SVCLB_MAX_BACKENDS 16
#define SVCLB_MAX_SERVICES 65536

struct svclb_key {
	unsigned int vip;	/* service (cluster) IPv4, network order */
	unsigned short port;	/* service port, network order */
	unsigned short proto;	/* IPPROTO_TCP or IPPROTO_UDP */
};

struct svclb_backend {
	unsigned int ip;	/* network order */
	unsigned short port;	/* network order */
	unsigned short pad;
};

struct svclb_service {
	unsigned int count;	/* valid entries in be[]; 0 = leave the connect alone */
	struct svclb_backend be[SVCLB_MAX_BACKENDS];
};

/* Slots of the per-CPU stats array. */
enum svclb_stat { SVCLB_STAT_LOOKUPS, SVCLB_STAT_REWRITES, SVCLB_STAT_MAX };

#endif
