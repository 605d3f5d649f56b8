// SPDX-License-Identifier: GPL-2.0
/*
 * A small UDP traffic generator: sends as fast as one CPU can, 64 datagrams per sendmmsg()
 * system call, for a fixed time or a fixed count, and prints what it sent as one JSON line.
 *   ./flood DST_IP PORT [--seconds S] [--count N] [--size BYTES] [--rate PPS]
 * --rate paces the batches (the checks use it so a busy machine's queues never overflow).
 * The socket is unconnected, so the ICMP "port unreachable" answers of a host without a
 * listener do not stop the sender (a connected UDP socket would report ECONNREFUSED).
 */
#define _GNU_SOURCE /* sendmmsg */
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static long number(const char *what, const char *s, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi) {
		fprintf(stderr, "flood: %s must be a number from %ld to %ld, got \"%s\"\n", what, lo, hi, s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	static char payload[1472];
	struct sockaddr_in dst = { .sin_family = AF_INET };
	struct mmsghdr msgs[BATCH];
	struct iovec iov;
	long seconds = 0, count = 0, size = 64, rate = 0, sent = 0, errors = 0;
	double t0, t1, until;
	int fd, i;

	if (argc < 3 || inet_pton(AF_INET, argv[1], &dst.sin_addr) != 1) {
		fprintf(stderr, "usage: flood DST_IP PORT [--seconds S] [--count N] [--size BYTES] [--rate PPS]\n");
		return 2;
	}
	dst.sin_port = htons(number("PORT", argv[2], 1, 65535));
	for (i = 3; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--seconds"))
			seconds = number("--seconds", argv[i + 1], 1, 60);
		else if (!strcmp(argv[i], "--count"))
			count = number("--count", argv[i + 1], 1, 100000000);
		else if (!strcmp(argv[i], "--rate"))
			rate = number("--rate (packets per second)", argv[i + 1], 1, 100000000);
		else if (!strcmp(argv[i], "--size"))
			size = number("--size (UDP payload bytes)", argv[i + 1], 1, sizeof(payload));
		else
			break;
	}
	if (i != argc || (!seconds && !count)) {
		fprintf(stderr, "flood: give --seconds S or --count N (and optionally --size BYTES)\n");
		return 2;
	}
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("flood: socket");
		return 1;
	}
	iov.iov_base = payload;
	iov.iov_len = size;
	memset(msgs, 0, sizeof(msgs));
	for (i = 0; i < BATCH; i++) {
		msgs[i].msg_hdr.msg_name = &dst;
		msgs[i].msg_hdr.msg_namelen = sizeof(dst);
		msgs[i].msg_hdr.msg_iov = &iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	t0 = now();
	until = seconds ? t0 + seconds : 0;
	for (;;) {
		long want = count ? count - sent : BATCH;
		int n;

		if (want <= 0 || (until && now() >= until))
			break;
		/* Paced: wait until this batch is due (sent / rate seconds after the start). */
		while (rate && now() < t0 + (double)sent / rate)
			usleep(200);
		n = sendmmsg(fd, msgs, want < BATCH ? want : BATCH, 0);
		if (n < 0) {
			/* A full queue (ENOBUFS) or a transient error: count it and go on. */
			if (++errors > 1000000 || (errno != ENOBUFS && errno != EAGAIN && errno != EINTR &&
						   errno != ECONNREFUSED)) {
				fprintf(stderr, "flood: sendmmsg: %s\n", strerror(errno));
				return 1;
			}
			continue;
		}
		sent += n;
	}
	t1 = now();
	printf("{\"sent\": %ld, \"seconds\": %.3f, \"pps\": %.0f, \"size\": %ld, \"errors\": %ld}\n", sent, t1 - t0,
	       sent / (t1 - t0), size, errors);
	close(fd);
	return 0;
}
