// SPDX-License-Identifier: GPL-2.0
/*
 * Socket-level service load balancer. At connect() time (cgroup/connect4) the
 * destination VIP:port is looked up in `services`; on a hit one backend is
 * chosen at random and written back into the socket address, so the socket
 * connects straight to the backend. No packet is ever addressed to the VIP,
 * so no NAT rule and no conntrack translation is needed, and the cost of the
 * lookup is one hash probe however many services exist.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "svclb.h"

char LICENSE[] SEC("license") = "GPL";

#define IPPROTO_TCP 6
#define IPPROTO_UDP 17

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SVCLB_MAX_SERVICES);
	__type(key, struct svclb_key);
	__type(value, struct svclb_service);
} services SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, SVCLB_STAT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} stats SEC(".maps");

static __always_inline void count(__u32 slot)
{
	__u64 *v = bpf_map_lookup_elem(&stats, &slot);

	if (v)
		(*v)++;	/* per-CPU slot: no other CPU writes it */
}

SEC("cgroup/connect4")
int svclb_connect4(struct bpf_sock_addr *ctx)
{
	struct svclb_key key = {};
	struct svclb_service *svc;
	__u32 n, i;

	if (ctx->protocol != IPPROTO_TCP && ctx->protocol != IPPROTO_UDP)
		return 1;
	key.vip = ctx->user_ip4;
	key.port = (__u16)ctx->user_port;
	key.proto = (__u16)ctx->protocol;
	count(SVCLB_STAT_LOOKUPS);
	svc = bpf_map_lookup_elem(&services, &key);
	if (!svc)
		return 1;
	n = svc->count;
	if (n == 0 || n > SVCLB_MAX_BACKENDS)
		return 1;
	i = bpf_get_prandom_u32() % n;
	/*
	 * i < n <= SVCLB_MAX_BACKENDS already, but the verifier does not track bounds through
	 * a modulo; the barrier stops clang from dropping the check it needs to see.
	 */
	barrier_var(i);
	if (i >= SVCLB_MAX_BACKENDS)
		return 1;
	ctx->user_ip4 = svc->be[i].ip;
	ctx->user_port = svc->be[i].port;
	count(SVCLB_STAT_REWRITES);
	return 1;	/* 1 = let the connect() proceed (with the new address) */
}
