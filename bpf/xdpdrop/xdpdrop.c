// SPDX-License-Identifier: GPL-2.0
/*
 * Loader and rule editor for xdpdrop.bpf.c, run as root on the node whose interface it guards:
 *   xdpdrop attach xdp|tc DEV              load the program, pin its maps in XDPDROP_PIN_DIR and
 *                                          attach it at XDP (xdp) or tc clsact ingress (tc) of DEV
 *   xdpdrop detach xdp|tc DEV              take it off DEV again (the pinned maps stay)
 *   xdpdrop block xdp|tc SRC PORT[/udp|/tcp]    drop packets from SRC to PORT (default udp)
 *   xdpdrop unblock xdp|tc SRC PORT[/udp|/tcp]  remove that rule
 *   xdpdrop stats                          rules and per-CPU counters of both hooks
 * XDP and tc attachments made through netlink stay after this process exits, so nothing runs.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "xdpdrop.h"
#include "xdpdrop.skel.h"

#define TC_HANDLE 1
#define TC_PRIORITY 1

static bool hush;

static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG || hush)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static int usage(void)
{
	fprintf(stderr,
		"usage: xdpdrop attach|detach xdp|tc DEV\n"
		"       xdpdrop block|unblock xdp|tc SRC_IP PORT[/udp|/tcp]\n"
		"       xdpdrop stats\n");
	return 2;
}

static int fail(const char *what, int err)
{
	fprintf(stderr, "xdpdrop: %s: %s\n", what, strerror(err < 0 ? -err : err));
	return 1;
}

/* "xdp" → true, "tc" → false; anything else is a usage error (-1). */
static int hook_is_xdp(const char *hook)
{
	if (!strcmp(hook, "xdp"))
		return 1;
	if (!strcmp(hook, "tc"))
		return 0;
	fprintf(stderr, "xdpdrop: the hook is \"xdp\" or \"tc\", not \"%s\"\n", hook);
	return -1;
}

static int ifindex_of(const char *dev)
{
	int ifindex = if_nametoindex(dev);

	if (!ifindex)
		fprintf(stderr, "xdpdrop: no interface %s in this network namespace (ip link shows them)\n", dev);
	return ifindex;
}

static int attach(bool xdp, const char *dev)
{
	LIBBPF_OPTS(bpf_object_open_opts, open_opts, .pin_root_path = XDPDROP_PIN_DIR);
	LIBBPF_OPTS(bpf_tc_hook, hook, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, tc, .handle = TC_HANDLE, .priority = TC_PRIORITY, .flags = BPF_TC_F_REPLACE);
	struct xdpdrop_bpf *skel;
	int ifindex = ifindex_of(dev), err;
	__u32 id = 0;

	if (!ifindex)
		return 1;
	/* Maps already pinned by an earlier attach are reused, so rules and counters survive. */
	skel = xdpdrop_bpf__open_opts(&open_opts);
	if (!skel)
		return fail("opening the BPF object", errno);
	err = xdpdrop_bpf__load(skel);
	if (err) {
		fprintf(stderr, "xdpdrop: is %s on a bpffs? (mount -t bpf bpf /sys/fs/bpf)\n", XDPDROP_PIN_DIR);
		xdpdrop_bpf__destroy(skel);
		return fail("loading the programs", err);
	}
	if (xdp) {
		/* No mode flag: the kernel uses the driver's native XDP when it has one (veth does). */
		err = bpf_xdp_attach(ifindex, bpf_program__fd(skel->progs.xdp_drop), 0, NULL);
		if (!err)
			err = bpf_xdp_query_id(ifindex, 0, &id);
	} else {
		hook.ifindex = ifindex;
		/* Creating clsact twice is harmless: EEXIST means it is already there. */
		hush = true;
		err = bpf_tc_hook_create(&hook);
		hush = false;
		if (!err || err == -EEXIST) {
			tc.prog_fd = bpf_program__fd(skel->progs.tc_drop);
			err = bpf_tc_attach(&hook, &tc);
			id = tc.prog_id;
		}
	}
	xdpdrop_bpf__destroy(skel);
	if (err)
		return fail(xdp ? "attaching at XDP" : "attaching at tc ingress", err);
	printf("attached %s (prog id %u) at %s of %s; maps pinned in %s\n", xdp ? "xdp_drop" : "tc_drop", id,
	       xdp ? "XDP" : "tc clsact ingress", dev, XDPDROP_PIN_DIR);
	return 0;
}

static int detach(bool xdp, const char *dev)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, tc, .handle = TC_HANDLE, .priority = TC_PRIORITY);
	int ifindex = ifindex_of(dev), err;

	if (!ifindex)
		return 1;
	if (xdp) {
		err = bpf_xdp_detach(ifindex, 0, NULL);
	} else {
		hook.ifindex = ifindex;
		err = bpf_tc_detach(&hook, &tc);
	}
	if (err)
		return fail(xdp ? "detaching from XDP" : "detaching from tc ingress", err);
	printf("detached from %s of %s; the maps in %s stay\n", xdp ? "XDP" : "tc ingress", dev, XDPDROP_PIN_DIR);
	return 0;
}

static int pinned_map(const char *name)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", XDPDROP_PIN_DIR, name);
	fd = bpf_obj_get(path);
	if (fd < 0)
		fprintf(stderr, "xdpdrop: cannot open %s (%s): run `xdpdrop attach xdp|tc DEV` on this node first\n",
			path, strerror(errno));
	return fd;
}

static int parse_rule(const char *src, const char *port, struct xd_rule *key)
{
	char buf[32], *slash, *end;
	unsigned long p;

	if (inet_pton(AF_INET, src, key->saddr) != 1) {
		fprintf(stderr, "xdpdrop: %s is not an IPv4 address\n", src);
		return -1;
	}
	snprintf(buf, sizeof(buf), "%s", port);
	key->proto = IPPROTO_UDP;
	slash = strchr(buf, '/');
	if (slash) {
		*slash++ = '\0';
		if (!strcmp(slash, "tcp"))
			key->proto = IPPROTO_TCP;
		else if (strcmp(slash, "udp"))
			slash = NULL, buf[0] = '\0';
	}
	errno = 0;
	p = strtoul(buf, &end, 10);
	if (errno || end == buf || *end || p == 0 || p > 65535) {
		fprintf(stderr, "xdpdrop: %s is not PORT, PORT/udp or PORT/tcp (1-65535)\n", port);
		return -1;
	}
	key->dport = p;
	return 0;
}

static int set_rule(bool block, bool xdp, const char *src, const char *port)
{
	struct xd_rule key = {};
	__u64 zero = 0;
	int fd, err;

	if (parse_rule(src, port, &key))
		return 2;
	fd = pinned_map(xdp ? "xdp_rules" : "tc_rules");
	if (fd < 0)
		return 1;
	/* BPF_NOEXIST keeps the hit counter of a rule that is blocked twice. */
	err = block ? bpf_map_update_elem(fd, &key, &zero, BPF_NOEXIST) : bpf_map_delete_elem(fd, &key);
	if (err && !(block && errno == EEXIST))
		return fail(block ? "adding the rule" : "removing the rule", errno);
	printf("%s: %s %s -> port %u/%s\n", xdp ? "xdp" : "tc", block ? "drop" : "no longer drop", src, key.dport,
	       key.proto == IPPROTO_TCP ? "tcp" : "udp");
	return 0;
}

static void show(const char *hook)
{
	char name[32];
	struct xd_rule key, next, *prev = NULL;
	int ncpu = libbpf_num_possible_cpus(), rules, counts, i;
	struct xd_counters *per_cpu, sum = {};
	__u32 zero = 0;
	__u64 hits;

	snprintf(name, sizeof(name), "%s_counts", hook);
	hush = true;
	counts = pinned_map(name);
	hush = false;
	if (counts < 0 || ncpu <= 0)
		return;
	per_cpu = calloc(ncpu, sizeof(*per_cpu));
	if (per_cpu && !bpf_map_lookup_elem(counts, &zero, per_cpu))
		for (i = 0; i < ncpu; i++)
			sum.dropped += per_cpu[i].dropped, sum.passed += per_cpu[i].passed;
	free(per_cpu);
	close(counts);
	printf("%-4s dropped %llu passed %llu\n", hook, sum.dropped, sum.passed);
	snprintf(name, sizeof(name), "%s_rules", hook);
	rules = pinned_map(name);
	if (rules < 0)
		return;
	while (!bpf_map_get_next_key(rules, prev, &next)) {
		char ip[INET_ADDRSTRLEN];

		if (!bpf_map_lookup_elem(rules, &next, &hits))
			printf("     drop %s -> %u/%s  (%llu packets)\n", inet_ntop(AF_INET, next.saddr, ip, sizeof(ip)),
			       next.dport, next.proto == IPPROTO_TCP ? "tcp" : "udp", (unsigned long long)hits);
		key = next;
		prev = &key;
	}
	close(rules);
}

int main(int argc, char **argv)
{
	int xdp;

	libbpf_set_print(libbpf_log);
	if (argc == 2 && !strcmp(argv[1], "stats")) {
		show("xdp");
		show("tc");
		return 0;
	}
	if (argc < 4 || (xdp = hook_is_xdp(argv[2])) < 0)
		return usage();
	if (argc == 4 && !strcmp(argv[1], "attach"))
		return attach(xdp, argv[3]);
	if (argc == 4 && !strcmp(argv[1], "detach"))
		return detach(xdp, argv[3]);
	if (argc == 5 && (!strcmp(argv[1], "block") || !strcmp(argv[1], "unblock")))
		return set_rule(argv[1][0] == 'b', xdp, argv[3], argv[4]);
	return usage();
}
