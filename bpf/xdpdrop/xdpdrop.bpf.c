// SPDX-License-Identifier: GPL-2.0
/*
 * Drop packets by (source IPv4, destination port, protocol) as early as the kernel allows.
 * xdp_drop runs at XDP, before the kernel has built an sk_buff for a packet on a native-XDP
 * driver; tc_drop runs at tc clsact ingress, after the sk_buff exists but before the IP stack
 * (and iptables) sees it. Both count what they drop and pass in a per-CPU array.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "xdpdrop.h"

char LICENSE[] SEC("license") = "GPL";

/* uapi macros are not part of BTF, so vmlinux.h does not carry them. */
#define ETH_P_IP 0x0800
#define TC_ACT_OK 0
#define TC_ACT_SHOT 2
#define IP_MF 0x2000
#define IP_OFFSET_MASK 0x1fff

#define RULES(name) struct {						\
	__uint(type, BPF_MAP_TYPE_HASH);				\
	__uint(max_entries, 1024);					\
	__type(key, struct xd_rule);					\
	__type(value, __u64);		/* packets this rule dropped */	\
	__uint(pinning, LIBBPF_PIN_BY_NAME);				\
} name SEC(".maps")

#define COUNTERS(name) struct {						\
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);			\
	__uint(max_entries, 1);						\
	__type(key, __u32);						\
	__type(value, struct xd_counters);				\
	__uint(pinning, LIBBPF_PIN_BY_NAME);				\
} name SEC(".maps")

RULES(xdp_rules);
RULES(tc_rules);
COUNTERS(xdp_counts);
COUNTERS(tc_counts);

/*
 * True when the packet in [data, data_end) matches a rule in `rules`. Every header read is
 * bounds-checked first: the verifier rejects the program otherwise.
 */
static __always_inline bool match(void *data, void *data_end, void *rules)
{
	struct ethhdr *eth = data;
	struct xd_rule key = {};
	struct iphdr *ip;
	struct udphdr *l4;	/* the ports sit at the same offsets in TCP and UDP */
	__u64 *hits;

	if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return false;
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end || ip->ihl < 5)
		return false;
	if (ip->protocol != IPPROTO_UDP && ip->protocol != IPPROTO_TCP)
		return false;
	/* Only the first fragment carries the ports. */
	if (ip->frag_off & bpf_htons(IP_OFFSET_MASK))
		return false;
	l4 = (void *)ip + ip->ihl * 4;
	if ((void *)(l4 + 1) > data_end)
		return false;
	__builtin_memcpy(key.saddr, &ip->saddr, sizeof(key.saddr));
	key.dport = bpf_ntohs(l4->dest);
	key.proto = ip->protocol;
	hits = bpf_map_lookup_elem(rules, &key);
	if (!hits)
		return false;
	__sync_fetch_and_add(hits, 1);
	return true;
}

static __always_inline void count(void *counters, bool dropped)
{
	__u32 zero = 0;
	struct xd_counters *c = bpf_map_lookup_elem(counters, &zero);

	if (!c)
		return;
	/* Per-CPU value: no other CPU writes this copy, so a plain add is enough. */
	if (dropped)
		c->dropped++;
	else
		c->passed++;
}

SEC("xdp")
int xdp_drop(struct xdp_md *ctx)
{
	bool drop = match((void *)(long)ctx->data, (void *)(long)ctx->data_end, &xdp_rules);

	count(&xdp_counts, drop);
	return drop ? XDP_DROP : XDP_PASS;
}

SEC("tc")
int tc_drop(struct __sk_buff *skb)
{
	bool drop = match((void *)(long)skb->data, (void *)(long)skb->data_end, &tc_rules);

	count(&tc_counts, drop);
	return drop ? TC_ACT_SHOT : TC_ACT_OK;
}
