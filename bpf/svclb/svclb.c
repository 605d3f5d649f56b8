// SPDX-License-Identifier: GPL-2.0
/*
 * svclb: loader and service CLI for svclb.bpf.c.
 *   attach  loads the program, pins its maps and a link under the pin dir, attaches the
 *           link to a cgroup and exits: the pinned link keeps it attached.
 *   detach  unpins the link (which detaches the program); --purge drops the maps too.
 *   add/del/apply/list  edit or show the pinned services map. One service = one map write.
 * Exit codes: 0 ok, 1 failure (message on stderr), 2 usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "svclb.h"
#include "svclb.skel.h"

static const char *pin_dir = "/sys/fs/bpf/svclb";
static bool verbose;

static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return level == LIBBPF_DEBUG && !verbose ? 0 : vfprintf(stderr, fmt, ap);
}

static int fail(const char *fmt, ...)
{
	va_list ap;

	fputs("svclb: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

/* Up to three results stay valid at once, enough for one message. */
static const char *pin_path(const char *name)
{
	static char buf[3][256];
	static int next;
	char *p = buf[next++ % 3];

	snprintf(p, sizeof(buf[0]), "%s/%s", pin_dir, name);
	return p;
}

/* "a.b.c.d:port" with an optional "/tcp" or "/udp" suffix; all stored in network order. */
static bool parse_addr(const char *s, unsigned int *ip, unsigned short *port, unsigned short *proto)
{
	char host[32], *colon, *slash, *end;
	unsigned long p;

	if (strlen(s) >= sizeof(host))
		return false;
	strcpy(host, s);
	if (proto) {
		*proto = 6;
		slash = strchr(host, '/');
		if (slash) {
			*slash++ = '\0';
			if (!strcmp(slash, "udp"))
				*proto = 17;
			else if (strcmp(slash, "tcp"))
				return false;
		}
	}
	colon = strchr(host, ':');
	if (!colon)
		return false;
	*colon++ = '\0';
	p = strtoul(colon, &end, 10);
	if (*end || p == 0 || p > 65535 || inet_pton(AF_INET, host, ip) != 1)
		return false;
	*port = htons((unsigned short)p);
	return true;
}

static int open_services(void)
{
	int fd = bpf_obj_get(pin_path("services"));

	if (fd < 0)
		fail("cannot open %s: %s (run `svclb attach` first)", pin_path("services"), strerror(errno));
	return fd;
}

static int cmd_attach(const char *cgroup)
{
	struct svclb_bpf *skel;
	struct bpf_prog_info info = {};
	unsigned int len = sizeof(info);
	struct bpf_link *link;
	int cg, err;

	if (!access(pin_path("link"), F_OK))
		return fail("already attached (%s exists); run `svclb detach` first", pin_path("link"));
	if (mkdir(pin_dir, 0700) && errno != EEXIST)
		return fail("cannot create %s: %s (is bpffs mounted at /sys/fs/bpf?)", pin_dir, strerror(errno));
	cg = open(cgroup, O_RDONLY | O_DIRECTORY);
	if (cg < 0)
		return fail("cannot open cgroup %s: %s", cgroup, strerror(errno));
	skel = svclb_bpf__open();
	if (!skel)
		return fail("cannot open the BPF object: %s", strerror(errno));
	/* Pinned maps are reused, so services survive a detach + attach. */
	bpf_map__set_pin_path(skel->maps.services, pin_path("services"));
	bpf_map__set_pin_path(skel->maps.stats, pin_path("stats"));
	err = svclb_bpf__load(skel);
	if (err) {
		svclb_bpf__destroy(skel);
		return fail("loading failed: %s", strerror(-err));
	}
	link = bpf_program__attach_cgroup(skel->progs.svclb_connect4, cg);
	err = link ? bpf_link__pin(link, pin_path("link")) : -errno;
	if (!err)
		err = bpf_obj_get_info_by_fd(bpf_program__fd(skel->progs.svclb_connect4), &info, &len);
	if (err) {
		bpf_link__destroy(link);
		svclb_bpf__destroy(skel);
		return fail("attaching to %s failed: %s", cgroup, strerror(-err));
	}
	printf("attached: svclb_connect4 (prog id %u) to cgroup %s; link and maps pinned in %s\n",
	       info.id, cgroup, pin_dir);
	bpf_link__destroy(link);	/* closes our fd only: the pin keeps the link */
	svclb_bpf__destroy(skel);
	close(cg);
	return 0;
}

static int cmd_detach(bool purge)
{
	bool had = !unlink(pin_path("link"));

	if (!had && errno != ENOENT)
		return fail("cannot unpin %s: %s", pin_path("link"), strerror(errno));
	if (purge) {
		unlink(pin_path("services"));
		unlink(pin_path("stats"));
		rmdir(pin_dir);
	}
	printf("%s%s\n", had ? "detached" : "was not attached",
	       purge ? "; services map removed" : "; services map kept");
	return 0;
}

static int update(int fd, char **tok, int n, char *err, size_t errlen)
{
	struct svclb_key key = {};
	struct svclb_service svc = {};
	unsigned short proto;
	int i;

	if (n < 1 || !parse_addr(tok[0], &key.vip, &key.port, &proto))
		return snprintf(err, errlen, "expected VIP:PORT[/tcp|/udp], got \"%s\"", n ? tok[0] : ""), -1;
	key.proto = proto;
	if (n - 1 > SVCLB_MAX_BACKENDS)
		return snprintf(err, errlen, "at most %d backends per service", SVCLB_MAX_BACKENDS), -1;
	for (i = 1; i < n; i++)
		if (!parse_addr(tok[i], &svc.be[i - 1].ip, &svc.be[i - 1].port, NULL))
			return snprintf(err, errlen, "expected BACKEND_IP:PORT, got \"%s\"", tok[i]), -1;
	svc.count = n - 1;
	if (n == 1 && bpf_map_delete_elem(fd, &key) && errno != ENOENT)
		return snprintf(err, errlen, "delete %s: %s", tok[0], strerror(errno)), -1;
	if (n == 1)
		return 0;
	if (bpf_map_update_elem(fd, &key, &svc, BPF_ANY))
		return snprintf(err, errlen, "update %s: %s", tok[0], strerror(errno)), -1;
	return 0;
}

/* Each line: "add VIP:PORT BACKEND:PORT..." or "del VIP:PORT"; blank lines and # comments skipped. */
static int cmd_apply(const char *file)
{
	FILE *f = strcmp(file, "-") ? fopen(file, "r") : stdin;
	char line[2048], err[256], *tok[SVCLB_MAX_BACKENDS + 3], *save;
	int fd, n, lineno = 0, done = 0;

	if (!f)
		return fail("cannot open %s: %s", file, strerror(errno));
	fd = open_services();
	if (fd < 0)
		return 1;
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		n = 0;
		for (char *t = strtok_r(line, " \t\r\n", &save); t && n < (int)(sizeof(tok) / sizeof(tok[0]));
		     t = strtok_r(NULL, " \t\r\n", &save))
			tok[n++] = t;
		if (n == 0 || tok[0][0] == '#')
			continue;
		if ((strcmp(tok[0], "add") || n < 3) && (strcmp(tok[0], "del") || n != 2))
			return fail("%s:%d: expected \"add VIP:PORT BACKEND:PORT...\" or \"del VIP:PORT\"", file, lineno);
		if (update(fd, tok + 1, n - 1, err, sizeof(err)))
			return fail("%s:%d: %s", file, lineno, err);
		done++;
	}
	printf("applied %d change(s)\n", done);
	return 0;
}

static void addr_str(char *buf, size_t len, unsigned int ip, unsigned short port)
{
	char a[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &ip, a, sizeof(a));
	snprintf(buf, len, "%s:%u", a, ntohs(port));
}

static int cmd_list(bool json)
{
	struct svclb_key key, next, *prev = NULL;
	struct svclb_service svc;
	unsigned long long sum[SVCLB_STAT_MAX] = {};
	int fd = open_services(), sfd, ncpu = libbpf_num_possible_cpus(), count = 0;
	char buf[48];

	if (fd < 0)
		return 1;
	sfd = bpf_obj_get(pin_path("stats"));
	for (unsigned int s = 0; sfd >= 0 && ncpu > 0 && s < SVCLB_STAT_MAX; s++) {
		unsigned long long v[ncpu];

		if (!bpf_map_lookup_elem(sfd, &s, v))
			for (int c = 0; c < ncpu; c++)
				sum[s] += v[c];
	}
	if (json)
		fputs("{\"services\":[", stdout);
	while (!bpf_map_get_next_key(fd, prev, &next)) {
		key = next;
		prev = &key;
		if (bpf_map_lookup_elem(fd, &key, &svc))
			continue;	/* deleted meanwhile */
		addr_str(buf, sizeof(buf), key.vip, key.port);
		if (json)
			printf("%s{\"service\":\"%s\",\"proto\":\"%s\",\"backends\":[", count ? "," : "", buf,
			       key.proto == 17 ? "udp" : "tcp");
		else
			printf("%s/%s ->", buf, key.proto == 17 ? "udp" : "tcp");
		for (unsigned int i = 0; i < svc.count && i < SVCLB_MAX_BACKENDS; i++) {
			addr_str(buf, sizeof(buf), svc.be[i].ip, svc.be[i].port);
			printf(json ? "%s\"%s\"" : "%s%s", json ? (i ? "," : "") : " ", buf);
		}
		fputs(json ? "]}" : "\n", stdout);
		count++;
	}
	if (json)
		printf("],\"lookups\":%llu,\"rewrites\":%llu}\n", sum[SVCLB_STAT_LOOKUPS], sum[SVCLB_STAT_REWRITES]);
	else
		printf("# %d service(s); connects looked up %llu, rewritten %llu\n", count,
		       sum[SVCLB_STAT_LOOKUPS], sum[SVCLB_STAT_REWRITES]);
	return 0;
}

static int usage(FILE *f)
{
	fputs("usage: svclb [--pin DIR] [-v] COMMAND\n"
	      "  attach [--cgroup DIR]            load + attach cgroup/connect4 (default cgroup /sys/fs/cgroup)\n"
	      "  detach [--purge]                 unpin the link; --purge also removes the maps\n"
	      "  add VIP:PORT BACKEND:PORT...     add or replace a service (VIP:PORT/udp for UDP)\n"
	      "  del VIP:PORT                     remove a service\n"
	      "  apply FILE|-                     lines of \"add VIP:PORT BACKEND:PORT...\" / \"del VIP:PORT\"\n"
	      "  list [--json]                    services and connect counters\n"
	      "  pin dir default: /sys/fs/bpf/svclb\n", f);
	return f == stderr ? 2 : 0;
}

int main(int argc, char **argv)
{
	char err[256];
	const char *cmd;
	int i = 1, fd, rc;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--pin") && i + 1 < argc)
			pin_dir = argv[++i];
		else if (!strcmp(argv[i], "-v"))
			verbose = true;
		else
			return usage(strcmp(argv[i], "-h") && strcmp(argv[i], "--help") ? stderr : stdout);
	}
	if (i >= argc)
		return usage(stderr);
	libbpf_set_print(libbpf_log);
	cmd = argv[i++];
	if (!strcmp(cmd, "attach")) {
		if (i < argc && (strcmp(argv[i], "--cgroup") || i + 2 != argc))
			return usage(stderr);
		return cmd_attach(i < argc ? argv[i + 1] : "/sys/fs/cgroup");
	}
	if (!strcmp(cmd, "detach"))
		return i == argc || (i + 1 == argc && !strcmp(argv[i], "--purge")) ? cmd_detach(i < argc) : usage(stderr);
	if (!strcmp(cmd, "list"))
		return i == argc || (i + 1 == argc && !strcmp(argv[i], "--json")) ? cmd_list(i < argc) : usage(stderr);
	if (!strcmp(cmd, "apply"))
		return i + 1 == argc ? cmd_apply(argv[i]) : usage(stderr);
	if ((strcmp(cmd, "add") || argc - i < 2) && (strcmp(cmd, "del") || argc - i != 1))
		return usage(stderr);
	fd = open_services();
	if (fd < 0)
		return 1;
	rc = update(fd, argv + i, argc - i, err, sizeof(err));
	return rc ? fail("%s", err) : 0;
}
