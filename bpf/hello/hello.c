// SPDX-License-Identifier: GPL-2.0
/*
 * Loader for hello.bpf.c. Tries the execve kprobe first and falls back to the
 * sys_enter_execve tracepoint, then streams exec events until SIGINT/SIGTERM.
 * Output contract (stdout, one line each, flushed per line):
 *   line 1: what got attached (text or JSON), then one line per exec event.
 * Diagnostics go to stderr; with --json a fatal error is also one {"error":..} line.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "hello.h"
#include "hello.skel.h"

#define TP_TARGET "syscalls/sys_enter_execve"

#if defined(__x86_64__)
#define SYSCALL_PREFIX "__x64_"
#elif defined(__aarch64__)
#define SYSCALL_PREFIX "__arm64_"
#elif defined(__s390x__)
#define SYSCALL_PREFIX "__s390x_"
#elif defined(__riscv)
#define SYSCALL_PREFIX "__riscv_"
#else
#define SYSCALL_PREFIX ""
#endif

static bool json, verbose, quiet_libbpf;
static volatile sig_atomic_t stop;

static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (!verbose && (level == LIBBPF_DEBUG || quiet_libbpf))
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* JSON string; invalid UTF-8 bytes become U+FFFD so every line stays valid JSON. */
static void put_json_str(const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + strnlen(s, max);

	putchar('"');
	while (p < end) {
		unsigned char c = *p;
		int n = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 :
			c >= 0xf0 && c <= 0xf4 ? 4 : 0;
		bool ok = n > 0 && end - p >= n;

		for (int i = 1; ok && i < n; i++)
			ok = (p[i] & 0xc0) == 0x80;
		if (!ok) {
			fputs("\\ufffd", stdout);
			p++;
		} else if (c == '"' || c == '\\') {
			printf("\\%c", c);
			p++;
		} else if (c < 0x20) {
			printf("\\u%04x", c);
			p++;
		} else {
			fwrite(p, 1, n, stdout);
			p += n;
		}
	}
	putchar('"');
}

static int on_event(void *ctx, void *data, size_t size)
{
	const struct hello_event *e = data;

	(void)ctx;
	if (size < sizeof(*e))
		return 0;
	if (json) {
		printf("{\"pid\":%u,\"uid\":%u,\"comm\":", e->pid, e->uid);
		put_json_str(e->comm, sizeof(e->comm));
		fputs(",\"filename\":", stdout);
		put_json_str(e->filename, sizeof(e->filename));
		fputs("}\n", stdout);
	} else {
		printf("pid=%u uid=%u comm=%.*s filename=%.*s\n", e->pid, e->uid,
		       (int)sizeof(e->comm), e->comm, (int)sizeof(e->filename), e->filename);
	}
	return 0;
}

static void fatal(const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "hello: %s\n", msg);
	if (json) {
		fputs("{\"error\":", stdout);
		put_json_str(msg, sizeof(msg));
		fputs("}\n", stdout);
	}
}

/*
 * The symbol SEC("ksyscall") attaches to once kprobes work: libbpf then finds the arch
 * syscall wrapper (x86_64 has had it since 4.17) and uses it; otherwise __se_sys_*.
 */
static const char *kprobe_target(void)
{
	return *SYSCALL_PREFIX ? SYSCALL_PREFIX "sys_execve" : "__se_sys_execve";
}

/* Why an attach failed, in the reader's terms rather than only the errno. */
static void explain(char *why, size_t len, const char *step, int err, bool kprobe)
{
	const char *hint = "";

	if (err == EPERM)
		hint = "; needs CAP_BPF + CAP_PERFMON or CAP_SYS_ADMIN: run as root";
	else if (kprobe && access("/sys/bus/event_source/devices/kprobe", F_OK))
		hint = "; kernel has no kprobe PMU (CONFIG_KPROBES off?)";
	else if (!kprobe && err == ENOENT && access("/sys/kernel/tracing/events", F_OK) &&
		 access("/sys/kernel/debug/tracing/events", F_OK))
		hint = "; tracefs not mounted: mount -t tracefs tracefs /sys/kernel/tracing";
	snprintf(why, len, "%s failed: %s%s", step, strerror(err), hint);
}

/*
 * A fresh skeleton per attempt: a failed load cannot be retried on the same object.
 * Only the wanted program is autoloaded. Returns NULL with *err (positive errno) set.
 */
static struct hello_bpf *load_and_attach(bool kprobe, char *why, size_t len, int *err)
{
	struct hello_bpf *skel = hello_bpf__open();
	struct bpf_program *prog;
	struct bpf_link *link;

	if (!skel) {
		*err = errno;
		explain(why, len, "open", *err, kprobe);
		return NULL;
	}
	bpf_program__set_autoload(skel->progs.hello_kprobe, kprobe);
	bpf_program__set_autoload(skel->progs.hello_tp, !kprobe);
	*err = -hello_bpf__load(skel);
	if (*err) {
		explain(why, len, "load", *err, kprobe);
		hello_bpf__destroy(skel);
		return NULL;
	}
	prog = kprobe ? skel->progs.hello_kprobe : skel->progs.hello_tp;
	link = bpf_program__attach(prog);
	if (!link) {
		*err = errno;
		explain(why, len, "attach", *err, kprobe);
		hello_bpf__destroy(skel);
		return NULL;
	}
	if (kprobe)
		skel->links.hello_kprobe = link;
	else
		skel->links.hello_tp = link;
	return skel;
}

static void usage(FILE *f)
{
	fputs("usage: hello [--json] [--attach auto|kprobe|tracepoint] [-v|--verbose]\n"
	      "  Prints Hello World! to trace_pipe on every execve and streams the events.\n"
	      "  --attach auto (default) tries the kprobe, then falls back to the tracepoint.\n",
	      f);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "attach", required_argument, NULL, 'a' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	const char *mode = "auto";
	char kprobe_why[256] = "", tp_why[256] = "";
	struct hello_bpf *skel = NULL;
	struct ring_buffer *rb;
	struct sigaction sa = { .sa_handler = on_signal };	/* no SA_RESTART: poll returns EINTR */
	int opt, err = 0;

	while ((opt = getopt_long(argc, argv, "jva:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'j': json = true; break;
		case 'v': verbose = true; break;
		case 'a': mode = optarg; break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (strcmp(mode, "auto") && strcmp(mode, "kprobe") && strcmp(mode, "tracepoint")) {
		usage(stderr);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	libbpf_set_print(libbpf_log);

	if (geteuid() != 0) {
		fatal("loading eBPF programs needs CAP_BPF + CAP_PERFMON (or CAP_SYS_ADMIN): run as root (sudo %s)",
		      argv[0]);
		return 1;
	}
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	if (strcmp(mode, "tracepoint")) {
		/* In auto mode a kprobe failure is expected on some kernels: keep libbpf quiet. */
		quiet_libbpf = !strcmp(mode, "auto");
		skel = load_and_attach(true, kprobe_why, sizeof(kprobe_why), &err);
		quiet_libbpf = false;
		if (!skel && !strcmp(mode, "kprobe")) {
			fatal("cannot attach a kprobe on the execve syscall: %s", kprobe_why);
			return 1;
		}
		if (skel) {
			if (json)
				printf("{\"attached\":\"kprobe\",\"target\":\"%s\"}\n", kprobe_target());
			else
				printf("attached: kprobe %s\n", kprobe_target());
		}
	}
	if (!skel) {
		skel = load_and_attach(false, tp_why, sizeof(tp_why), &err);
		if (!skel) {
			fatal("cannot attach tracepoint %s: %s", TP_TARGET, tp_why);
			return 1;
		}
		if (json) {
			printf("{\"attached\":\"tracepoint\",\"target\":\"%s\"", TP_TARGET);
			if (*kprobe_why) {
				fputs(",\"fallbackReason\":", stdout);
				put_json_str(kprobe_why, sizeof(kprobe_why));
			}
			fputs("}\n", stdout);
		} else if (*kprobe_why) {
			printf("attached: tracepoint %s (kprobe unavailable: %s)\n", TP_TARGET, kprobe_why);
		} else {
			printf("attached: tracepoint %s\n", TP_TARGET);
		}
	}

	rb = ring_buffer__new(bpf_map__fd(skel->maps.events), on_event, NULL, NULL);
	if (!rb) {
		err = errno;
		fatal("cannot open the events ring buffer: %s", strerror(err));
		hello_bpf__destroy(skel);
		return 1;
	}
	while (!stop) {
		err = ring_buffer__poll(rb, 500);
		if (err == -EINTR)
			break;
		if (err < 0) {
			fatal("reading events failed: %s", strerror(-err));
			break;
		}
	}
	ring_buffer__free(rb);
	hello_bpf__destroy(skel);
	return err < 0 && err != -EINTR ? 1 : 0;
}
