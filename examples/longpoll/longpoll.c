/*
 * longpoll: a libferry app that holds each request until an event happens
 * or its client leaves, whichever comes first.
 *
 * The event is a file appearing: LONGPOLL_FILE in the environment, or
 * /tmp/longpoll-event.  The query string "wait=N" bounds the wait to N
 * seconds (default 30, at most 3600).  The answer says what ended it:
 * "event", "timeout", or "pipelined" (the client already sent its next
 * request and waits for this answer first, so it is given now).  When the
 * client leaves, nobody is there to answer: the app only logs it.
 *
 * It waits in poll(2) on ferry_notify_fd(), waking every 100 ms to look
 * for the file; an app with an event loop would watch the fd with the rest.
 *
 *   cc longpoll.c $(pkg-config --cflags --libs ferry) -o longpoll
 *   ferryd --listen 127.0.0.1:8080 --app /poll=$PWD/longpoll
 *   curl 'http://127.0.0.1:8080/poll?wait=60'  # then: touch /tmp/longpoll-event
 */
#define _POSIX_C_SOURCE 200809L	/* built alone too: no config.h */

#include <sys/stat.h>

#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <ferry.h>

#define LONGPOLL_DEFAULT_WAIT	30
#define LONGPOLL_MAX_WAIT	3600
#define LONGPOLL_TICK_MS	100

int		main(int, char *[]);
static int	longpoll_handler(struct ferry_req *, void *);
static int	longpoll_wait_arg(const char *);
static long	longpoll_ms_since(const struct timespec *);

/* "wait=N" in the query, 1..LONGPOLL_MAX_WAIT, else the default. */
static int
longpoll_wait_arg(const char *q)
{
	const char	*p;
	int		 n = 0;

	for (p = q; (p = strstr(p, "wait=")) != NULL; p++) {
		if (p != q && p[-1] != '&')
			continue;
		for (p += 5; *p >= '0' && *p <= '9'; p++) {
			n = n * 10 + (*p - '0');
			if (n > LONGPOLL_MAX_WAIT)
				return LONGPOLL_MAX_WAIT;
		}
		return n > 0 ? n : LONGPOLL_DEFAULT_WAIT;
	}
	return LONGPOLL_DEFAULT_WAIT;
}

static long
longpoll_ms_since(const struct timespec *t0)
{
	struct timespec	 now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t0->tv_sec) * 1000 +
	    (now.tv_nsec - t0->tv_nsec) / 1000000;
}

static int
longpoll_handler(struct ferry_req *req, void *arg)
{
	const char	*file = arg;
	struct pollfd	 pfd;
	struct timespec	 t0;
	struct stat	 st;
	const char	*why = "timeout";
	int		 limit_ms, n;

	limit_ms = longpoll_wait_arg(ferry_query(req)) * 1000;
	if ((pfd.fd = ferry_notify_fd(req)) == -1) {
		perror("longpoll: ferry_notify_fd");
		ferry_status(req, 500);
		return 1;
	}
	pfd.events = POLLIN;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		if (stat(file, &st) == 0) {
			why = "event";
			break;
		}
		if (longpoll_ms_since(&t0) >= limit_ms)
			break;
		if (poll(&pfd, 1, LONGPOLL_TICK_MS) == 1) {
			n = ferry_notified(req);
			if (n & FERRY_GONE) {
				fprintf(stderr, "longpoll: request %u: client "
				    "left after %ld ms, stopped waiting\n",
				    ferry_request_id(req),
				    longpoll_ms_since(&t0));
				return 0;
			}
			if (n & FERRY_PIPELINED) {
				why = "pipelined";
				break;
			}
		}
	}
	fprintf(stderr, "longpoll: request %u: %s after %ld ms\n",
	    ferry_request_id(req), why, longpoll_ms_since(&t0));
	ferry_add_header(req, "Cache-Control", "no-store");
	ferry_printf(req, "%s\n", why);
	return 0;
}

int
main(int argc, char *argv[])
{
	const char	*file = getenv("LONGPOLL_FILE");

	if (file == NULL || *file == '\0')
		file = "/tmp/longpoll-event";
	return ferry_serve_args(argc, argv, longpoll_handler,
	    (void *)(uintptr_t)file) == -1 ? 1 : 0;
}
