/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared between idpolicy.bpf.c (kernel) and idpolicy.c (loader): a small model of Cilium's
 * identity-based policy. Pod IPs map to numeric identities (idp_ipcache); a packet to a managed
 * pod passes only if (source identity, destination identity, port, protocol) is in idp_policy.
 */
#ifndef IDPOLICY_H
#define IDPOLICY_H

/* Where the loader pins the maps, inside the bpffs of the node it runs on. */
#define IDP_PIN_DIR "/sys/fs/bpf/idpolicy"

/* Same numbers as Cilium's reserved identities; pod identities start at IDP_ID_FIRST_POD. */
#define IDP_ID_WORLD 2		/* any source the ipcache does not know */
#define IDP_ID_FIRST_POD 256

/* An IPv4 address as four bytes, so `bpftool map dump` prints it as [172,16,2,12]. */
struct idp_ip {
	unsigned char addr[4];
};

struct idp_policy_key {
	unsigned int src_identity;
	unsigned int dst_identity;
	unsigned short dport;		/* host byte order; 0 for ICMP */
	unsigned char proto;		/* IPPROTO_TCP 6, IPPROTO_UDP 17, IPPROTO_ICMP 1 */
	unsigned char pad;		/* always 0: hash keys compare every byte */
};

/* The policy map's value: how many packets this rule let through. */
struct idp_policy_hits {
	unsigned long long packets;
};

struct idp_verdict_counts {
	unsigned long long allowed;
	unsigned long long denied;
};

#endif
