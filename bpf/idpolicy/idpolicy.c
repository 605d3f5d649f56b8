// SPDX-License-Identifier: GPL-2.0
/*
 * Loader and map editor for idpolicy.bpf.c, run as root on the node that hosts the pod:
 *   idpolicy attach DEV                     load to_container, pin its maps in IDP_PIN_DIR and
 *                                           attach it at tc egress of DEV (toward the pod)
 *   idpolicy detach DEV                     take it off DEV again (the pinned maps stay)
 *   idpolicy identity IP ID                 ipcache: the pod with this IP has identity ID
 *   idpolicy allow SRC_ID DST_ID PORT[/P]   policy: SRC may reach DST on PORT (P: tcp, udp, icmp)
 *   idpolicy revoke SRC_ID DST_ID PORT[/P]  remove that rule
 * The tc filter keeps the program alive after this process exits, so nothing stays running.
 * One line on stdout says what was done; errors go to stderr with exit code 1.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "idpolicy.h"
#include "idpolicy.skel.h"

#define TC_HANDLE 1
#define TC_PRIORITY 1

static bool verbose, hush;

static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (!verbose && (level == LIBBPF_DEBUG || hush))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static int usage(void)
{
	fprintf(stderr,
		"usage: idpolicy [-v] attach DEV | detach DEV\n"
		"       idpolicy identity IP ID\n"
		"       idpolicy allow|revoke SRC_ID DST_ID PORT[/tcp|/udp|/icmp]\n");
	return 2;
}

static int fail(const char *what, int err)
{
	fprintf(stderr, "idpolicy: %s: %s\n", what, strerror(err < 0 ? -err : err));
	return 1;
}

static int hook_for(const char *dev, struct bpf_tc_hook *hook)
{
	hook->ifindex = if_nametoindex(dev);
	if (!hook->ifindex) {
		fprintf(stderr, "idpolicy: no interface %s in this network namespace (ip link shows them)\n", dev);
		return -ENODEV;
	}
	hook->attach_point = BPF_TC_EGRESS;
	return 0;
}

static int attach(const char *dev)
{
	LIBBPF_OPTS(bpf_object_open_opts, open_opts, .pin_root_path = IDP_PIN_DIR);
	LIBBPF_OPTS(bpf_tc_hook, hook);
	LIBBPF_OPTS(bpf_tc_opts, tc, .handle = TC_HANDLE, .priority = TC_PRIORITY, .flags = BPF_TC_F_REPLACE);
	struct idpolicy_bpf *skel;
	int err;

	if (hook_for(dev, &hook))
		return 1;
	/* Maps already pinned by an earlier attach are reused, so identities and rules survive. */
	skel = idpolicy_bpf__open_opts(&open_opts);
	if (!skel)
		return fail("opening the BPF object", errno);
	err = idpolicy_bpf__load(skel);
	if (err) {
		fprintf(stderr, "idpolicy: is %s a bpffs? (mount -t bpf bpf /sys/fs/bpf)\n", IDP_PIN_DIR);
		idpolicy_bpf__destroy(skel);
		return fail("loading the program", err);
	}
	/* Creating clsact twice is harmless: EEXIST means it is already there (libbpf would log it). */
	hush = true;
	err = bpf_tc_hook_create(&hook);
	hush = false;
	if (err && err != -EEXIST) {
		idpolicy_bpf__destroy(skel);
		return fail("adding the clsact qdisc", err);
	}
	tc.prog_fd = bpf_program__fd(skel->progs.to_container);
	err = bpf_tc_attach(&hook, &tc);
	if (err) {
		idpolicy_bpf__destroy(skel);
		return fail("attaching at tc egress", err);
	}
	printf("attached to_container (prog id %u) at tc egress of %s; maps pinned in %s\n", tc.prog_id, dev, IDP_PIN_DIR);
	idpolicy_bpf__destroy(skel);
	return 0;
}

static int detach(const char *dev)
{
	LIBBPF_OPTS(bpf_tc_hook, hook);
	LIBBPF_OPTS(bpf_tc_opts, tc, .handle = TC_HANDLE, .priority = TC_PRIORITY);
	int err;

	if (hook_for(dev, &hook))
		return 1;
	err = bpf_tc_detach(&hook, &tc);
	if (err)
		return fail("detaching from tc egress", err);
	printf("detached from tc egress of %s; the maps in %s stay\n", dev, IDP_PIN_DIR);
	return 0;
}

static int pinned_map(const char *name)
{
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", IDP_PIN_DIR, name);
	fd = bpf_obj_get(path);
	if (fd < 0)
		fprintf(stderr, "idpolicy: cannot open %s (%s): run `idpolicy attach DEV` on this node first\n",
			path, strerror(errno));
	return fd;
}

static bool parse_u32(const char *s, unsigned int *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > 0xffffffffUL)
		return false;
	*out = (unsigned int)v;
	return true;
}

static int set_identity(const char *ip, const char *id)
{
	struct idp_ip key;
	unsigned int identity;
	int fd;

	if (inet_pton(AF_INET, ip, key.addr) != 1) {
		fprintf(stderr, "idpolicy: %s is not an IPv4 address\n", ip);
		return 2;
	}
	if (!parse_u32(id, &identity) || identity == 0) {
		fprintf(stderr, "idpolicy: identity %s is not a number above 0\n", id);
		return 2;
	}
	fd = pinned_map("idp_ipcache");
	if (fd < 0)
		return 1;
	if (bpf_map_update_elem(fd, &key, &identity, BPF_ANY))
		return fail("updating idp_ipcache", errno);
	printf("ipcache: %s -> identity %u\n", ip, identity);
	return 0;
}

static int parse_port(const char *s, struct idp_policy_key *key)
{
	char buf[32], *slash;
	unsigned int port;

	snprintf(buf, sizeof(buf), "%s", s);
	slash = strchr(buf, '/');
	key->proto = IPPROTO_TCP;
	if (slash) {
		*slash++ = '\0';
		if (!strcmp(slash, "udp"))
			key->proto = IPPROTO_UDP;
		else if (!strcmp(slash, "icmp"))
			key->proto = IPPROTO_ICMP;
		else if (strcmp(slash, "tcp"))
			return -1;
	}
	if (!parse_u32(buf, &port) || port > 65535 || (key->proto == IPPROTO_ICMP && port))
		return -1;
	key->dport = port;
	return 0;
}

static int set_rule(bool allow, const char *src, const char *dst, const char *port)
{
	struct idp_policy_key key = {};
	struct idp_policy_hits zero = {};
	int fd, err;

	if (!parse_u32(src, &key.src_identity) || !parse_u32(dst, &key.dst_identity)) {
		fprintf(stderr, "idpolicy: identities are numbers, got %s and %s\n", src, dst);
		return 2;
	}
	if (parse_port(port, &key)) {
		fprintf(stderr, "idpolicy: %s is not PORT, PORT/tcp, PORT/udp or 0/icmp\n", port);
		return 2;
	}
	fd = pinned_map("idp_policy");
	if (fd < 0)
		return 1;
	/* BPF_NOEXIST keeps the hit counter of a rule that is allowed twice. */
	err = allow ? bpf_map_update_elem(fd, &key, &zero, BPF_NOEXIST) : bpf_map_delete_elem(fd, &key);
	if (err && !(allow && errno == EEXIST))
		return fail(allow ? "updating idp_policy" : "removing the rule from idp_policy", errno);
	printf("policy: %s identity %u -> identity %u port %u proto %u\n", allow ? "allow" : "revoked",
	       key.src_identity, key.dst_identity, key.dport, key.proto);
	return 0;
}

int main(int argc, char **argv)
{
	int i = 1;

	if (argc > 1 && !strcmp(argv[1], "-v")) {
		verbose = true;
		i++;
	}
	libbpf_set_print(libbpf_log);
	if (argc - i == 2 && !strcmp(argv[i], "attach"))
		return attach(argv[i + 1]);
	if (argc - i == 2 && !strcmp(argv[i], "detach"))
		return detach(argv[i + 1]);
	if (argc - i == 3 && !strcmp(argv[i], "identity"))
		return set_identity(argv[i + 1], argv[i + 2]);
	if (argc - i == 4 && (!strcmp(argv[i], "allow") || !strcmp(argv[i], "revoke")))
		return set_rule(argv[i][0] == 'a', argv[i + 1], argv[i + 2], argv[i + 3]);
	return usage();
}
