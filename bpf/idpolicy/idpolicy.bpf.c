// SPDX-License-Identifier: GPL-2.0
/*
 * A model of Cilium's ingress policy for one pod, attached at tc egress of the pod's host-side
 * veth (lxc-<pod>): every packet the node hands to the pod passes here. The destination's
 * identity says whether the pod is managed; the source's identity (or "world") plus the
 * destination port and protocol must match a rule in idp_policy, or the packet is dropped.
 * Dropping (TC_ACT_SHOT), not rejecting, is why a denied client times out.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "idpolicy.h"

char LICENSE[] SEC("license") = "GPL";

/* uapi macros are not part of BTF, so vmlinux.h does not carry them. */
#define ETH_P_IP 0x0800
#define TC_ACT_OK 0
#define TC_ACT_SHOT 2
#define IP_OFFSET_MASK 0x1fff

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct idp_ip);
	__type(value, __u32);			/* identity */
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} idp_ipcache SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1024);
	__type(key, struct idp_policy_key);
	__type(value, struct idp_policy_hits);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} idp_policy SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct idp_verdict_counts);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} idp_verdicts SEC(".maps");

static __always_inline void count(bool allowed)
{
	__u32 zero = 0;
	struct idp_verdict_counts *v = bpf_map_lookup_elem(&idp_verdicts, &zero);

	if (!v)
		return;
	if (allowed)
		__sync_fetch_and_add(&v->allowed, 1);
	else
		__sync_fetch_and_add(&v->denied, 1);
}

static __always_inline __u32 *identity_of(__be32 addr)
{
	struct idp_ip ip;

	__builtin_memcpy(ip.addr, &addr, sizeof(ip.addr));
	return bpf_map_lookup_elem(&idp_ipcache, &ip);
}

SEC("tc")
int to_container(struct __sk_buff *skb)
{
	void *data = (void *)(long)skb->data, *data_end = (void *)(long)skb->data_end;
	struct idp_policy_key key = {};
	struct idp_policy_hits *hits;
	struct ethhdr *eth = data;
	struct iphdr *ip;
	__u32 *dst_id, *src_id;

	/* ARP and IPv6 pass: the model only governs IPv4 traffic to the pod. */
	if ((void *)(eth + 1) > data_end || eth->h_proto != bpf_htons(ETH_P_IP))
		return TC_ACT_OK;
	ip = (void *)(eth + 1);
	if ((void *)(ip + 1) > data_end || ip->ihl < 5)
		return TC_ACT_OK;

	/* A pod without an identity is not managed by this policy (Cilium: no endpoint). */
	dst_id = identity_of(ip->daddr);
	if (!dst_id)
		return TC_ACT_OK;
	src_id = identity_of(ip->saddr);
	key.src_identity = src_id ? *src_id : IDP_ID_WORLD;
	key.dst_identity = *dst_id;
	key.proto = ip->protocol;

	/* Later fragments carry no ports: they keep dport 0, which no TCP/UDP rule allows. */
	if (!(ip->frag_off & bpf_htons(IP_OFFSET_MASK)) &&
	    (ip->protocol == IPPROTO_TCP || ip->protocol == IPPROTO_UDP)) {
		/* The destination port sits at the same offset in TCP and UDP headers. */
		struct udphdr *l4 = (void *)ip + ip->ihl * 4;

		if ((void *)(l4 + 1) > data_end)
			return TC_ACT_SHOT;
		key.dport = bpf_ntohs(l4->dest);
	}

	hits = bpf_map_lookup_elem(&idp_policy, &key);
	if (hits) {
		__sync_fetch_and_add(&hits->packets, 1);
		count(true);
		return TC_ACT_OK;
	}
	count(false);
	return TC_ACT_SHOT;
}
