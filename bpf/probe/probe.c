// SPDX-License-Identifier: GPL-2.0
/*
 * Capability prober for `lab doctor`: loads and attaches each program of probe.bpf.c
 * on its own and prints ONE JSON object on stdout, e.g.
 *   {"bpf":{"ok":true},...,"kprobe":{"ok":false,"step":"attach","errno":2,"error":"..."},...}
 * XDP and tc attach to `lo`. Before that the prober moves itself into a fresh network
 * namespace (unshare(CLONE_NEWNET)), so it never touches the host's interfaces even when
 * run without `unshare --net`; if it cannot, xdp/tc are reported as not probed.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "probe.h"
#include "probe.skel.h"

struct result {
	bool ok;
	const char *step;	/* what failed: load, attach, ... */
	int err;		/* positive errno */
	char detail[200];	/* first libbpf warning of the attempt, or a note */
};

static bool verbose;
static char first_warning[200];

static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[512];

	if (verbose)
		return vfprintf(stderr, fmt, ap);
	if (level != LIBBPF_WARN || first_warning[0])
		return 0;
	vsnprintf(line, sizeof(line), fmt, ap);
	line[strcspn(line, "\n")] = '\0';
	snprintf(first_warning, sizeof(first_warning), "%s", line);
	return 0;
}

static bool fail(struct result *r, const char *step, int err)
{
	r->ok = false;
	r->step = step;
	r->err = err;
	if (!r->detail[0])
		snprintf(r->detail, sizeof(r->detail), "%s", first_warning);
	return false;
}

/* A fresh skeleton with only `name` loaded (and the ringbuf map only if asked for). */
static struct probe_bpf *load_one(const char *name, bool ringbuf, struct result *r,
				  struct bpf_program **prog)
{
	struct probe_bpf *skel = probe_bpf__open();
	struct bpf_program *p;
	int err;

	if (!skel) {
		fail(r, "open", errno);
		return NULL;
	}
	bpf_object__for_each_program(p, skel->obj) {
		bool want = !strcmp(bpf_program__name(p), name);

		bpf_program__set_autoload(p, want);
		if (want)
			*prog = p;
	}
	bpf_map__set_autocreate(skel->maps.probe_rb, ringbuf);
	err = probe_bpf__load(skel);
	if (err) {
		fail(r, "load", -err);
		probe_bpf__destroy(skel);
		return NULL;
	}
	return skel;
}

/* The verdict of one attach: ok with a link (detached again at once), else attach's errno. */
static void attached(struct bpf_link *link, struct result *r)
{
	if (link)
		r->ok = true;
	else
		fail(r, "attach", errno);
	bpf_link__destroy(link);
}

/* Load, attach with libbpf's default for the section, detach. */
static bool probe_attach(const char *name, struct result *r)
{
	struct bpf_program *prog;
	struct probe_bpf *skel = load_one(name, false, r, &prog);
	struct bpf_link *link;

	if (!skel)
		return false;
	if (!strcmp(name, "probe_kprobe"))
		link = bpf_program__attach_ksyscall(prog, "getpid", NULL);
	else
		link = bpf_program__attach(prog);
	attached(link, r);
	probe_bpf__destroy(skel);
	return r->ok;
}

static bool probe_netdev(bool xdp, bool private_netns, struct result *r)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts);
	struct bpf_program *prog;
	struct probe_bpf *skel;
	int ifindex, err;

	if (!private_netns) {
		snprintf(r->detail, sizeof(r->detail), "not probed: no private network namespace, "
			 "refusing to attach to the host's interfaces");
		return fail(r, "netns", r->err);
	}
	ifindex = if_nametoindex("lo");
	if (!ifindex)
		return fail(r, "ifindex", errno);
	skel = load_one(xdp ? "probe_xdp" : "probe_tc", false, r, &prog);
	if (!skel)
		return false;
	if (xdp) {
		attached(bpf_program__attach_xdp(prog, ifindex), r);
	} else {
		hook.ifindex = ifindex;
		opts.prog_fd = bpf_program__fd(prog);
		err = bpf_tc_hook_create(&hook);	/* adds clsact to lo of our own netns */
		if (err && err != -EEXIST) {
			fail(r, "qdisc", -err);
		} else if ((err = bpf_tc_attach(&hook, &opts))) {
			fail(r, "attach", -err);
		} else {
			r->ok = true;
			opts.prog_fd = opts.prog_id = opts.flags = 0;
			bpf_tc_detach(&hook, &opts);
		}
		hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;
		bpf_tc_hook_destroy(&hook);
	}
	probe_bpf__destroy(skel);
	return r->ok;
}

static bool cgroup2_mount(char *path, size_t len)
{
	char dev[64], dir[256], type[32];
	FILE *f = fopen("/proc/self/mounts", "r");
	bool found = false;

	while (f && !found && fscanf(f, "%63s %255s %31s %*[^\n]", dev, dir, type) == 3)
		if (!strcmp(type, "cgroup2"))
			found = snprintf(path, len, "%s", dir) < (int)len;
	if (f)
		fclose(f);
	return found;
}

/* Attach to a throwaway child cgroup, so no real process is ever affected. */
static bool probe_cgroup(struct result *r)
{
	char root[256], dir[320];
	struct bpf_program *prog;
	struct probe_bpf *skel;
	int fd;

	if (!cgroup2_mount(root, sizeof(root))) {
		snprintf(r->detail, sizeof(r->detail), "no cgroup2 mount in /proc/self/mounts");
		return fail(r, "cgroup", ENOENT);
	}
	snprintf(dir, sizeof(dir), "%s/ebpf-lab-probe.%d", root, (int)getpid());
	if (mkdir(dir, 0755) && errno != EEXIST)
		return fail(r, "cgroup", errno);
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	if (fd < 0) {
		fail(r, "cgroup", errno);
	} else if ((skel = load_one("probe_connect4", false, r, &prog))) {
		attached(bpf_program__attach_cgroup(prog, fd), r);
		probe_bpf__destroy(skel);
	}
	if (fd >= 0)
		close(fd);
	if (rmdir(dir) && r->ok)
		fail(r, "cleanup", errno);
	return r->ok;
}

static int count_event(void *ctx, void *data, size_t size)
{
	const struct probe_rb_event *e = data;

	if (size >= sizeof(*e) && e->magic == PROBE_RB_MAGIC)
		++*(int *)ctx;
	return 0;
}

/* Round trip: run the socket filter once with a dummy packet, read its record back. */
static bool probe_ringbuf(struct result *r)
{
	char pkt[64] = { 0 };
	LIBBPF_OPTS(bpf_test_run_opts, run, .data_in = pkt, .data_size_in = sizeof(pkt), .repeat = 1);
	struct bpf_program *prog;
	struct probe_bpf *skel = load_one("probe_ringbuf", true, r, &prog);
	struct ring_buffer *rb;
	int seen = 0, err;

	if (!skel)
		return false;
	rb = ring_buffer__new(bpf_map__fd(skel->maps.probe_rb), count_event, &seen, NULL);
	if (!rb)
		fail(r, "mmap", errno);
	else if ((err = bpf_prog_test_run_opts(bpf_program__fd(prog), &run)))
		fail(r, "run", errno);
	else if (ring_buffer__consume(rb) < 0 || seen != 1)
		fail(r, "read", EIO);
	else
		r->ok = true;
	ring_buffer__free(rb);
	probe_bpf__destroy(skel);
	return r->ok;
}

static void probe_bpf_syscall(struct result *r)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "probe_bpf", 4, 4, 1, NULL);

	if (fd < 0) {
		if (errno == EPERM)
			snprintf(r->detail, sizeof(r->detail),
				 "needs CAP_BPF + CAP_PERFMON or CAP_SYS_ADMIN: run as root");
		fail(r, "bpf", errno);
		return;
	}
	close(fd);
	r->ok = true;
}

static void probe_btf(struct result *r)
{
	struct btf *btf = btf__load_vmlinux_btf();

	if (!btf) {
		fail(r, "btf", errno);
		return;
	}
	btf__free(btf);
	r->ok = true;
}

static void print_result(const char *key, const struct result *r, bool last)
{
	printf("\"%s\":{\"ok\":%s", key, r->ok ? "true" : "false");
	if (!r->ok)
		printf(",\"step\":\"%s\",\"errno\":%d,\"error\":\"%s failed: %s\"", r->step, r->err,
		       r->step, strerror(r->err));
	if (r->detail[0]) {
		fputs(",\"detail\":\"", stdout);
		for (const char *c = r->detail; *c; c++)	/* libbpf/errno text: ASCII */
			if (*c == '"' || *c == '\\')
				printf("\\%c", *c);
			else if ((unsigned char)*c >= 0x20 && (unsigned char)*c < 0x7f)
				putchar(*c);
		putchar('"');
	}
	printf("}%s", last ? "" : ",");
}

int main(int argc, char **argv)
{
	enum { BPF, BTF, KPROBE, FENTRY, TP, XDP, TC, CGROUP, RINGBUF, N };
	static const char *keys[N] = { "bpf", "btf", "kprobe", "fentry", "tracepoint", "xdp",
				       "tc", "cgroup", "ringbuf" };
	struct result res[N] = {};
	struct timespec t0, t1;
	bool private_netns;
	int netns_err;

	verbose = argc > 1 && (!strcmp(argv[1], "-v") || !strcmp(argv[1], "--verbose"));
	if (argc > 1 && !verbose) {
		fprintf(stderr, "usage: probe [-v]  (prints one JSON object; run as root)\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	libbpf_set_print(libbpf_log);
	private_netns = unshare(CLONE_NEWNET) == 0;
	netns_err = errno;

	/* RUN: each attempt's detail must come from its own libbpf warnings only. */
#define RUN(call) (first_warning[0] = '\0', (void)(call))
	RUN(probe_bpf_syscall(&res[BPF]));
	RUN(probe_btf(&res[BTF]));
	RUN(probe_attach("probe_kprobe", &res[KPROBE]));
	RUN(probe_attach("probe_fentry", &res[FENTRY]));
	RUN(probe_attach("probe_tp", &res[TP]));
	res[XDP].err = res[TC].err = netns_err;
	RUN(probe_netdev(true, private_netns, &res[XDP]));
	RUN(probe_netdev(false, private_netns, &res[TC]));
	RUN(probe_cgroup(&res[CGROUP]));
	RUN(probe_ringbuf(&res[RINGBUF]));

	clock_gettime(CLOCK_MONOTONIC, &t1);
	putchar('{');
	for (int i = 0; i < N; i++)
		print_result(keys[i], &res[i], false);
	printf("\"elapsedMs\":%ld}\n", (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000);
	return 0;
}
