/*
 * notify_ferry: the libferry app of the close-notify benchmarks.  The
 * query string chooses what a request does:
 *
 *   hello        answers "hello\n" (the baseline)
 *   watch        also asks for the request's notify fd and whether the
 *                client is gone, as a handler that polls for GONE does,
 *                then answers "hello\n"
 *   wait&id=N    sends "waiting\n" at once (flushed), then blocks in
 *                ferry_wait_notify() for GONE (10 s at most); on waking it
 *                appends "N NS\n" to the log (NS: CLOCK_MONOTONIC in ns,
 *                which every process of the machine shares) for
 *                bench/notify_lat to compare with the time it closed.
 *
 *   notify_ferry [--log FILE]        (on fd 0, as ferryd starts it)
 */
#include "config.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "worker/ferry.h"

#define NOTIFY_WAIT_MS	10000

int		main(int, char *[]);
static int	notify_id(const char *, unsigned long *);
static int	notify_wait(struct ferry_req *, const char *, unsigned long);
static int	notify_handle(struct ferry_req *, void *);

/* The decimal N of "id=N" in q; 0 on success. */
static int
notify_id(const char *q, unsigned long *out)
{
	const char	*p = strstr(q, "id=");
	unsigned long	 v = 0;

	if (p == NULL || (p != q && p[-1] != '&') || p[3] < '0' || p[3] > '9')
		return -1;
	for (p += 3; *p >= '0' && *p <= '9'; p++) {
		if (v > 100000000UL)
			return -1;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	*out = v;
	return 0;
}

static int
notify_wait(struct ferry_req *req, const char *log, unsigned long id)
{
	struct timespec	 now;
	char		 line[64];
	int		 fd, n, got;

	ferry_add_header(req, "Cache-Control", "no-store");
	if (ferry_write(req, "waiting\n", 8) == -1 || ferry_flush(req) == -1)
		return 1;
	got = ferry_wait_notify(req, FERRY_GONE, NOTIFY_WAIT_MS);
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (got == 0 || log == NULL)
		return 0;
	n = snprintf(line, sizeof(line), "%lu %lld\n", id,
	    (long long)now.tv_sec * 1000000000LL + now.tv_nsec);
	if ((fd = open(log, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC,
	    0644)) == -1)
		return 1;
	if (write(fd, line, (size_t)n) != n) {
		close(fd);
		return 1;
	}
	close(fd);
	return 0;
}

static int
notify_handle(struct ferry_req *req, void *arg)
{
	const char	*q = ferry_query(req);
	unsigned long	 id;

	if (strncmp(q, "wait", 4) == 0 && notify_id(q, &id) == 0)
		return notify_wait(req, arg, id);
	if (strcmp(q, "watch") == 0 && (ferry_notify_fd(req) == -1 ||
	    ferry_gone(req)))
		return 1;
	ferry_add_header(req, "Content-Type", "text/plain");
	return ferry_write(req, "hello\n", 6) == -1 ? 1 : 0;
}

int
main(int argc, char *argv[])
{
	const char	*log = NULL;

	if (argc == 3 && strcmp(argv[1], "--log") == 0)
		log = argv[2];
	return ferry_serve(notify_handle, (void *)(uintptr_t)log) == -1 ?
	    EXIT_FAILURE : EXIT_SUCCESS;
}
