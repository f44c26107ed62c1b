/*
 * Close-notify across the process boundary (doc/ARCHITECTURE.md,
 * "Close-notify rules"), ported from Go's serve_test.go where named, against a real
 * ferryd and a real libferry app: examples/longpoll, which waits for an
 * event, its timeout, or a notification, and logs what it saw to stderr
 * (ferryd's error log): "request N: client left after ...", or answers
 * "pipelined" / "timeout"; and tests/ferry-apps/notifyapp, whose /watch
 * handler waits for the reasons a test names, one after the other, and
 * writes what it saw, line by line and tagged per request, to a log file
 * of its own (the notifyapp_* helpers below read it).
 */
#include "config.h"

#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <linux/sockios.h>

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/integration/harness.h"
#include "worker/ferry.h"

static void	notify_start(struct ferryd *);
static void	ferry_app_start(struct ferryd *, const char *, const char *,
		    const char *);
static void	ferry_app_start_server(struct ferryd *, const char *,
		    const char *, const char *, const char *);
static void	notifyapp_start(struct ferryd *, char *, size_t);
static void	notifyapp_start_server(struct ferryd *, const char *, char *,
		    size_t);
static int	notifyapp_count(const char *, const char *);
static int	notifyapp_wait(const struct ferryd *, const char *,
		    const char *, int);
static void	expect_body(struct ferryd *, struct hc *, const char *,
		    const char *, const char *);
static size_t	send_for(struct hc *, size_t, int);
static void	sit_then(int);
static void	post_kept(const char *, const char *);
static uint64_t	fnv1a64(const void *, size_t);
static Suite	*notify_suite(void);

static void
notify_start(struct ferryd *f)
{
	char	app[1024];

	snprintf(app, sizeof(app), "%s/longpoll/longpoll",
	    harness_env_path("FERRY_TEST_EXAMPLES"));
	harness_start_app(f, NULL, "/poll", app, NULL);
}

/* ferryd logging at debug level with one worker of program (in
   tests/ferry-apps) run with args at prefix; it takes bodies of
   hc_unabsorbable_len(). */
static void
ferry_app_start(struct ferryd *f, const char *prefix, const char *program,
    const char *args)
{
	ferry_app_start_server(f, "", prefix, program, args);
}

/* The same, with server as more [server] lines. */
static void
ferry_app_start_server(struct ferryd *f, const char *server,
    const char *prefix, const char *program, const char *args)
{
	const char	*apps = harness_env_path("FERRY_TEST_FERRY_APPS");
	char		 conf[2048];

	snprintf(conf, sizeof(conf),
	    "[server]\n"
	    "log_level = debug\n"
	    "max_body_size = %zu\n"
	    "%s"
	    "[app %s]\n"
	    "type = fastcgi\n"
	    "prefix = %s\n"
	    "command = %s/%s\n"
	    "args = %s\n"
	    "workers = 1\n", hc_unabsorbable_len(), server, program, prefix,
	    apps, program, args);
	memset(f, 0, sizeof(*f));
	harness_start(f, conf, NULL);
}

/* ferryd with one notifyapp worker at /n/, logging to f->dir/notify.log
   (its path in log). */
static void
notifyapp_start(struct ferryd *f, char *log, size_t loglen)
{
	notifyapp_start_server(f, "", log, loglen);
}

/* The same, with server as more [server] lines. */
static void
notifyapp_start_server(struct ferryd *f, const char *server, char *log,
    size_t loglen)
{
	ferry_app_start_server(f, server, "/n/", "notifyapp",
	    "--log @DIR@/notify.log");
	snprintf(log, loglen, "%s/notify.log", f->dir);
}

/* How many lines of notifyapp's log are exactly line. */
static int
notifyapp_count(const char *log, const char *line)
{
	char		*all = harness_read_file(log, NULL), *p, *nl;
	size_t		 ll = strlen(line);
	int		 n = 0;

	if (all == NULL)
		return 0;
	for (p = all; *p != '\0'; p = nl + 1) {
		if ((nl = strchr(p, '\n')) == NULL)
			break;
		if ((size_t)(nl - p) == ll && memcmp(p, line, ll) == 0)
			n++;
	}
	free(all);
	return n;
}

/* Waits up to ms for line in notifyapp's log; fails the test without it,
   showing the log. */
static int
notifyapp_wait(const struct ferryd *f, const char *log, const char *line,
    int ms)
{
	long long	 deadline = harness_now_ms() + ms;
	char		*all;

	while (notifyapp_count(log, line) == 0) {
		if (harness_now_ms() >= deadline) {
			all = harness_read_file(log, NULL);
			harness_fail(f, __FILE__, __LINE__, "no \"%s\" in "
			    "notifyapp's log within %d ms; it has:\n%s", line,
			    ms, all != NULL ? all : "(nothing)");
		}
		harness_sleep_ms(10);
	}
	return 1;
}

/* Reads one response and fails unless it is a 200 with body want, or
   with body alt when alt is not NULL. */
static void
expect_body(struct ferryd *f, struct hc *c, const char *what,
    const char *want, const char *alt)
{
	struct hc_response	r;

	hc_expect_response(c, &r, 0);
	HARNESS_ASSERT(f, r.status == 200 && (strcmp(r.body, want) == 0 ||
	    (alt != NULL && strcmp(r.body, alt) == 0)),
	    "%s: %d \"%s\", want 200 \"%s\"%s%s%s", what, r.status, r.body,
	    want, alt != NULL ? " or \"" : "", alt != NULL ? alt : "",
	    alt != NULL ? "\"" : "");
	hc_response_free(&r);
}

/* TestCloseNotifier: the client sends a request and closes while the
   handler waits: the handler hears GONE, exactly once, long before its
   own 10 s timeout. */
START_TEST(test_close_notifier)
{
	struct ferryd		 f;
	struct hc		 c;
	struct hc_response	 r;

	notify_start(&f);
	/* The worker must be serving, not still starting (a slow start
	   under load): a request that is still queued when its client
	   leaves never reaches a handler. */
	hc_open(&c, &f);
	hc_sendstr(&c, "GET /poll?wait=1 HTTP/1.1\r\nHost: t\r\n\r\n");
	hc_expect_response(&c, &r, 0);
	hc_response_free(&r);
	hc_close(&c);
	hc_open(&c, &f);
	hc_sendstr(&c, "GET /poll?wait=10 HTTP/1.1\r\nHost: t\r\n\r\n");
	harness_sleep_ms(300);
	hc_close(&c);
	HARNESS_ASSERT(&f, harness_wait_log(&f, ": client left after", 1,
	    5000) == 1, "the handler did not hear that its client left");
	harness_sleep_ms(300);
	HARNESS_ASSERT(&f, harness_log_count(&f, ": client left after") == 1,
	    "GONE arrived more than once");
	HARNESS_ASSERT(&f, harness_log_count(&f, "sending close-notify") == 1,
	    "the master sent close-notify %d times",
	    harness_log_count(&f, "sending close-notify"));
	harness_stop_ok(&f);
}
END_TEST

/* TestCloseNotifierPipelined: two pipelined GETs from a client that
   stays: both are answered in order; the first handler hears PIPELINED
   (the second request was already waiting), the second does not, and
   neither hears GONE. */
START_TEST(test_close_notifier_pipelined)
{
	struct ferryd		 f;
	struct hc		 c;
	struct hc_response	 r;

	notify_start(&f);
	hc_open(&c, &f);
	hc_sendstr(&c, "GET /poll?wait=5 HTTP/1.1\r\nHost: t\r\n\r\n"
	    "GET /poll?wait=1 HTTP/1.1\r\nHost: t\r\n\r\n");
	hc_expect_response(&c, &r, 0);
	HARNESS_ASSERT(&f, r.status == 200 && strcmp(r.body, "pipelined\n") ==
	    0, "first: %d \"%s\"", r.status, r.body);
	hc_response_free(&r);
	hc_expect_response(&c, &r, 0);
	HARNESS_ASSERT(&f, r.status == 200 && strcmp(r.body, "timeout\n") ==
	    0, "second: %d \"%s\"", r.status, r.body);
	hc_response_free(&r);
	HARNESS_ASSERT(&f, harness_log_count(&f, ": client left after") == 0,
	    "a handler heard GONE from a client that stayed");
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/* Beyond Go (golang/go#37145): after PIPELINED the master keeps
   watching the connection, so a reset of the client still reaches a
   handler as GONE.  (longpoll answers as soon as it hears PIPELINED, so
   the GONE is seen by the last request, which has nothing behind it.) */
START_TEST(test_pipelined_then_reset)
{
	struct ferryd		 f;
	struct hc		 c;
	struct linger		 lg = { 1, 0 };

	notify_start(&f);
	hc_open(&c, &f);
	/* The first is answered at once (pipelined); the second waits. */
	hc_sendstr(&c, "GET /poll?wait=10 HTTP/1.1\r\nHost: t\r\n\r\n"
	    "GET /poll?wait=10 HTTP/1.1\r\nHost: t\r\n\r\n"
	    "GET /poll?wait=10 HTTP/1.1\r\nHost: t\r\n\r\n");
	HARNESS_ASSERT(&f, harness_wait_log(&f, "request 2: pipelined", 1,
	    5000) == 1, "the second request did not hear of the third");
	harness_sleep_ms(200);
	/* An abortive close: RST instead of FIN. */
	setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	hc_close(&c);
	HARNESS_ASSERT(&f, harness_wait_log(&f,
	    "request 3: client left after", 1, 5000) == 1,
	    "a reset after pipelining did not reach the handler as GONE");
	harness_stop_ok(&f);
}
END_TEST

/* Close-notify rule 5, in the handler itself: the handler that heard PIPELINED
   keeps waiting, now for GONE, and a reset of the client reaches it (Go
   stops watching at the first pipelined byte, golang/go#37145).  (A plain
   close() here would be a FIN after pipelined data: a half-close, not
   GONE; see test_pipelined_then_fin.) */
START_TEST(test_pipelined_then_reset_same_handler)
{
	struct ferryd	 f;
	struct hc	 c;
	struct linger	 lg = { 1, 0 };
	char		 log[512];

	notifyapp_start(&f, log, sizeof(log));
	hc_open(&c, &f);
	hc_sendstr(&c, "GET /n/watch?tag=a&steps=pg&ms=5000 HTTP/1.1\r\n"
	    "Host: t\r\n\r\n"
	    "GET /n/watch?tag=b&ms=10 HTTP/1.1\r\nHost: t\r\n\r\n");
	notifyapp_wait(&f, log, "a got p", 5000);
	harness_sleep_ms(200);
	setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	hc_close(&c);
	notifyapp_wait(&f, log, "a got g", 4000);
	notifyapp_wait(&f, log, "a end 3", 1000);
	HARNESS_ASSERT(&f, notifyapp_count(log, "a timeout g") == 0,
	    "the handler timed out waiting for GONE");
	harness_stop_ok(&f);
}
END_TEST

/* The same behind 40 KiB of pipelined requests, more than ferryd's
   input buffer holds: ferryd stops reading the socket, and still sees the
   reset (Go does not, golang/go#37145). */
START_TEST(test_pipelined_40k_then_reset)
{
	struct ferryd	 f;
	struct hc	 c;
	char		 log[512];
	static const char next[] = "GET /n/watch?tag=b&ms=10 HTTP/1.1\r\n"
	    "Host: t\r\n\r\n";
	char		*many;
	size_t		 i, n = 40 * 1024 / (sizeof(next) - 1) + 1;

	notifyapp_start(&f, log, sizeof(log));
	hc_open(&c, &f);
	hc_sendstr(&c, "GET /n/watch?tag=a&steps=pg&ms=5000 HTTP/1.1\r\n"
	    "Host: t\r\n\r\n");
	notifyapp_wait(&f, log, "a start 0", 5000);
	many = malloc(n * (sizeof(next) - 1));
	ck_assert_ptr_nonnull(many);
	for (i = 0; i < n; i++)
		memcpy(many + i * (sizeof(next) - 1), next, sizeof(next) - 1);
	hc_send(&c, many, n * (sizeof(next) - 1));
	free(many);
	notifyapp_wait(&f, log, "a got p", 5000);
	harness_sleep_ms(200);
	hc_reset(&c);
	notifyapp_wait(&f, log, "a got g", 1000);
	HARNESS_ASSERT(&f, notifyapp_count(log, "a timeout g") == 0,
	    "the handler timed out waiting for GONE");
	harness_stop_ok(&f);
}
END_TEST

/* Pipelined requests, then FIN (shutdown(SHUT_WR), the client of Go's
   TestServerHijackGetsBackgroundByte): a half-close.  The first handler
   hears PIPELINED (maybe already at its start: the second request came
   in the same segment) and, waiting on, no GONE; the second hears
   nothing; both answers arrive in order, then the connection closes. */
START_TEST(test_pipelined_then_fin)
{
	struct ferryd	 f;
	struct hc	 c;
	char		 log[512];

	notifyapp_start(&f, log, sizeof(log));
	hc_open(&c, &f);
	hc_sendstr(&c, "GET /n/watch?tag=a&steps=pg&ms=1500 HTTP/1.1\r\n"
	    "Host: t\r\n\r\n"
	    "GET /n/watch?tag=b&steps=g&ms=1000 HTTP/1.1\r\n"
	    "Host: t\r\n\r\n");
	notifyapp_wait(&f, log, "a got p", 5000);
	hc_shutdown_write(&c);
	expect_body(&f, &c, "first", "start=0 end=2\n",
	    "start=2 end=2\n");
	expect_body(&f, &c, "second", "start=0 end=0\n", NULL);
	HARNESS_ASSERT(&f, hc_wait_closed(&c, 5000) == 1,
	    "the connection stayed open after the last answer");
	HARNESS_ASSERT(&f, notifyapp_count(log, "a timeout g") == 1 &&
	    notifyapp_count(log, "b timeout g") == 1,
	    "a half-close after pipelining was taken for GONE");
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/* A half-close after a whole request (shutdown(SHUT_WR), netcat): the
   handler hears GONE, as Go's and nginx's cancel, and the answer it
   gives anyway is delivered, as Go delivers it; then the connection
   closes. */
START_TEST(test_half_close_gone_answered)
{
	struct ferryd	 f;
	struct hc	 c;
	char		 log[512], want[64];

	notifyapp_start(&f, log, sizeof(log));
	hc_open(&c, &f);
	hc_sendstr(&c, "GET /n/watch?tag=a&steps=g&ms=5000 HTTP/1.1\r\n"
	    "Host: t\r\n\r\n");
	notifyapp_wait(&f, log, "a start 0", 5000);
	hc_shutdown_write(&c);
	notifyapp_wait(&f, log, "a got g", 2000);
	snprintf(want, sizeof(want), "start=0 end=%d\n", FERRY_GONE);
	expect_body(&f, &c, "the answer after GONE", want, NULL);
	HARNESS_ASSERT(&f, hc_wait_closed(&c, 5000) == 1,
	    "the connection stayed open after the answer");
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/* Close-notify rule 1, across requests on one worker: request a hears GONE
   (its client closed); request b, the worker's next, from another
   client, hears nothing, neither at its start nor while it waits. */
START_TEST(test_gone_not_inherited_by_next_request)
{
	struct ferryd	 f;
	struct hc	 c, d;
	char		 log[512];

	notifyapp_start(&f, log, sizeof(log));
	hc_open(&c, &f);
	hc_sendstr(&c, "GET /n/watch?tag=a&steps=g&ms=5000 HTTP/1.1\r\n"
	    "Host: t\r\n\r\n");
	notifyapp_wait(&f, log, "a start 0", 5000);
	hc_close(&c);
	notifyapp_wait(&f, log, "a got g", 5000);
	notifyapp_wait(&f, log, "a end 1", 1000);
	hc_open(&d, &f);
	hc_sendstr(&d, "GET /n/watch?tag=b&steps=a&ms=1000 HTTP/1.1\r\n"
	    "Host: t\r\n\r\n");
	expect_body(&f, &d, "the next request", "start=0 end=0\n", NULL);
	HARNESS_ASSERT(&f, notifyapp_count(log, "b timeout a") == 1,
	    "the next request on the worker heard a notification");
	hc_close(&d);
	harness_stop_ok(&f);
}
END_TEST

/* Close-notify rule 1, across requests on one connection: a hears PIPELINED
   (b waits behind it); b and then c, on the same kept connection and the
   same worker, hear nothing. */
START_TEST(test_pipelined_not_inherited_on_connection)
{
	struct ferryd	 f;
	struct hc	 c;
	char		 log[512];

	notifyapp_start(&f, log, sizeof(log));
	hc_open(&c, &f);
	hc_sendstr(&c, "GET /n/watch?tag=a&steps=p&ms=5000 HTTP/1.1\r\n"
	    "Host: t\r\n\r\n"
	    "GET /n/watch?tag=b&steps=a&ms=800 HTTP/1.1\r\nHost: t\r\n\r\n");
	expect_body(&f, &c, "first", "start=0 end=2\n",
	    "start=2 end=2\n");
	expect_body(&f, &c, "second", "start=0 end=0\n", NULL);
	hc_sendstr(&c, "GET /n/watch?tag=c&steps=a&ms=500 HTTP/1.1\r\n"
	    "Host: t\r\n\r\n");
	expect_body(&f, &c, "third", "start=0 end=0\n", NULL);
	HARNESS_ASSERT(&f, notifyapp_count(log, "a got p") == 1 &&
	    notifyapp_count(log, "b timeout a") == 1 &&
	    notifyapp_count(log, "c timeout a") == 1,
	    "a notification reached a later request of the connection");
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/* ---- The window: STDIN flow control (protocol/fcgi.h, FERRY_WINDOW) ---- */

#define MiB		(1024 * 1024)
#define STDIN_WINDOW	262144		/* libferry's FERRY_STDIN_WINDOW */

/* Sends zero bytes of a body on c, never blocking, until len went or ms
   passed; returns how many went.  c stays non-blocking. */
static size_t
send_for(struct hc *c, size_t len, int ms)
{
	static char	 zero[65536];
	long long	 deadline = harness_now_ms() + ms, left;
	struct pollfd	 pfd = { c->fd, POLLOUT, 0 };
	size_t		 sent = 0, n;
	ssize_t		 k;

	(void)fcntl(c->fd, F_SETFL, fcntl(c->fd, F_GETFL) | O_NONBLOCK);
	while (sent < len && (left = deadline - harness_now_ms()) > 0) {
		if (poll(&pfd, 1, (int)left) != 1)
			continue;
		n = len - sent < sizeof(zero) ? len - sent : sizeof(zero);
		k = send(c->fd, zero, n, MSG_NOSIGNAL);
		if (k == -1 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (k <= 0)
			break;
		sent += (size_t)k;
	}
	return sent;
}

/*
 * Issue 13, part 1: a handler that neither reads nor discards its body
 * hears GONE within 1 s when its client, in the middle of a 4 MiB upload,
 * resets (reset = 1) or half-closes: either is GONE, the body being
 * incomplete by its Content-Length (close-notify rule 2).  Without the
 * window the CLOSE_NOTIFY sat behind STDIN that libferry had no room for;
 * the master must also notice the client behind its own full input
 * buffer.  A reset goes at once, so about 1 MiB of body is sent first,
 * and the reset waits until the server has stopped taking it in (then
 * every buffer on the way to the handler is full, without the window
 * libferry's too).  A
 * FIN goes only behind every byte sent before it, and nobody reads past
 * the window, while the server's socket takes little once its reader
 * stops (its receive buffer does not grow): so 276 KiB, the window and the
 * master's input buffer (20 KiB by default, the head in it) and a few
 * bytes more, all of it taken by the server's kernel before the FIN.
 */
static void
sit_then(int reset)
{
	struct ferryd	 f;
	struct hc	 c;
	struct linger	 lg = { 1, 0 };
	char		 log[512];
	size_t		 sent, want = reset ? MiB : 276 * 1024;
	long long	 deadline;
	int		 unsent = -1, last;

	notifyapp_start(&f, log, sizeof(log));
	hc_open(&c, &f);
	hc_sendstr(&c, "POST /n/sit?tag=a&ms=10000 HTTP/1.1\r\nHost: t\r\n"
	    "Content-Length: 4194304\r\n\r\n");
	notifyapp_wait(&f, log, "a start 0", 5000);
	sent = send_for(&c, want, 1000);
	HARNESS_ASSERT(&f, sent >= 276 * 1024, "only %zu bytes of the body "
	    "went in 1 s: the test needs more than the window", sent);
	if (reset) {
		/* Settled: the bytes not taken stay as they are for 200 ms. */
		deadline = harness_now_ms() + 5000;
		do {
			last = unsent;
			harness_sleep_ms(200);
			if (ioctl(c.fd, SIOCOUTQ, &unsent) == -1)
				unsent = -1;
		} while (unsent != last && harness_now_ms() < deadline);
		setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		hc_close(&c);
	} else {
		deadline = harness_now_ms() + 3000;
		while ((ioctl(c.fd, SIOCOUTQ, &unsent) == -1 || unsent > 0) &&
		    harness_now_ms() < deadline)
			harness_sleep_ms(10);
		HARNESS_ASSERT(&f, unsent == 0, "the server's socket left %d "
		    "of %zu body bytes unacknowledged: the FIN cannot pass "
		    "them", unsent, sent);
		hc_shutdown_write(&c);
	}
	notifyapp_wait(&f, log, "a got g", 1000);
	if (!reset)
		hc_close(&c);
	harness_stop_ok(&f);
}

START_TEST(test_window_unread_body_reset)
{
	sit_then(1);
}
END_TEST

START_TEST(test_window_unread_body_fin)
{
	sit_then(0);
}
END_TEST

/* The same FIN in the middle of a chunked body (passed raw to the
   worker): the master, no longer reading, decodes the body's end ahead
   over what its buffer and the kernel hold, finds none, and the client
   is gone. */
START_TEST(test_window_unread_chunked_fin)
{
	struct ferryd	 f;
	struct hc	 c;
	char		 log[512], size[32];
	size_t		 sent, len = hc_unabsorbable_len();

	notifyapp_start(&f, log, sizeof(log));
	hc_open(&c, &f);
	hc_sendstr(&c, "POST /n/sit?tag=a&ms=10000 HTTP/1.1\r\nHost: t\r\n"
	    "Transfer-Encoding: chunked\r\n\r\n");
	notifyapp_wait(&f, log, "a start 0", 5000);
	/* One chunk, never finished, longer than any receive buffer can
	   grow (4 MiB was not sure to be: ferryd's grows while it reads,
	   more when it reads fast). */
	snprintf(size, sizeof(size), "%zx\r\n", len);
	hc_sendstr(&c, size);
	sent = hc_send_absorbed(&c, len, 300);
	HARNESS_ASSERT(&f, sent >= 276 * 1024 && sent < len, "%zu bytes "
	    "of the chunk went: the buffers did not fill", sent);
	hc_fin_taken(&f, &c, sent);
	notifyapp_wait(&f, log, "a got g", 1000);
	hc_close(&c);
	harness_stop_ok(&f);
}
END_TEST

/* Issue 14, B: a client slower than body_min_rate gets 408, and the
   libferry worker running its request is told (GONE), not killed: it
   serves the next request. */
START_TEST(test_body_min_rate_gone)
{
	struct ferryd		 f;
	struct hc		 c;
	struct hc_response	 r;
	char			 log[512];

	notifyapp_start_server(&f, "body_timeout = 1\nbody_min_rate = 1000\n",
	    log, sizeof(log));
	hc_open(&c, &f);
	hc_sendstr(&c, "POST /n/sit?tag=a&ms=10000 HTTP/1.1\r\nHost: t\r\n"
	    "Content-Length: 100000\r\n\r\n");
	notifyapp_wait(&f, log, "a start 0", 5000);
	/* 50 bytes/s: never silent for body_timeout, far below the rate. */
	HARNESS_ASSERT(&f, hc_trickle_until_answer(&c, 8000), "no answer to "
	    "a body at 50 bytes/s within 8 s (body_min_rate = 1000)");
	hc_expect_response(&c, &r, 0);
	HARNESS_ASSERT(&f, r.status == 408, "status %d, want 408", r.status);
	hc_response_free(&r);
	hc_close(&c);
	notifyapp_wait(&f, log, "a got g", 2000);
	hc_get(&f, "/n/hello", &r);
	HARNESS_ASSERT(&f, r.status == 200 && strcmp(r.body, "hello\n") == 0,
	    "the next request: %d \"%s\"", r.status, r.body);
	hc_response_free(&r);
	HARNESS_ASSERT(&f, harness_log_count(&f, "stopping") == 0,
	    "a worker was stopped for a slow client");
	harness_stop_ok(&f);
}
END_TEST

/* FNV-1a, 64 bits: notifyapp's /sum and rawwindow answer with it. */
static uint64_t
fnv1a64(const void *data, size_t len)
{
	const uint8_t	*p = data;
	uint64_t	 h = 0xcbf29ce484222325ULL;

	while (len-- > 0)
		h = (h ^ *p++) * 0x100000001b3ULL;
	return h;
}

/*
 * POSTs a 3 MiB body to notifyapp's target (its answer must be want, or
 * the body's size and FNV-1a when want is NULL), then a GET of /n/hello
 * on the same client connection: the worker's second request, which must
 * go on the channel kept from the first (the window kept it clean).  The
 * window must have been full at least once on the way.
 */
static void
post_kept(const char *target, const char *want)
{
	struct ferryd	 f;
	struct hc	 c;
	char		 log[512], head[256], sum[64];
	char		*body;
	size_t		 len = 3 * MiB;
	pid_t		 pid;
	int		 st;

	body = malloc(len);
	ck_assert_ptr_nonnull(body);
	harness_random_bytes(body, len, 13);
	snprintf(sum, sizeof(sum), "%zu %016llx\n", len,
	    (unsigned long long)fnv1a64(body, len));
	notifyapp_start(&f, log, sizeof(log));
	snprintf(head, sizeof(head), "POST %s HTTP/1.1\r\nHost: t\r\n"
	    "Content-Length: %zu\r\n\r\n", target, len);
	hc_open(&c, &f);
	c.timeout_ms = 30000;
	hc_sendstr(&c, head);
	pid = hc_send_background(&c, body, len, 30000);
	expect_body(&f, &c, target, want != NULL ? want : sum, NULL);
	HARNESS_ASSERT(&f, waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	    WEXITSTATUS(st) == 0, "the body did not go whole");
	hc_sendstr(&c, "GET /n/hello HTTP/1.1\r\nHost: t\r\n\r\n");
	expect_body(&f, &c, "the next request", "hello\n", NULL);
	HARNESS_ASSERT(&f, harness_wait_log(&f,
	    "request 2 on the kept connection", 1, 5000) == 1,
	    "the worker's channel was not kept after a 3 MiB body");
	HARNESS_ASSERT(&f, harness_log_count(&f, "STDIN window full") >= 1,
	    "the STDIN window was never full");
	hc_close(&c);
	free(body);
	harness_stop_ok(&f);
}

/* A handler that sleeps 1 s and then reads a 3 MiB body gets every byte,
   in order, through the window; the channel serves on. */
START_TEST(test_window_slow_reader)
{
	post_kept("/n/sum?ms=1000", NULL);
}
END_TEST

/* A handler that discards its 3 MiB body and then computes for 1.5 s:
   libferry's own reader drops the body as it comes and acknowledges it,
   so the body ends within the handler's run and the channel serves on
   (without acknowledgements the master would wait for the window, and
   the request would end with its body unread: a closed channel). */
START_TEST(test_window_discard)
{
	post_kept("/n/discard?ms=1500", "discarded\n");
}
END_TEST

/* The master never has more STDIN bytes unacknowledged than the window a
   worker announced: tests/ferry-apps/rawwindow, a worker on bare records
   with a 10000-byte window, holds back its acknowledgements at every full
   window, watches for an overshoot, and reports the most it saw. */
START_TEST(test_window_never_exceeded)
{
	struct ferryd	 f;
	struct hc	 c;
	struct hc_response r;
	char		 head[256], sum[32];
	char		*body;
	size_t		 len = 200000, got, most;
	unsigned	 window;
	int		 fulls, offered, st;
	pid_t		 pid;

	ferry_app_start(&f, "/w/", "rawwindow", "10000");
	body = malloc(len);
	ck_assert_ptr_nonnull(body);
	harness_random_bytes(body, len, 21);
	snprintf(head, sizeof(head), "POST /w/x HTTP/1.1\r\nHost: t\r\n"
	    "Content-Length: %zu\r\n\r\n", len);
	hc_open(&c, &f);
	c.timeout_ms = 30000;
	hc_sendstr(&c, head);
	pid = hc_send_background(&c, body, len, 30000);
	hc_expect_response(&c, &r, 0);
	HARNESS_ASSERT(&f, waitpid(pid, &st, 0) == pid && WIFEXITED(st) &&
	    WEXITSTATUS(st) == 0, "the body did not go whole");
	HARNESS_ASSERT(&f, r.status == 200 && sscanf(r.body, "body=%zu "
	    "max=%zu window=%u fulls=%d offered=%d sum=%31s", &got, &most,
	    &window, &fulls, &offered, sum) == 6, "%d \"%s\"", r.status,
	    r.body);
	HARNESS_ASSERT(&f, got == len && window == 10000 && offered == 1,
	    "\"%s\": want the whole body, the window, and \"window\" "
	    "offered", r.body);
	HARNESS_ASSERT(&f, most <= window, "%zu bytes unacknowledged, "
	    "beyond the window of %u", most, window);
	HARNESS_ASSERT(&f, fulls >= 1, "the window was never full: \"%s\"",
	    r.body);
	HARNESS_ASSERT(&f, strtoull(sum, NULL, 16) == fnv1a64(body, len),
	    "the body arrived altered: \"%s\"", r.body);
	hc_response_free(&r);
	hc_close(&c);
	free(body);
	harness_stop_ok(&f);
}
END_TEST

static Suite *
notify_suite(void)
{
	Suite	*s = suite_create("notify");
	TCase	*tc = tcase_create("close-notify");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_close_notifier);
	tcase_add_test(tc, test_close_notifier_pipelined);
	tcase_add_test(tc, test_pipelined_then_reset);
	tcase_add_test(tc, test_pipelined_then_reset_same_handler);
	tcase_add_test(tc, test_pipelined_40k_then_reset);
	tcase_add_test(tc, test_pipelined_then_fin);
	tcase_add_test(tc, test_half_close_gone_answered);
	tcase_add_test(tc, test_gone_not_inherited_by_next_request);
	tcase_add_test(tc, test_pipelined_not_inherited_on_connection);
	suite_add_tcase(s, tc);
	tc = tcase_create("window");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_window_unread_body_reset);
	tcase_add_test(tc, test_window_unread_body_fin);
	tcase_add_test(tc, test_window_unread_chunked_fin);
	tcase_add_test(tc, test_body_min_rate_gone);
	tcase_add_test(tc, test_window_slow_reader);
	tcase_add_test(tc, test_window_discard);
	tcase_add_test(tc, test_window_never_exceeded);
	suite_add_tcase(s, tc);
	return s;
}

int
main(void)
{
	return harness_main(notify_suite(), "ferry-notify");
}
